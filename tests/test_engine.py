"""Tests for nn.engine: steps against autograd, optimizers, schedules, probes helpers."""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch import nn

from playground.config import (
    Activation,
    LayerKind,
    LayerSpec,
    Loss,
    ModelConfig,
    Optimizer,
    Schedule,
    TrainConfig,
)
from playground.nn.engine import (
    activation_stats,
    evaluate,
    forward_with_activations,
    grid_axis,
    grid_points,
    histogram,
    make_optimizer,
    penalty,
    scheduled_lr,
    train_step,
    weight_params,
)
from playground.nn.model import LOSSES, Head, build_model, predicted_class, trainable_layers
from playground.nn.modes import eval_mode
from tests.engine_fixtures import one_torch_thread

MSE = LOSSES[Loss.MSE]


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


TANH_HEAD = Head(1, Activation.TANH)


def _model(seed: int = 0, head: Head = TANH_HEAD) -> nn.Sequential:
    specs = (LayerSpec(units=5), LayerSpec(units=3, activation=Activation.RELU))
    return build_model(ModelConfig(specs), (2,), head, seed)


def _batch(n: int = 16, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g)
    return X, torch.sign(X[:, :1] * X[:, 1:])  # (N, 2), (N, 1) xor-like +-1 targets


def _manual_sgd(model: nn.Module, X, t, lr: float, l1: float, l2: float, clip: float) -> None:
    """The oracle: differentiate loss + l1*sum|w| + l2*sum(w^2)/2, clip, w -= lr * g."""
    params = list(model.parameters())
    weights = weight_params(model)
    objective = MSE(model(X), t)
    for w in weights:
        objective = objective + l1 * w.abs().sum() + l2 * (w * w).sum() / 2
    grads = torch.autograd.grad(objective, params)
    if clip:
        norm = torch.sqrt(sum((g * g).sum() for g in grads))
        grads = [g * min(1.0, clip / float(norm)) for g in grads]
    with torch.no_grad():
        for p, g in zip(params, grads):
            p -= lr * g


@pytest.mark.parametrize(
    ("l1", "l2", "clip"),
    [(0.0, 0.0, 0.0), (0.01, 0.0, 0.0), (0.0, 0.05, 0.0), (0.01, 0.05, 0.0), (0.01, 0.05, 0.1)],
)
def test_train_step_equals_manual_autograd_step(l1: float, l2: float, clip: float) -> None:
    model, X, t, lr = _model(), *_batch(), 0.1
    oracle = copy.deepcopy(model)
    expected_loss = MSE(oracle(X), t).detach()
    opt = make_optimizer(model, TrainConfig(lr=lr))
    loss = train_step(model, opt, X, t, MSE, weight_params(model), l1, l2, clip)
    assert torch.allclose(loss, expected_loss)  # the data loss, penalties excluded
    _manual_sgd(oracle, X, t, lr, l1, l2, clip)
    for (name, p), q in zip(model.named_parameters(), oracle.parameters()):
        assert torch.allclose(p, q, atol=1e-6), name


def test_grad_clip_bounds_the_update() -> None:
    model, (X, t) = _model(), _batch()
    before = [p.detach().clone() for p in model.parameters()]
    opt = make_optimizer(model, TrainConfig(lr=1.0))
    train_step(model, opt, X, t, MSE, weight_params(model), grad_clip=1e-3)
    step = torch.sqrt(
        sum(((p.detach() - b) ** 2).sum() for p, b in zip(model.parameters(), before))
    )
    assert float(step) <= 1e-3 * (1 + 1e-4)


def test_penalty_matches_its_formula() -> None:
    model = _model()
    ws = weight_params(model)
    assert len(ws) == 3 and all(w.dim() == 2 for w in ws)  # weights only, no biases
    expected = sum(
        0.2 * float(w.detach().abs().sum()) + 0.3 * float((w.detach() ** 2).sum()) / 2 for w in ws
    )
    assert float(penalty(ws, 0.2, 0.3).detach()) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("kind", list(Optimizer))
def test_every_optimizer_reduces_the_loss(kind: Optimizer) -> None:
    model, (X, t) = _model(), _batch(64)
    opt = make_optimizer(model, TrainConfig(optimizer=kind, lr=0.01))
    assert all(g["lr"] == 0.01 for g in opt.param_groups)
    first = MSE(model(X), t).item()
    for _ in range(60):
        train_step(model, opt, X, t, MSE, weight_params(model))
    assert MSE(model(X), t).item() < first


