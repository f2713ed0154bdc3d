"""Tests for explain.probes: grids against forward hooks, display output, layer probes."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch import nn

from playground.config import Activation, LayerKind, LayerSpec, Loss, ModelConfig, Task
from playground.explain import probes as probes_module
from playground.explain.probes import (
    display_output,
    grids,
    layer_activations,
    layer_names,
    layer_probes,
)
from playground.nn.engine import activation_stats, grid_points, histogram
from playground.nn.model import LOSSES, Head, build_model, trainable_layers
from tests.engine_fixtures import one_torch_thread

R = 20


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


def _model(head: Head) -> nn.Sequential:
    specs = (
        LayerSpec(units=5, activation=Activation.RELU),
        LayerSpec(units=3, activation=Activation.TANH),
    )
    return build_model(ModelConfig(specs), (2,), head, seed=0)


def _hooked_outputs(model: nn.Sequential, X: torch.Tensor) -> list[torch.Tensor]:
    """Every activation module's output, caught by forward hooks of our own."""
    seen: list[torch.Tensor] = []
    handles = [
        act.register_forward_hook(lambda _m, _i, out: seen.append(out.detach().clone()))
        for _, _, act in trainable_layers(model)
    ]
    with torch.no_grad():
        model.eval()(X)
    for h in handles:
        h.remove()
    return seen


@pytest.mark.parametrize(
    ("head", "loss", "task"),
    [
        (Head(1, Activation.TANH), Loss.MSE, Task.CLASSIFICATION),
        (Head(3, Activation.LINEAR), Loss.CROSS_ENTROPY, Task.CLASSIFICATION),
        (Head(1, Activation.LINEAR), Loss.MSE, Task.REGRESSION),
    ],
)
def test_grids_equal_forward_hooks(head: Head, loss: Loss, task: Task) -> None:
    model = _model(head).train()
    X = torch.from_numpy(grid_points(6.0, R))  # (R*R, 2), x1 fastest
    grid, neurons = grids(model, X, R, head, loss, task)
    assert model.training  # restored
    seen = _hooked_outputs(model, X)
    assert len(neurons) == 2  # hidden layers only
    for acts, hooked in zip(neurons, seen[:-1]):
        assert acts.shape == (hooked.shape[1], R, R) and acts.dtype == np.float32
        for u in range(hooked.shape[1]):
            assert np.array_equal(acts[u], hooked[:, u].reshape(R, R).numpy())
    shown = display_output(seen[-1], head, loss, task)
    assert grid.shape == (shown.shape[1], R, R)
    for k in range(shown.shape[1]):
        assert np.allclose(grid[k], shown[:, k].reshape(R, R).numpy(), atol=1e-6)


def test_grid_rows_follow_x2() -> None:
    """grid[k][i, j] is the output at x1 = axis[j], x2 = axis[i]."""
    head = Head(1, Activation.LINEAR)
    model = build_model(ModelConfig(()), (2,), head, 0)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0]]))  # output = x1
        model[0].bias.zero_()
    X = torch.from_numpy(grid_points(6.0, R))
    grid, _ = grids(model, X, R, head, Loss.MSE, Task.REGRESSION)
    assert np.all(np.diff(grid[0], axis=1) > 0) and np.all(np.diff(grid[0], axis=0) == 0)


