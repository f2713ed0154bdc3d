"""Tests for nn.model: layers, shapes, parameter counts, inits, heads, targets, losses."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import nn

from playground.config import (
    MAX_PARAMS,
    Activation,
    ConfigError,
    DataConfig,
    DatasetName,
    Init,
    LayerKind,
    LayerSpec,
    Loss,
    ModelConfig,
    RunConfig,
    Task,
    TrainConfig,
)
from playground.explain.probes import display_output
from playground.nn.model import (
    ACTIVATIONS,
    LOSSES,
    Head,
    SeededDropout,
    build_model,
    count_params,
    encode_targets,
    output_head,
    predicted_class,
    trainable_layers,
)

TANH_HEAD = Head(1, Activation.TANH)


def _dense_model(units: list[int], n_in: int = 2, head: Head = TANH_HEAD, seed: int = 0):
    specs = tuple(LayerSpec(units=u) for u in units)
    return build_model(ModelConfig(specs), (n_in,), head, seed)


def _one_layer(init: Init, n_in: int, n_out: int, seed: int = 0) -> nn.Linear:
    """The first Linear of a one-hidden-layer model with the given init."""
    model = build_model(
        ModelConfig((LayerSpec(units=n_out, init=init),)), (n_in,), Head(1, Activation.LINEAR), seed
    )
    return model[0].requires_grad_(False)


# ---- structure -------------------------------------------------------------------------------


@pytest.mark.parametrize("units", [[], [4], [4, 2], [8, 8, 8, 8, 8, 8]])
def test_layer_count_output_shape_and_params(units: list[int]) -> None:
    n_in, k = 7, 3
    model = _dense_model(units, n_in, Head(k, Activation.LINEAR))
    assert len(model) == 2 * (len(units) + 1)  # Linear + activation per layer, head included
    assert model(torch.zeros(5, n_in)).shape == (5, k)
    sizes = [n_in, *units, k]
    expected = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    assert count_params(model) == expected
    assert count_params(model) == sum(p.numel() for p in model.parameters())


def test_cnn_shapes_and_params() -> None:
    specs = (
        LayerSpec(kind=LayerKind.CONV2D, channels=8, kernel=3, padding=1),
        LayerSpec(kind=LayerKind.MAXPOOL2D, kernel=2, stride=2),
        LayerSpec(kind=LayerKind.CONV2D, channels=16, kernel=3, padding=0),
        LayerSpec(kind=LayerKind.FLATTEN),
        LayerSpec(kind=LayerKind.DROPOUT, p=0.2),
        LayerSpec(units=32),
    )
    model = build_model(ModelConfig(specs), (1, 8, 8), Head(10, Activation.LINEAR), 0)
    assert model(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    # conv 8x8 -> 8x8 (padding 1), pool -> 4x4, conv k3 p0 -> 2x2 with 16 channels = 64 features
    expected = 8 * (1 * 9 + 1) + 16 * (8 * 9 + 1) + (64 + 1) * 32 + (32 + 1) * 10
    assert count_params(model) == expected
    kinds = [type(m) for m in model]
    assert kinds.count(nn.Conv2d) == 2 and kinds.count(nn.MaxPool2d) == 1
    assert kinds.count(SeededDropout) == 1


def test_dense_on_images_flattens_first() -> None:
    model = build_model(ModelConfig((LayerSpec(units=5),)), (1, 8, 8), TANH_HEAD, 0)
    assert isinstance(model[0], nn.Flatten) and model[1].in_features == 64


def test_batchnorm_matches_input_rank() -> None:
    specs = (LayerSpec(kind=LayerKind.CONV2D), LayerSpec(kind=LayerKind.BATCHNORM))
    model = build_model(ModelConfig(specs), (1, 8, 8), TANH_HEAD, 0)
    assert isinstance(model[2], nn.BatchNorm2d) and model[2].num_features == 8
    specs = (LayerSpec(units=6), LayerSpec(kind=LayerKind.BATCHNORM))
    model = build_model(ModelConfig(specs), (2,), TANH_HEAD, 0)
    assert isinstance(model[2], nn.BatchNorm1d) and model[2].num_features == 6


@pytest.mark.parametrize("act", list(Activation))
def test_every_activation_is_its_own_module_after_its_layer(act: Activation) -> None:
    specs = tuple(LayerSpec(units=3, activation=act) for _ in range(4))
    model = build_model(ModelConfig(specs), (2,), Head(2, Activation.SIGMOID), 0)
    mods = list(model)
    assert len({id(m) for m in mods}) == len(mods)  # no module used twice
    layers = trainable_layers(model)
    assert len(layers) == 5
    for i, layer, act_module in layers:
        assert mods[i] is layer and mods[i + 1] is act_module
    expected = [type(ACTIVATIONS[act]())] * 4 + [nn.Sigmoid]
    assert [type(a) for _, _, a in layers] == expected


# ---- initialisation statistics ---------------------------------------------------------------

N = 400  # a 400x400 layer: 160,000 weights make the empirical std close to the theory


def test_zeros_init() -> None:
    layer = _one_layer(Init.ZEROS, 8, 8)
    assert torch.count_nonzero(layer.weight) == 0 and torch.count_nonzero(layer.bias) == 0


def test_playground_init() -> None:
    layer = _one_layer(Init.PLAYGROUND, N, N)
    w = layer.weight
    assert float(w.min()) >= -0.5 and float(w.max()) <= 0.5
    assert float(w.std()) == pytest.approx(1 / math.sqrt(12), rel=0.02)  # U(-0.5, 0.5)
    assert torch.equal(layer.bias, torch.full_like(layer.bias, 0.1))


@pytest.mark.parametrize(
    ("init", "bound", "std"),
    [
        (Init.UNIFORM, 0.05, 0.05 / math.sqrt(3)),
        (Init.NORMAL, None, 0.01),
        (Init.XAVIER_UNIFORM, math.sqrt(6 / (N + N)), math.sqrt(2 / (N + N))),
        (Init.XAVIER_NORMAL, None, math.sqrt(2 / (N + N))),
        (Init.KAIMING_UNIFORM, math.sqrt(6 / N), math.sqrt(2 / N)),
        (Init.KAIMING_NORMAL, None, math.sqrt(2 / N)),
    ],
)
def test_random_init_statistics(init: Init, bound: float | None, std: float) -> None:
    layer = _one_layer(init, N, N)
    w = layer.weight
    assert float(w.std()) == pytest.approx(std, rel=0.02)
    assert abs(float(w.mean())) < 0.02 * std * 10
    if bound is not None:
        assert float(w.abs().max()) <= bound + 1e-7
        assert float(w.abs().max()) > 0.99 * bound  # the whole range is used
    assert torch.count_nonzero(layer.bias) == 0


def test_xavier_uses_both_fans() -> None:
    fan_in, fan_out = 300, 100
    w = _one_layer(Init.XAVIER_UNIFORM, fan_in, fan_out).weight
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert float(w.abs().max()) <= bound + 1e-7
    assert float(w.std()) == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.03)


def test_kaiming_on_conv_uses_kernel_fan_in() -> None:
    spec = LayerSpec(kind=LayerKind.CONV2D, channels=128, kernel=5, init=Init.KAIMING_NORMAL)
    model = build_model(ModelConfig((spec,)), (64, 8, 8), TANH_HEAD, 0)
    fan_in = 64 * 5 * 5
    assert float(model[0].weight.detach().std()) == pytest.approx(math.sqrt(2 / fan_in), rel=0.02)


@pytest.mark.parametrize(("n_in", "n_out"), [(64, 64), (50, 20)])
def test_orthogonal_init(n_in: int, n_out: int) -> None:
    w = _one_layer(Init.ORTHOGONAL, n_in, n_out).weight.detach().double()
    assert torch.allclose(w @ w.T, torch.eye(n_out, dtype=torch.float64), atol=1e-5)


def test_output_layer_takes_the_last_init() -> None:
    specs = (LayerSpec(units=4, init=Init.ORTHOGONAL), LayerSpec(units=3, init=Init.ZEROS))
    model = build_model(ModelConfig(specs), (2,), TANH_HEAD, 0)
    assert torch.count_nonzero(model[-2].weight) == 0


def test_same_seed_same_weights_other_seed_different() -> None:
    a, b, c = (_dense_model([8, 8], seed=s) for s in (3, 3, 4))
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    weights = [k for k in sa if k.endswith("weight")]
    assert all(not torch.equal(sa[k], sc[k]) for k in weights)


# ---- heads, targets, losses --------------------------------------------------------------------


def _cfg(name: DatasetName, loss: Loss, n_classes: int = 2, out: str = "auto") -> RunConfig:
    return RunConfig(
        data=DataConfig(name=name, n_classes=n_classes),
        model=ModelConfig(output_activation=out),
        train=TrainConfig(loss=loss),
    )


@pytest.mark.parametrize(
    ("name", "loss", "k", "head"),
    [
        (DatasetName.REG_PLANE, Loss.MSE, 0, Head(1, Activation.LINEAR)),
        (DatasetName.REG_GAUSS, Loss.HUBER, 0, Head(1, Activation.LINEAR)),
        (DatasetName.REG_PLANE, Loss.MAE, 0, Head(1, Activation.LINEAR)),
        (DatasetName.CIRCLE, Loss.MSE, 2, Head(1, Activation.TANH)),
        (DatasetName.CIRCLE, Loss.MAE, 2, Head(1, Activation.TANH)),
        (DatasetName.CIRCLE, Loss.HUBER, 2, Head(1, Activation.TANH)),
        (DatasetName.CIRCLE, Loss.BCE, 2, Head(1, Activation.LINEAR)),
        (DatasetName.CIRCLE, Loss.CROSS_ENTROPY, 2, Head(2, Activation.LINEAR)),
        (DatasetName.SPIRAL, Loss.CROSS_ENTROPY, 3, Head(3, Activation.LINEAR)),
        (DatasetName.BLOBS, Loss.MSE, 4, Head(4, Activation.LINEAR)),
        (DatasetName.BLOBS, Loss.BCE, 4, Head(4, Activation.LINEAR)),
        (DatasetName.DIGITS, Loss.CROSS_ENTROPY, 10, Head(10, Activation.LINEAR)),
    ],
)
def test_output_head(name: DatasetName, loss: Loss, k: int, head: Head) -> None:
    cfg = _cfg(name, loss, k if name in (DatasetName.SPIRAL, DatasetName.BLOBS) else 2)
    assert output_head(cfg, k) == head


@pytest.mark.parametrize(
    ("name", "k"),
    [(DatasetName.CIRCLE, 2), (DatasetName.BLOBS, 4), (DatasetName.REG_PLANE, 0)],
)
def test_square_gets_the_head_targets_and_display_of_mse(name: DatasetName, k: int) -> None:
    # TensorFlow Playground's rule for squared errors: two classes -> one tanh unit, +-1 targets.
    n = k if name == DatasetName.BLOBS else 2
    square, mse = _cfg(name, Loss.SQUARE, n), _cfg(name, Loss.MSE, n)
    head = output_head(square, k)
    assert head == output_head(mse, k)
    task = square.data.task
    y = torch.tensor([0, 1, 1, 0]) if k else torch.tensor([0.5, -0.25, 0.0, 1.0])
    want = encode_targets(y, task, head, Loss.MSE)
    assert torch.equal(encode_targets(y, task, head, Loss.SQUARE), want)
    out = torch.linspace(-2, 2, 4 * head.units).reshape(4, head.units)
    assert torch.equal(
        display_output(out, head, Loss.SQUARE, task), display_output(out, head, Loss.MSE, task)
    )


def test_output_activation_override() -> None:
    cfg = _cfg(DatasetName.CIRCLE, Loss.MSE, out="sigmoid")
    assert output_head(cfg, 2) == Head(1, Activation.SIGMOID)


def test_encode_targets_forms() -> None:
    y = torch.tensor([0, 1, 1, 0, 2])
    ce = encode_targets(y, Task.CLASSIFICATION, Head(3, Activation.LINEAR), Loss.CROSS_ENTROPY)
    assert ce.dtype == torch.int64 and torch.equal(ce, y)
    hot = encode_targets(y, Task.CLASSIFICATION, Head(3, Activation.LINEAR), Loss.MSE)
    assert torch.equal(hot, torch.eye(3)[y])
    y2 = torch.tensor([0, 1, 1, 0])
    pm = encode_targets(y2, Task.CLASSIFICATION, TANH_HEAD, Loss.MSE)
    assert torch.equal(pm, torch.tensor([[-1.0], [1.0], [1.0], [-1.0]]))
    b = encode_targets(y2, Task.CLASSIFICATION, Head(1, Activation.LINEAR), Loss.BCE)
    assert torch.equal(b, y2.float().reshape(-1, 1))
    yr = torch.tensor([0.5, -0.25])
    r = encode_targets(yr, Task.REGRESSION, Head(1, Activation.LINEAR), Loss.MSE)
    assert r.shape == (2, 1) and r.dtype == torch.float32 and torch.equal(r[:, 0], yr)


def test_losses_match_their_formulas() -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g) * 2
    d = a - b
    assert torch.allclose(LOSSES[Loss.MSE](a, b), (d**2).mean())
    assert torch.allclose(LOSSES[Loss.SQUARE](a, b), 0.5 * (d**2).sum(1).mean())
    assert torch.allclose(LOSSES[Loss.MAE](a, b), d.abs().mean())
    huber = torch.where(d.abs() <= 1, 0.5 * d**2, d.abs() - 0.5).mean()  # delta = 1
    assert torch.allclose(LOSSES[Loss.HUBER](a, b), huber)
    y = torch.tensor([0, 2, 1, 1, 0, 2])
    ce = -(a.exp() / a.exp().sum(1, keepdim=True)).log()[torch.arange(6), y].mean()
    assert torch.allclose(LOSSES[Loss.CROSS_ENTROPY](a, y), ce)
    t = (b > 0).float()
    p = torch.sigmoid(a)
    bce = -(t * p.log() + (1 - t) * (1 - p).log()).mean()
    assert torch.allclose(LOSSES[Loss.BCE](a, t), bce)
    assert set(LOSSES) == set(Loss)


def test_predicted_class() -> None:
    assert torch.equal(predicted_class(torch.tensor([[0.3], [-0.2]])), torch.tensor([1, 0]))
    out = torch.tensor([[0.1, 0.7, 0.2], [0.9, 0.0, 0.1]])
    assert torch.equal(predicted_class(out), torch.tensor([1, 0]))


# ---- dropout, caps, errors ---------------------------------------------------------------------


def test_seeded_dropout() -> None:
    x = torch.ones(200, 50)
    a, b = SeededDropout(0.3, seed=5), SeededDropout(0.3, seed=5)
    ya, yb = a(x), b(x)
    assert torch.equal(ya, yb)  # same seed, same mask
    assert not torch.equal(a(x), ya)  # the generator moves on
    kept = ya != 0
    assert torch.allclose(ya[kept], torch.full_like(ya[kept], 1 / 0.7))
    assert float(1 - kept.float().mean()) == pytest.approx(0.3, abs=0.02)
    a.eval()
    assert torch.equal(a(x), x)
    assert torch.equal(SeededDropout(0.0, seed=1)(x), x)


def test_dropout_in_model_is_reproducible() -> None:
    specs = (LayerSpec(units=16), LayerSpec(kind=LayerKind.DROPOUT, p=0.5))
    m1, m2 = (build_model(ModelConfig(specs), (2,), TANH_HEAD, 0) for _ in range(2))
    x = torch.randn(32, 2, generator=torch.Generator().manual_seed(1))
    assert torch.equal(m1.train()(x), m2.train()(x))


def test_max_params_cap() -> None:
    specs = tuple(LayerSpec(units=512, init=Init.ZEROS) for _ in range(8))
    with pytest.raises(ConfigError, match=r"^model: [\d,]+ parameters exceed the cap of") as e:
        build_model(ModelConfig(specs), (512,), TANH_HEAD, 0)
    assert f"{MAX_PARAMS:,}" in str(e.value)


@pytest.mark.parametrize(
    "specs",
    [
        (LayerSpec(kind=LayerKind.CONV2D, kernel=8, padding=0),) * 2,
        (LayerSpec(kind=LayerKind.MAXPOOL2D, kernel=8, stride=8),) * 2,
        (LayerSpec(kind=LayerKind.AVGPOOL2D, kernel=4, stride=4),) * 3,
    ],
)
def test_cnn_shape_errors_become_config_errors(specs: tuple[LayerSpec, ...]) -> None:
    with pytest.raises(ConfigError, match=r"^model\.layers\[\d\]: "):
        build_model(ModelConfig(specs), (1, 8, 8), TANH_HEAD, 0)


def test_conv_after_flatten_is_a_config_error() -> None:
    specs = (LayerSpec(kind=LayerKind.FLATTEN), LayerSpec(kind=LayerKind.CONV2D))
    with pytest.raises(ConfigError, match=r"^model\.layers\[1\]: conv2d needs image-shaped"):
        build_model(ModelConfig(specs), (1, 8, 8), TANH_HEAD, 0)
