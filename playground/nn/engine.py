"""Pure steps: optimizer and schedule, train_step, evaluate, predict_grid, per-layer probes."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.config import Activation, Optimizer, Schedule, TrainConfig
from playground.nn.model import predicted_class, trainable_layers
from playground.nn.modes import eval_mode

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
HIST_BINS = 30
SATURATION = 0.97  # |tanh| or sigmoid distance from its mid-range beyond which a unit is saturated


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The configured optimizer over all parameters (L1/L2 are penalties, not weight decay)."""
    params, lr, opt = list(model.parameters()), cfg.lr, cfg.optimizer
    if opt == Optimizer.SGD:
        return torch.optim.SGD(params, lr=lr)
    if opt in (Optimizer.MOMENTUM, Optimizer.NESTEROV):
        return torch.optim.SGD(
            params, lr=lr, momentum=cfg.momentum, nesterov=opt == Optimizer.NESTEROV
        )
    if opt == Optimizer.ADAM:
        return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2))
    if opt == Optimizer.ADAMW:
        return torch.optim.AdamW(
            params, lr=lr, betas=(cfg.beta1, cfg.beta2), weight_decay=cfg.weight_decay
        )
    if opt == Optimizer.RMSPROP:
        return torch.optim.RMSprop(params, lr=lr, momentum=cfg.momentum)
    return torch.optim.Adagrad(params, lr=lr)


def scheduled_lr(cfg: TrainConfig, step: int) -> float:
    """Learning rate at a step under the configured schedule."""
    period = cfg.schedule_steps
    if cfg.schedule == Schedule.STEP:
        return cfg.lr * cfg.schedule_gamma ** (step // period)
    if cfg.schedule == Schedule.COSINE:
        t = min(step, period) / period
        return cfg.min_lr + (cfg.lr - cfg.min_lr) * 0.5 * (1 + math.cos(math.pi * t))
    if cfg.schedule == Schedule.CYCLIC:  # triangular, between min_lr and lr, half period `period`
        t = (step % (2 * period)) / period
        return cfg.min_lr + (cfg.lr - cfg.min_lr) * (t if t <= 1 else 2 - t)
    return cfg.lr


def weight_params(model: nn.Module) -> list[torch.Tensor]:
    """The weights (not biases, not norm scales) that L1/L2 penalties apply to."""
    return [m.weight for _, m, _ in trainable_layers(model)]


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    target: torch.Tensor,
    loss_fn: LossFn,
    weights: list[torch.Tensor],
    l1: float = 0.0,
    l2: float = 0.0,
    grad_clip: float = 0.0,
) -> torch.Tensor:
    """One update on a batch; returns the batch's data loss (penalties excluded) as a 0-d tensor.

    The penalties l1*sum|w| and l2*sum(w^2)/2 enter through their gradients, added after
    backward: the same update as differentiating them, without building them into the graph.
    """
    optimizer.zero_grad(set_to_none=False)
    loss = loss_fn(model(X), target)
    loss.backward()
    if l1 or l2:
        with torch.no_grad():
            for w in weights:
                if l2:
                    w.grad.add_(w, alpha=l2)
                if l1:
                    w.grad.add_(torch.sign(w), alpha=l1)
    if grad_clip:
        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss.detach()


def penalty(weights: list[torch.Tensor], l1: float, l2: float) -> torch.Tensor:
    """The regularisation term l1*sum|w| + l2*sum(w^2)/2 (for oracles and reports)."""
    total = torch.zeros(())
    for w in weights:
        total = total + l1 * w.abs().sum() + l2 * 0.5 * (w * w).sum()
    return total


@dataclass(frozen=True)
class Metrics:
    loss: float
    accuracy: float  # nan for regression


def evaluate(
    model: nn.Module,
    X: torch.Tensor,
    target: torch.Tensor,
    y: torch.Tensor,
    loss_fn: LossFn,
    classification: bool,
) -> Metrics:
    """Data loss and accuracy over a whole set, in eval mode; restores the training flag."""
    with eval_mode(model), torch.no_grad():
        out = model(X)
        loss = float(loss_fn(out, target))
        acc = float((predicted_class(out) == y).float().mean()) if classification else math.nan
    return Metrics(loss, acc)


def grid_axis(bound: float, resolution: int) -> np.ndarray:
    """(R,) evenly spaced cell centres over [-bound, bound]."""
    step = 2 * bound / resolution
    return (-bound + step * (np.arange(resolution) + 0.5)).astype(np.float32)


def grid_points(bound: float, resolution: int) -> np.ndarray:
    """(R*R, 2) points of the square grid, row-major with x1 varying fastest."""
    axis = grid_axis(bound, resolution)
    xx, yy = np.meshgrid(axis, axis)
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def forward_with_activations(
    model: nn.Sequential, X: torch.Tensor
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Output and every trainable layer's activation output, in one eval-mode pass.

    Returns:
        (N, K) output, and per trainable layer (output layer last) its (N, units, ...) activations.
    """
    acts: list[torch.Tensor] = []
    hooks = [
        act.register_forward_hook(lambda _m, _i, out: acts.append(out.detach()))
        for _, _, act in trainable_layers(model)
    ]
    try:
        with eval_mode(model), torch.no_grad():
            out = model(X)
    finally:
        for h in hooks:
            h.remove()
    return out, acts


def histogram(values: torch.Tensor, bins: int = HIST_BINS) -> tuple[np.ndarray, np.ndarray]:
    """(counts (bins,), edges (bins+1,)) of all values, as float32 NumPy copies."""
    v = values.detach().double().cpu().reshape(-1).numpy()  # float64: huge ranges still bin
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        v, lo, hi = v[np.isfinite(v)], -1.0, 1.0
        v = v[(v >= lo) & (v <= hi)]
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    # np.histogram(v, bins, (lo, hi)), without its general-case overhead (a third of a probe's
    # time on small layers): the bin from the scaled value, then fixed against the edges
    edges = np.linspace(lo, hi, bins + 1)
    index = ((v - lo) / (hi - lo) * bins).astype(np.intp)
    np.minimum(index, bins - 1, out=index)  # the last bin includes hi
    index -= v < edges[index]
    index += (v >= edges[index + 1]) & (index != bins - 1)
    counts = np.bincount(index, minlength=bins)
    return counts.astype(np.float32), edges.astype(np.float32)


def activation_stats(act: torch.Tensor, activation: Activation) -> tuple[float, float]:
    """(fraction of dead units, fraction of saturated outputs) of one layer over a batch.

    A unit is dead when its output is 0 for every example (ReLU family); an output is
    saturated when tanh is beyond +-0.97 or sigmoid beyond 0.015 of 0 or 1.
    """
    a = act.reshape(act.shape[0], act.shape[1], -1).transpose(0, 1).reshape(act.shape[1], -1)
    dead = math.nan
    if activation in (Activation.RELU,):
        dead = float((a.abs().amax(dim=1) == 0).float().mean())
    saturated = math.nan
    if activation == Activation.TANH:
        saturated = float((a.abs() > SATURATION).float().mean())
    elif activation == Activation.SIGMOID:
        saturated = float(((a - 0.5).abs() > SATURATION / 2).float().mean())
    return dead, saturated
