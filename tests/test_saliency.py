"""Tests for explain.saliency: oracles (linear models, completeness, Captum) and state."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from captum.attr import (
    DeepLift,
    GuidedBackprop,
    InputXGradient,
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from torch import nn

from playground.explain.saliency import (
    METHODS,
    attribute,
    default_options,
    gaussian_blur,
    input_gradient_grid,
    make_baseline,
)
from playground.nn.model import build_model, output_head
from playground.presets import PRESETS

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _mlp(seed: int = 0, act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 16), act(), nn.Linear(16, 10))


def _cnn(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 16, 10),
    )


def _images(n: int = 3, seed: int = 1) -> torch.Tensor:
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))  # (N, 1, 8, 8)


def _linear(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


def _options_for(method: str, x: torch.Tensor) -> dict:
    return {"mean_image": x.mean(0)} if "mean_image" in METHODS[method].options else {}


# --- registry --------------------------------------------------------------------------------


def test_registry_entries_are_complete() -> None:
    assert set(METHODS) == {
        "gradient",
        "input_x_gradient",
        "smoothgrad",
        "integrated_gradients",
        "gradcam",
        "occlusion",
        "guided_backprop",
        "deeplift",
    }
    for name, info in METHODS.items():
        assert info.name == name and info.description and "\n" not in info.description
        assert "arxiv.org" in info.paper and any(str(y) in info.paper for y in range(2013, 2018))
        assert set(default_options(name)) == set(info.options)
    assert [n for n, i in METHODS.items() if i.needs_conv] == ["gradcam"]


def test_unknown_method_and_option_are_named() -> None:
    x = _images()
    with pytest.raises(ValueError, match="'nope'"):
        attribute(_mlp(), x, 0, "nope")
    with pytest.raises(ValueError, match="'n_steps'.*'gradient'"):
        attribute(_mlp(), x, 0, "gradient", n_steps=3)
    with pytest.raises(ValueError, match="'sideways'"):
        attribute(_mlp(), x, 0, "integrated_gradients", baseline="sideways")
    with pytest.raises(ValueError, match="mean_image"):
        attribute(_mlp(), x, 0, "integrated_gradients", baseline="mean")


# --- oracles -----------------------------------------------------------------------------------


def test_gradient_of_linear_model_is_the_weight_row() -> None:
    model, x, t = _linear(), _images(), 7
    row = model[1].weight[t].detach().reshape(1, 8, 8)  # (1, 8, 8)
    torch.testing.assert_close(attribute(model, x, t, "gradient"), row.expand_as(x))
    torch.testing.assert_close(attribute(model, x, t, "input_x_gradient"), row * x)


def test_gradient_with_per_example_targets() -> None:
    model, x = _linear(), _images()
    targets = torch.tensor([2, 5, 9])
    rows = model[1].weight[targets].detach().reshape(3, 1, 8, 8)
    torch.testing.assert_close(attribute(model, x, targets, "gradient"), rows)


@pytest.mark.parametrize("baseline", ["zeros", "blurred", "mean"])
@pytest.mark.parametrize("make", [_mlp, _cnn])
def test_integrated_gradients_completeness(make, baseline: str) -> None:
    model, x, t = make(), _images(), 4
    opts = {"mean_image": x.mean(0)} if baseline == "mean" else {}
    # 256 Gauss-Legendre steps: the path integral of a piecewise-linear net to ~1e-4 here.
    attr = attribute(model, x, t, "integrated_gradients", baseline=baseline, n_steps=256, **opts)
    base = make_baseline(x, baseline, **opts)
    with torch.no_grad():
        gap = model(x)[:, t] - model(base)[:, t]  # (N,)
    torch.testing.assert_close(attr.sum(dim=(1, 2, 3)), gap, atol=2e-3, rtol=1e-2)


def test_deeplift_sums_to_the_difference_from_its_baseline() -> None:
    model, x, t = _mlp(), _images(), 1  # Rescale rule on ReLU: summation-to-delta holds exactly
    attr = attribute(model, x, t, "deeplift")
    with torch.no_grad():
        gap = model(x)[:, t] - model(torch.zeros_like(x))[:, t]
    torch.testing.assert_close(attr.sum(dim=(1, 2, 3)), gap, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("make", [_mlp, _cnn])
def test_deeplift_blurred_baseline_is_a_constant(make) -> None:
    # The blurred baseline is a function of x: no gradient may flow through it into the map.
    model, x, t = make(), _images(), 2
    ours = attribute(model, x, t, "deeplift", baseline="blurred", blur_sigma=1.0)
    base = gaussian_blur(x, 1.0).detach()
    m = copy.deepcopy(model).eval()
    want = DeepLift(m).attribute(x.clone().requires_grad_(True), baselines=base, target=t)
    torch.testing.assert_close(ours, want.detach())
    if make is _mlp:  # ReLU only (no max-pool): summation-to-delta holds exactly
        with torch.no_grad():
            gap = model(x)[:, t] - model(base)[:, t]  # (N,)
        torch.testing.assert_close(ours.sum(dim=(1, 2, 3)), gap, atol=1e-5, rtol=1e-4)


def test_gaussian_blur_keeps_constants_and_smooths() -> None:
    const = torch.full((2, 3, 8, 8), 0.7)
    torch.testing.assert_close(gaussian_blur(const, 1.0), const)
    spike = torch.zeros(1, 1, 8, 8)
    spike[0, 0, 4, 4] = 1.0
    blurred = gaussian_blur(spike, 1.0)
    assert blurred.argmax() == spike.argmax() and blurred.max() < 1.0
    torch.testing.assert_close(blurred.sum(), torch.tensor(1.0))  # mass kept away from edges


# --- every method, shapes, Captum equality ---------------------------------------------------


def _captum(method: str, model: nn.Module, x: torch.Tensor, t: int) -> torch.Tensor:
    """The same attribution by a direct Captum call, on an eval copy of the model."""
    m = copy.deepcopy(model).eval()
    x = x.clone().requires_grad_(True)
    base = torch.zeros_like(x)
    if method == "gradient":
        return Saliency(m).attribute(x, target=t, abs=False)
    if method == "input_x_gradient":
        return InputXGradient(m).attribute(x, target=t)
    if method == "smoothgrad":
        with torch.random.fork_rng():
            torch.manual_seed(0)
            nt = NoiseTunnel(Saliency(m))
            return nt.attribute(
                x, nt_type="smoothgrad", nt_samples=25, stdevs=0.15, target=t, abs=False
            )
    if method == "integrated_gradients":
        return IntegratedGradients(m).attribute(x, baselines=base, target=t, n_steps=50)
    if method == "gradcam":
        cam = LayerGradCam(m, m[3]).attribute(x, target=t, relu_attributions=True)
        return LayerAttribution.interpolate(cam, (8, 8), "bilinear").expand_as(x)
    if method == "occlusion":
        occ = Occlusion(m)
        return occ.attribute(
            x,
            sliding_window_shapes=(1, 2, 2),
            strides=1,
            baselines=0.0,
            target=t,
            perturbations_per_eval=16,
        )
    if method == "guided_backprop":
        return GuidedBackprop(m).attribute(x, target=t)
    return DeepLift(m).attribute(x, baselines=base, target=t)


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("make", [_mlp, _cnn])
def test_every_method_matches_captum_and_keeps_the_shape(make, method: str) -> None:
    model, x, t = make(), _images(), 3
    if METHODS[method].needs_conv and make is _mlp:
        with pytest.raises(ValueError, match="Conv2d"):
            attribute(model, x, t, method)
        return
    ours = attribute(model, x, t, method)
    assert ours.shape == x.shape and ours.dtype == torch.float32 and not ours.requires_grad
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, _captum(method, model, x, t).detach())


def test_gradcam_layer_option_and_bad_layer() -> None:
    model, x = _cnn(), _images()
    first = attribute(model, x, 0, "gradcam", layer=0)
    assert first.shape == x.shape
    with pytest.raises(ValueError, match="layer"):
        attribute(model, x, 0, "gradcam", layer=99)
    with pytest.raises(ValueError, match="N, C, H, W"):
        attribute(model, x, 0, "gradcam", layer=6)  # the Linear layer: no spatial output


def test_smoothgrad_is_seeded_and_leaves_the_global_rng_alone() -> None:
    model, x = _cnn(), _images()
    state = torch.get_rng_state()
    a = attribute(model, x, 2, "smoothgrad", n_samples=8, seed=5)
    assert torch.equal(torch.get_rng_state(), state)
    torch.testing.assert_close(a, attribute(model, x, 2, "smoothgrad", n_samples=8, seed=5))
    assert not torch.allclose(a, attribute(model, x, 2, "smoothgrad", n_samples=8, seed=6))


# --- state is left as found ---------------------------------------------------------------------


def _state(model: nn.Module, x: torch.Tensor) -> list:
    params = [
        (p.detach().clone(), p.requires_grad, None if p.grad is None else p.grad.clone())
        for p in model.parameters()
    ]
    hooks = [
        (len(m._forward_hooks), len(m._forward_pre_hooks), len(m._backward_hooks))
        for m in model.modules()
    ]
    flags = [m.training for m in model.modules()]
    xg = None if x.grad is None else x.grad.clone()
    return [params, hooks, flags, x.detach().clone(), x.requires_grad, xg]


def _same(a: object, b: object) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("training", [True, False])
def test_model_and_input_state_unchanged(training: bool) -> None:
    model = nn.Sequential(*_cnn()[:6], nn.Dropout(0.5), _cnn()[6])  # dropout: eval mode matters
    model.train(training)
    model[0].weight.requires_grad_(False)  # one frozen parameter, one with a stale .grad
    model[3].weight.grad = torch.ones_like(model[3].weight)
    x = _images().requires_grad_(training)
    if training:
        x.grad = torch.full_like(x, 2.0)
    before = _state(model, x)
    for method in METHODS:
        out = attribute(model, x, 1, method, **_options_for(method, x))
        assert _same(_state(model, x), before), method
        if method != "smoothgrad":  # eval copy: dropout off, so runs repeat exactly
            torch.testing.assert_close(out, attribute(model, x, 1, method))


def test_attribute_works_under_no_grad() -> None:
    model, x = _linear(), _images()
    with torch.no_grad():
        out = attribute(model, x, 0, "gradient")
    torch.testing.assert_close(out, model[1].weight[0].detach().reshape(1, 8, 8).expand_as(x))


# --- input gradient field for 2-D problems --------------------------------------------------------


def _grid() -> tuple[np.ndarray, np.ndarray]:
    return np.linspace(-2, 2, 5), np.linspace(-1, 1, 4)


def test_input_gradient_of_a_linear_model_is_constant_weights() -> None:
    torch.manual_seed(0)
    model = nn.Linear(2, 3)
    xs, ys = _grid()
    gx, gy = input_gradient_grid(model, lambda p: p, xs, ys, output_index=1)
    assert gx.shape == gy.shape == (4, 5) and gx.dtype == np.float32
    w = model.weight[1].detach().numpy()
    np.testing.assert_allclose(gx, np.full((4, 5), w[0]), rtol=1e-6)
    np.testing.assert_allclose(gy, np.full((4, 5), w[1]), rtol=1e-6)
    assert all(p.grad is None for p in model.parameters())


def test_input_gradient_applies_the_chain_rule_through_features() -> None:
    torch.manual_seed(0)
    model = nn.Linear(3, 1)  # on features (x1, x2, x1^2): d/dx1 = w0 + 2 w2 x1, d/dx2 = w1
    xs, ys = _grid()
    gx, gy = input_gradient_grid(
        model, lambda p: torch.stack([p[:, 0], p[:, 1], p[:, 0] ** 2], 1), xs, ys
    )
    w = model.weight[0].detach().numpy()
    grid_x, _ = np.meshgrid(xs, ys)
    np.testing.assert_allclose(gx, w[0] + 2 * w[2] * grid_x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gy, np.full_like(gy, w[1]), rtol=1e-6)


def test_input_gradient_matches_autograd_point_by_point_and_restores_mode() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).train()

    def features(p: torch.Tensor) -> torch.Tensor:
        return torch.stack([p[:, 0], p[:, 1], p[:, 0] * p[:, 1], torch.sin(p[:, 0])], 1)

    xs, ys = _grid()
    gx, gy = input_gradient_grid(model, features, xs, ys)
    assert model.training and all(m.training for m in model.modules())
    for j, y in enumerate(ys):
        for i, xv in enumerate(xs):
            p = torch.tensor([[xv, y]], dtype=torch.float32, requires_grad=True)
            (g,) = torch.autograd.grad(model(features(p))[0, 0], p)
            np.testing.assert_allclose([gx[j, i], gy[j, i]], g[0].numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("preset", ["digits-mlp", "digits-cnn"])
def test_every_method_runs_on_the_digits_presets_models(preset: str) -> None:
    cfg = PRESETS[preset][1]
    model, x = build_model(cfg.model, (1, 8, 8), output_head(cfg, 10), seed=0), _images(2)
    for method, info in METHODS.items():
        if info.needs_conv and preset == "digits-mlp":
            continue
        out = attribute(model, x, torch.tensor([0, 9]), method, **_options_for(method, x))
        assert out.shape == x.shape and torch.isfinite(out).all(), method


def test_input_gradients_through_features_match_autograd():
    """Chain rule through the NumPy features (x1^2, sin(x2), a typed expression) equals an
    all-torch computation of the same features."""
    from playground.explain.saliency import differentiable_features, input_gradient_grid

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 1))
    features, custom = ("x1^2", "sin(x2)", "x1*x2"), ("exp(-x1^2)",)

    def torch_features(p: torch.Tensor) -> torch.Tensor:
        a, b = p[:, 0], p[:, 1]
        return torch.stack([a * a, torch.sin(b), a * b, torch.exp(-a * a)], dim=1)

    xs = ys = np.linspace(-2, 2, 7)
    gx, gy = input_gradient_grid(model, differentiable_features(features, custom), xs, ys)
    ex, ey = input_gradient_grid(model, torch_features, xs, ys)
    np.testing.assert_allclose(gx, ex, atol=1e-5, rtol=1e-4)
    np.testing.assert_allclose(gy, ey, atol=1e-5, rtol=1e-4)