def test_display_output_for_each_head() -> None:
    out1 = torch.tensor([[-2.0], [0.0], [3.0]])
    out3 = torch.tensor([[1.0, 2.0, 0.5], [-1.0, 0.0, 4.0]])
    out2 = out3[:, :2]
    cls, reg = Task.CLASSIFICATION, Task.REGRESSION
    assert torch.equal(display_output(out1, Head(1, Activation.LINEAR), Loss.MSE, reg), out1)
    assert torch.equal(display_output(out1, Head(1, Activation.TANH), Loss.MSE, cls), out1)
    bce = display_output(out1, Head(1, Activation.LINEAR), Loss.BCE, cls)
    assert torch.allclose(bce, 2 * torch.sigmoid(out1) - 1)
    ce2 = display_output(out2, Head(2, Activation.LINEAR), Loss.CROSS_ENTROPY, cls)
    assert torch.allclose(ce2, 2 * torch.softmax(out2, 1)[:, 1:] - 1)
    assert ce2.shape == (2, 1)
    ce3 = display_output(out3, Head(3, Activation.LINEAR), Loss.CROSS_ENTROPY, cls)
    assert torch.allclose(ce3, torch.softmax(out3, 1))
    mse3 = display_output(out3, Head(3, Activation.LINEAR), Loss.MSE, cls)
    assert torch.equal(mse3, out3)
    bce3 = display_output(out3, Head(3, Activation.LINEAR), Loss.BCE, cls)
    assert torch.allclose(bce3, torch.sigmoid(out3))


def test_test_output_is_the_displayed_eval_output() -> None:
    head = Head(3, Activation.LINEAR)
    specs = (LayerSpec(units=8), LayerSpec(kind=LayerKind.DROPOUT, p=0.5))
    model = build_model(ModelConfig(specs), (2,), head, 0).train()
    X = torch.randn(30, 2, generator=torch.Generator().manual_seed(2))
    # called through the module: a name starting with test_ would be collected by pytest
    got = probes_module.test_output(model, X, head, Loss.CROSS_ENTROPY, Task.CLASSIFICATION)
    assert model.training
    with torch.no_grad():
        expected = torch.softmax(model.eval()(X), dim=1).numpy()
    assert got.shape == (30, 3) and np.allclose(got, expected, atol=1e-6)


def test_layer_probes_against_a_backward_we_run() -> None:
    head = Head(1, Activation.TANH)
    model = _model(head)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 2, generator=g)
    t = torch.sign(X[:, :1])
    LOSSES[Loss.MSE](model(X), t).backward()
    acts = layer_activations(model)
    assert acts == [Activation.RELU, Activation.TANH, Activation.TANH]
    probes = layer_probes(model, X, acts, [0.1, 0.2])
    seen = _hooked_outputs(model.train(), X)
    assert [p.name for p in probes] == ["dense 1", "dense 2", "output"] == layer_names(model)
    for k, (p, (_, m, _)) in enumerate(zip(probes, trainable_layers(model))):
        assert p.grad_norm == pytest.approx(float(torch.linalg.vector_norm(m.weight.grad)))
        assert np.array_equal(p.weights, m.weight.detach().numpy())
        assert np.array_equal(p.bias, m.bias.detach().numpy())
        assert not np.shares_memory(p.weights, m.weight.detach().numpy())
        for got, ref in zip(p.grad_hist, histogram(m.weight.grad)):
            assert np.array_equal(got, ref)
        for got, ref in zip(p.act_hist, histogram(seen[k])):
            assert np.array_equal(got, ref)
        dead, saturated = activation_stats(seen[k], acts[k])
        assert _same(p.dead_fraction, dead) and _same(p.saturated_fraction, saturated)
        assert p.activation == acts[k].value
    assert [p.update_ratio for p in probes[:2]] == [0.1, 0.2] and math.isnan(probes[2].update_ratio)


def test_layer_probes_without_gradients() -> None:
    model = _model(Head(1, Activation.TANH))
    probes = layer_probes(model, torch.zeros(4, 2), layer_activations(model), [])
    assert all(p.grad_norm == 0.0 for p in probes)


def test_conv_layer_names_and_probes() -> None:
    specs = (LayerSpec(kind=LayerKind.CONV2D, channels=4, activation=Activation.RELU),)
    model = build_model(ModelConfig(specs), (1, 8, 8), Head(10, Activation.LINEAR), 0)
    assert layer_names(model) == ["conv 1", "output"]
    probes = layer_probes(model, torch.randn(3, 1, 8, 8), layer_activations(model), [])
    assert probes[0].weights.shape == (4, 1, 3, 3) and probes[0].bias.shape == (4,)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b