def test_optimizer_settings() -> None:
    model = _model()
    sgd = make_optimizer(model, TrainConfig(optimizer=Optimizer.SGD)).param_groups[0]
    assert sgd["momentum"] == 0 and not sgd["nesterov"]
    nes = make_optimizer(model, TrainConfig(optimizer=Optimizer.NESTEROV, momentum=0.8))
    assert nes.param_groups[0]["momentum"] == 0.8 and nes.param_groups[0]["nesterov"]
    cfg = TrainConfig(optimizer=Optimizer.ADAMW, beta1=0.8, beta2=0.99, weight_decay=0.2)
    adamw = make_optimizer(model, cfg)
    assert isinstance(adamw, torch.optim.AdamW)
    assert adamw.param_groups[0]["betas"] == (0.8, 0.99)
    assert adamw.param_groups[0]["weight_decay"] == 0.2
    adam = make_optimizer(model, TrainConfig(optimizer=Optimizer.ADAM, weight_decay=0.2))
    assert adam.param_groups[0]["weight_decay"] == 0  # L2 is a loss penalty, not decay
    n_params = len(list(model.parameters()))
    assert sum(len(g["params"]) for g in adam.param_groups) == n_params


# ---- schedules ------------------------------------------------------------------------------

LR, LO, P = 0.1, 0.01, 100


def _sched(kind: Schedule) -> TrainConfig:
    return TrainConfig(lr=LR, min_lr=LO, schedule=kind, schedule_steps=P, schedule_gamma=0.5)


def test_constant_schedule() -> None:
    assert all(scheduled_lr(_sched(Schedule.CONSTANT), s) == LR for s in (0, 1, P, 10 * P))


def test_step_schedule() -> None:
    cfg = _sched(Schedule.STEP)
    for s, k in [(0, 0), (P - 1, 0), (P, 1), (2 * P - 1, 1), (2 * P, 2), (7 * P + 3, 7)]:
        assert scheduled_lr(cfg, s) == pytest.approx(LR * 0.5**k)


