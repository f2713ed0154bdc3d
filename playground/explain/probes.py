"""Probes of a model between two steps: output and neuron grids, per-layer weights and stats."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from playground.config import Activation, Loss, Task
from playground.nn.engine import activation_stats, forward_with_activations, histogram
from playground.nn.model import RBF, Head, activation_of, trainable_layers
from playground.train.snapshot import LayerProbe


def display_output(out: torch.Tensor, head: Head, loss: Loss, task: Task) -> torch.Tensor:
    """Model output as shown over the plane.

    Returns (N, K): regression values (K=1); for two classes one score in [-1, 1] (class 1 > 0);
    for more classes per-class probabilities (raw outputs for the squared-error losses).
    """
    if task == Task.REGRESSION:
        return out
    if head.units == 1:
        if head.activation == Activation.LINEAR and loss == Loss.BCE:
            return 2 * torch.sigmoid(out) - 1
        return out
    if loss == Loss.CROSS_ENTROPY:
        p = torch.softmax(out, dim=1)
        return p[:, 1:2] * 2 - 1 if head.units == 2 else p
    return torch.sigmoid(out) if loss == Loss.BCE else out


def layer_names(model: nn.Sequential) -> list[str]:
    """ "dense 1", "conv 2", ..., "output" for each trainable layer."""
    layers = trainable_layers(model)
    names = []
    for k, (_, m, _) in enumerate(layers):
        kind = "conv" if isinstance(m, nn.Conv2d) else "rbf" if isinstance(m, RBF) else "dense"
        names.append("output" if k == len(layers) - 1 else f"{kind} {k + 1}")
    return names


def grids(
    model: nn.Sequential, X_grid: torch.Tensor, resolution: int, head: Head, loss: Loss, task: Task
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Output (K, R, R) and every hidden layer's neuron outputs (units, R, R) over the grid."""
    out, acts = forward_with_activations(model, X_grid)
    r = resolution
    shown = display_output(out, head, loss, task)
    grid = shown.T.reshape(-1, r, r).float().cpu().numpy().copy()
    neurons = tuple(a.T.reshape(-1, r, r).float().cpu().numpy().copy() for a in acts[:-1])
    return grid, neurons


def test_output(
    model: nn.Sequential, X: torch.Tensor, head: Head, loss: Loss, task: Task
) -> np.ndarray:
    """(N, K) the displayed output on a set of examples (eval mode, no grad)."""
    out, _ = forward_with_activations(model, X)
    return display_output(out, head, loss, task).float().cpu().numpy().copy()


def layer_probes(
    model: nn.Sequential,
    X_probe: torch.Tensor,
    activations: list[Activation],
    update_ratios: list[float],
) -> tuple[LayerProbe, ...]:
    """Weights, gradient norm and histograms, and activation statistics on a probe batch."""
    _, acts = forward_with_activations(model, X_probe)
    probes = []
    names = layer_names(model)
    for k, (_, m, _) in enumerate(trainable_layers(model)):
        w, grad = m.weight.detach(), m.weight.grad
        g = grad.detach() if grad is not None else torch.zeros_like(w)
        dead, saturated = activation_stats(acts[k], activations[k])
        probes.append(
            LayerProbe(
                name=names[k],
                activation=activations[k].value,
                weights=w.float().cpu().numpy().copy(),
                bias=_bias(m),
                grad_norm=float(torch.linalg.vector_norm(g)),
                update_ratio=update_ratios[k] if k < len(update_ratios) else math.nan,
                weight_hist=histogram(w),
                grad_hist=histogram(g),
                act_hist=histogram(acts[k]),
                dead_fraction=dead,
                saturated_fraction=saturated,
            )
        )
    return tuple(probes)


def _bias(m: nn.Module) -> np.ndarray:
    if m.bias is None:
        return np.zeros(m.weight.shape[0], dtype=np.float32)
    return m.bias.detach().float().cpu().numpy().copy()


def layer_activations(model: nn.Sequential) -> list[Activation]:
    """The Activation of each trainable layer's activation module."""
    return [activation_of(act) for _, _, act in trainable_layers(model)]
