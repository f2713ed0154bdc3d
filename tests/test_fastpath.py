"""Tests for nn.fastpath: the NumPy SGD step against autograd + torch.optim.SGD, every case.

The step runs in the parameters' dtype. In float64 both sides agree to rounding (~1e-14), a
sharp oracle; in float32, the app's dtype, some of these short runs amplify rounding to ~2e-5
of the weights' scale, so float32 is checked at 2e-4 of it.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools

import numpy as np
import pytest
import torch
from torch import nn

from playground.config import (
    Activation,
    DataConfig,
    DatasetName,
    LayerKind,
    LayerSpec,
    Loss,
    ModelConfig,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.nn.fastpath import FastStep
from playground.nn.model import LOSSES, build_model, encode_targets, output_head, trainable_layers

N = 24  # examples; "full" batches take them all
STEPS = 6
LR = 0.3
ACTS = ["tanh", "relu", "sigmoid", "linear"]
LOSS_NAMES = ["square", "mse", "bce", "cross_entropy"]
PENALTIES = {"none": (0.0, 0.0), "l1": (0.01, 0.0), "l2": (0.0, 0.02), "both": (0.01, 0.02)}
BATCHES = {"1": 1, "10": 10, "full": N}
CPU = torch.device("cpu")
DTYPES = {"float64": torch.float64, "float32": torch.float32}


def _config(act: str, loss: str, l1: float = 0.0, l2: float = 0.0) -> RunConfig:
    """Two hidden layers of `act`; the output head as the app chooses it (logits for bce/ce)."""
    spiral = loss == "cross_entropy"
    data = DataConfig(name=DatasetName.SPIRAL if spiral else DatasetName.CIRCLE)
    data = DataConfig(name=data.name, n_classes=3 if spiral else 2)
    layers = tuple(LayerSpec(units=u, activation=Activation(act)) for u in (5, 4))
    train = TrainConfig(loss=Loss(loss), optimizer=Optimizer.SGD, lr=LR, l1=l1, l2=l2)
    return RunConfig(data=data, model=ModelConfig(layers), train=train)


def _problem(
    cfg: RunConfig, dtype: torch.dtype = torch.float32
) -> tuple[nn.Sequential, torch.Tensor, torch.Tensor]:
    """A seeded model, inputs (N, 2) and targets as encode_targets makes them, in dtype."""
    n_classes = cfg.data.num_classes
    head = output_head(cfg, n_classes)
    model = build_model(cfg.model, (2,), head, seed=7).train().to(dtype)
    g = torch.Generator().manual_seed(1)
    X = torch.randn(N, 2, generator=g) * 2
    y = torch.randint(0, n_classes, (N,), generator=g)
    t = encode_targets(y, cfg.data.task, head, cfg.train.loss)
    return model, X.to(dtype), t.to(dtype) if t.is_floating_point() else t


def _reference_step(
    model: nn.Sequential, opt: torch.optim.Optimizer, X: torch.Tensor, t: torch.Tensor, cfg
) -> float:
    """Autograd through loss + l1 sum|w| + l2 sum(w^2)/2 over the weights, then SGD."""
    tc = cfg.train
    opt.zero_grad()
    data_loss = LOSSES[tc.loss](model(X), t)
    weights = [m.weight for _, m, _ in trainable_layers(model)]
    penalty = sum(tc.l1 * w.abs().sum() + tc.l2 * 0.5 * (w * w).sum() for w in weights)
    (data_loss + penalty).backward()
    opt.step()
    return data_loss.item()


def _run_both(
    cfg: RunConfig, batch: int, dtype: torch.dtype = torch.float32
) -> tuple[nn.Sequential, nn.Sequential, list, list]:
    model, X, t = _problem(cfg, dtype)
    ref = copy.deepcopy(model)
    opt = torch.optim.SGD(ref.parameters(), lr=LR)
    fast = FastStep(model, cfg.train.loss)
    Xn, tn = X.numpy(), t.numpy()
    fast_losses, ref_losses = [], []
    for step in range(STEPS):
        rows = slice((step * batch) % N, (step * batch) % N + batch)
        fast_losses.append(fast.step(Xn[rows], tn[rows], LR, cfg.train.l1, cfg.train.l2))
        ref_losses.append(_reference_step(ref, opt, X[rows], t[rows], cfg))
    return model, ref, fast_losses, ref_losses


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("act", "loss", "penalty", "batch"),
    list(itertools.product(ACTS, LOSS_NAMES, PENALTIES, BATCHES)),
)
def test_fast_step_equals_autograd_and_torch_sgd(act, loss, penalty, batch, dtype) -> None:
    cfg = _config(act, loss, *PENALTIES[penalty])
    model, ref, fast_losses, ref_losses = _run_both(cfg, BATCHES[batch], DTYPES[dtype])
    assert FastStep.supports(model, cfg, CPU)
    rel = 1e-9 if dtype == "float64" else 2e-4  # of each tensor's largest entry
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        assert p.dtype == q.dtype == DTYPES[dtype]
        scale = float(q.detach().abs().max())
        torch.testing.assert_close(
            p, q, rtol=0, atol=rel * scale, msg=lambda m, n=name: f"{n}: {m}"
        )
    # A float32 loss near 0 (a linear output at its target) is a difference of equal numbers:
    # it keeps the outputs' absolute rounding (~1e-11 here), not their relative precision.
    floor = 0.0 if dtype == "float64" else 1e-9
    assert fast_losses == pytest.approx(ref_losses, rel=rel, abs=floor)


def test_every_parameter_moves() -> None:
    """Guard: the comparison above would pass vacuously if neither side updated anything."""
    cfg = _config("tanh", "mse", *PENALTIES["both"])
    model, _, _, _ = _run_both(cfg, BATCHES["10"])
    start, _, _ = _problem(cfg)
    for p, p0 in zip(model.parameters(), start.parameters()):
        assert not torch.equal(p, p0)


def test_gradients_stay_in_the_models_grad_tensors() -> None:
    cfg = _config("relu", "bce")
    model, X, t = _problem(cfg)
    FastStep(model, cfg.train.loss).step(X.numpy(), t.numpy(), 0.0, 0.0, 0.0)  # lr 0: no update
    ref = copy.deepcopy(model)
    for p in ref.parameters():
        p.grad = None
    LOSSES[cfg.train.loss](ref(X), t).backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "change",
    [
        {"optimizer": Optimizer.ADAM},
        {"grad_clip": 1.0},
        {"loss": Loss.HUBER},
    ],
)
def test_supports_refuses_what_it_cannot_do(change: dict) -> None:
    cfg = _config("tanh", "mse")
    model, _, _ = _problem(cfg)
    train = dataclasses.replace(cfg.train, **change)
    assert not FastStep.supports(model, cfg.replace(train=train), CPU)


def test_supports_refuses_other_activations_and_layers() -> None:
    cfg = _config("tanh", "mse")
    gelu = RunConfig(data=cfg.data, model=ModelConfig((LayerSpec(activation=Activation.GELU),)))
    model, _, _ = _problem(gelu)
    assert not FastStep.supports(model, cfg, CPU)
    dropout = ModelConfig((LayerSpec(), LayerSpec(kind=LayerKind.DROPOUT, p=0.1)))
    model, _, _ = _problem(RunConfig(data=cfg.data, model=dropout, train=cfg.train))
    assert not FastStep.supports(model, cfg, CPU)
    assert not FastStep.supports(_problem(cfg)[0], cfg, torch.device("meta"))


def test_fast_step_keeps_float32() -> None:
    cfg = _config("sigmoid", "cross_entropy", *PENALTIES["both"])
    model, X, t = _problem(cfg)
    loss = FastStep(model, cfg.train.loss).step(X.numpy(), t.numpy(), LR, 0.01, 0.02)
    assert isinstance(loss, float) and np.isfinite(loss)
    assert all(p.dtype == torch.float32 for p in model.parameters())