def test_cosine_schedule() -> None:
    cfg = _sched(Schedule.COSINE)
    assert scheduled_lr(cfg, 0) == pytest.approx(LR)
    assert scheduled_lr(cfg, P // 2) == pytest.approx((LR + LO) / 2)
    assert scheduled_lr(cfg, P) == pytest.approx(LO)
    assert scheduled_lr(cfg, 5 * P) == pytest.approx(LO)
    for s in (10, 37, 90):
        expected = LO + (LR - LO) * (1 + math.cos(math.pi * s / P)) / 2
        assert scheduled_lr(cfg, s) == pytest.approx(expected)
    values = [scheduled_lr(cfg, s) for s in range(P + 1)]
    assert all(a >= b for a, b in itertools.pairwise(values))


def test_cyclic_schedule() -> None:
    cfg = _sched(Schedule.CYCLIC)
    for s, frac in [(0, 0), (P // 4, 0.25), (P, 1), (3 * P // 2, 0.5), (2 * P, 0), (5 * P, 1)]:
        assert scheduled_lr(cfg, s) == pytest.approx(LO + (LR - LO) * frac)
    values = [scheduled_lr(cfg, s) for s in range(4 * P)]
    assert min(values) == pytest.approx(LO) and max(values) == pytest.approx(LR)


# ---- evaluate, forward with activations --------------------------------------------------------


@pytest.mark.parametrize("training", [True, False])
def test_evaluate_restores_training_flag_and_matches(training: bool) -> None:
    specs = (LayerSpec(units=8), LayerSpec(kind=LayerKind.DROPOUT, p=0.5))
    model = build_model(ModelConfig(specs), (2,), Head(1, Activation.TANH), 0)
    model.train(training)
    X, t = _batch(40)
    y = (t[:, 0] > 0).long()
    m = evaluate(model, X, t, y, MSE, classification=True)
    assert model.training == training
    with torch.no_grad():
        out = copy.deepcopy(model).eval()(X)
    assert m.loss == pytest.approx(float(MSE(out, t)))
    assert m.accuracy == pytest.approx(float((predicted_class(out) == y).float().mean()))
    assert math.isnan(evaluate(model, X, t, y, MSE, classification=False).accuracy)


@pytest.mark.parametrize("training", [True, False])
def test_forward_with_activations_equals_own_hooks(training: bool) -> None:
    model = _model().train(training)
    X, _ = _batch(12)
    seen: list[torch.Tensor] = []
    handles = [
        act.register_forward_hook(lambda _m, _i, out: seen.append(out.detach().clone()))
        for _, _, act in trainable_layers(model)
    ]
    with torch.no_grad():
        expected_out = model(X)
    for h in handles:
        h.remove()
    out, acts = forward_with_activations(model, X)
    assert torch.equal(out, expected_out)
    assert len(acts) == len(seen) == 3
    assert all(torch.equal(a, b) for a, b in zip(acts, seen))
    assert [a.shape[1] for a in acts] == [5, 3, 1]
    assert all(not m._forward_hooks for m in model.modules())
    assert model.training == training


def test_eval_mode_restores_every_modules_own_flag() -> None:
    specs = (LayerSpec(units=8), LayerSpec(kind=LayerKind.DROPOUT, p=0.5))
    model = build_model(ModelConfig(specs), (2,), Head(1, Activation.TANH), 0).train()
    model[2].eval()  # mixed flags: the dropout alone in eval mode
    before = [m.training for m in model.modules()]
    with eval_mode(model):
        assert not any(m.training for m in model.modules())
    assert [m.training for m in model.modules()] == before
    with pytest.raises(RuntimeError), eval_mode(model):
        raise RuntimeError("inside the block")
    assert [m.training for m in model.modules()] == before


def test_grid_points_layout() -> None:
    axis = grid_axis(6.0, 4)
    assert np.allclose(axis, [-4.5, -1.5, 1.5, 4.5])
    pts = grid_points(6.0, 4)
    assert pts.shape == (16, 2) and pts.dtype == np.float32
    assert np.array_equal(pts[:4, 0], axis) and np.all(pts[:4, 1] == axis[0])  # x1 fastest
    assert np.all(pts[4:8, 1] == axis[1])


# ---- histogram and activation statistics --------------------------------------------------------


def test_histogram_equals_numpy() -> None:
    v = torch.randn(3, 50, generator=torch.Generator().manual_seed(0))
    counts, edges = histogram(v, bins=12)
    a = v.numpy().ravel()
    ref_counts, ref_edges = np.histogram(a, bins=12, range=(a.min(), a.max()))
    assert np.array_equal(counts, ref_counts.astype(np.float32))
    assert np.allclose(edges, ref_edges)
    assert counts.dtype == np.float32 and edges.dtype == np.float32
    assert counts.sum() == v.numel()


def test_histogram_equals_numpy_on_values_at_the_bin_edges() -> None:
    """Random ranges and bin counts, with values on the edges and one ulp either side, where
    the scaled value alone puts most of them in the wrong bin; and random values."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        bins = int(rng.integers(1, 40))
        lo, hi = sorted(rng.normal(size=2) * 10 ** rng.uniform(-4, 4))
        edges = np.linspace(lo, hi, bins + 1)
        near = [edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf)]
        a = np.clip(np.concatenate([*near, rng.uniform(lo, hi, 50)]), lo, hi)
        ref = np.histogram(a, bins=bins, range=(lo, hi))[0]
        assert np.array_equal(histogram(torch.tensor(a), bins)[0], ref), (trial, bins)


def test_histogram_of_constant_and_non_finite_values() -> None:
    counts, edges = histogram(torch.full((7,), 2.0), bins=5)
    assert counts.sum() == 7 and edges[0] < 2.0 < edges[-1]
    counts, edges = histogram(torch.tensor([0.5, math.inf, -0.5, math.nan]), bins=4)
    assert counts.sum() == 2 and np.isfinite(edges).all()
    counts, edges = histogram(torch.zeros(0), bins=3)
    assert counts.sum() == 0 and len(edges) == 4


def test_histogram_of_a_range_beyond_float32() -> None:
    """Finite values whose spread overflows float32 (gradients just before a divergence)."""
    counts, edges = histogram(torch.tensor([-3e38, 0.0, 3e38]), bins=4)
    assert counts.sum() == 3 and np.isfinite(edges).all()


def test_activation_stats_dead_relu() -> None:
    act = torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0]])
    dead, saturated = activation_stats(act, Activation.RELU)  # units 0 and 3 never fire
    assert dead == pytest.approx(2 / 4) and math.isnan(saturated)
    conv = torch.zeros(2, 4, 3, 3)  # (N, C, H, W): a channel is a unit
    conv[1, 2, 0, 1] = 1.0
    assert activation_stats(conv, Activation.RELU)[0] == pytest.approx(3 / 4)


def test_activation_stats_saturation() -> None:
    act = torch.tensor([[0.99, -0.999], [0.5, 0.0], [-0.98, 0.1]])
    dead, saturated = activation_stats(act, Activation.TANH)
    assert saturated == pytest.approx(3 / 6) and math.isnan(dead)
    sig = torch.tensor([[0.999, 0.001], [0.5, 0.9]])
    assert activation_stats(sig, Activation.SIGMOID)[1] == pytest.approx(2 / 4)
    assert all(math.isnan(x) for x in activation_stats(act, Activation.GELU))
