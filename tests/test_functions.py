"""Tests for nn.functions: every activation and loss of the one table against torch.autograd."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest
import torch
from torch import nn

from playground.config import Activation, Loss
from playground.nn.functions import (
    ACTIVATION_FNS,
    LOSS_FNS,
    activation_name,
    log_softmax,
    sigmoid,
    softmax,
)
from playground.nn.model import ACTIVATIONS, LOSSES, activation_of

NAMES = list(ACTIVATION_FNS)
WITH_FORWARD = [n for n in NAMES if ACTIVATION_FNS[n].forward]
WITH_BACKWARD = [n for n in NAMES if ACTIVATION_FNS[n].backward]
WITH_JACOBIAN = [n for n in NAMES if ACTIVATION_FNS[n].jacobian]
NUMPY_LOSSES = [n for n in LOSS_FNS if LOSS_FNS[n].value_and_grad]
TOL = {"rtol": 1e-12, "atol": 1e-12}


def _net(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """float64 pre-activations with a few saturating ones and an exact 0 (relu's kink)."""
    z = np.random.default_rng(seed).normal(0.0, 3.0, shape)
    z.flat[0], z.flat[1] = 0.0, 30.0
    return z


def _torch_out(name: str, z: np.ndarray) -> torch.Tensor:
    return ACTIVATION_FNS[name].module()(torch.tensor(z))


# ---- the table itself ---------------------------------------------------------------------------


def test_the_numpy_engines_find_what_they_need() -> None:
    assert set(WITH_FORWARD) == {"relu", "tanh", "sigmoid", "linear", "softmax"}
    assert set(WITH_BACKWARD) == {"relu", "tanh", "sigmoid", "linear"}
    assert set(WITH_JACOBIAN) == {"relu", "tanh", "sigmoid", "linear", "softmax"}
    assert set(NUMPY_LOSSES) == {"half_sse", "square", "mse", "cross_entropy", "bce"}
    assert {Activation(a).value for a in Activation} <= set(NAMES)
    assert {loss.value for loss in Loss} <= set(LOSS_FNS)


@pytest.mark.parametrize("name", NAMES)
def test_module_factory_makes_a_fresh_module_that_maps_back_to_its_name(name: str) -> None:
    fn = ACTIVATION_FNS[name]
    a, b = fn.module(), fn.module()
    assert isinstance(a, nn.Module) and a is not b  # Captum needs one module per use
    assert activation_name(a) == name == fn.name


def test_model_registries_come_from_the_table() -> None:
    assert list(ACTIVATIONS) == list(Activation)
    for a, make in ACTIVATIONS.items():
        assert make is ACTIVATION_FNS[a.value].module
    assert set(LOSSES) == set(Loss)
    for loss, fn in LOSSES.items():
        assert fn is LOSS_FNS[loss.value].torch


def test_activation_of_reads_the_module_type() -> None:
    assert activation_of(nn.LeakyReLU(0.01)) == Activation.LEAKY_RELU
    assert activation_of(nn.Identity()) == Activation.LINEAR
    for odd in (nn.Softmax(dim=1), nn.Hardtanh(), nn.Linear(2, 2)):
        assert activation_of(odd) == Activation.LINEAR  # not an Activation of the model builder
    assert activation_name(nn.Hardtanh()) is None


# ---- activations --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WITH_FORWARD)
def test_numpy_forward_is_the_torch_module(name: str) -> None:
    z = _net((4, 5))
    np.testing.assert_allclose(ACTIVATION_FNS[name].forward(z), _torch_out(name, z).numpy(), **TOL)


@pytest.mark.parametrize("name", WITH_BACKWARD)
def test_backward_from_the_output_is_autograds_vector_jacobian_product(name: str) -> None:
    fn, z = ACTIVATION_FNS[name], _net((6, 4))
    d = np.random.default_rng(1).normal(size=z.shape)  # dE/dout
    zt = torch.tensor(z, requires_grad=True)
    (want,) = torch.autograd.grad(fn.module()(zt), zt, grad_outputs=torch.tensor(d))
    got = fn.backward(d, fn.forward(z))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)


def test_backward_keeps_float32() -> None:
    z = _net((3, 4)).astype(np.float32)
    for name in WITH_BACKWARD:
        fn = ACTIVATION_FNS[name]
        assert fn.backward(np.ones_like(z), fn.forward(z)).dtype == np.float32, name


@pytest.mark.parametrize("name", WITH_JACOBIAN)
def test_jacobian_is_autograds(name: str) -> None:
    fn, net = ACTIVATION_FNS[name], _net((5,), seed=2)
    want = torch.autograd.functional.jacobian(fn.module(), torch.tensor(net))  # [k, j]
    got = fn.jacobian(net, fn.forward(net))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-15)


def test_tanh_jacobian_stays_exact_where_the_output_has_saturated() -> None:
    fn, net = ACTIVATION_FNS["tanh"], np.array([20.0, -20.0, 0.5])
    out = fn.forward(net)
    assert np.all(fn.backward(np.ones(3), out)[:2] == 0)  # 1 - tanh(20)^2 rounds to 0 ...
    exact = torch.cosh(torch.tensor(net)) ** -2  # ... sech(20)^2 does not
    np.testing.assert_allclose(np.diag(fn.jacobian(net, out)), exact.numpy(), rtol=1e-12)


def _exact_jacobian(name: str, net: np.ndarray) -> np.ndarray:
    """The Jacobian in 50-digit decimals (torch's autograd rounds out (1 - out) to 0 here)."""
    with localcontext() as ctx:
        ctx.prec = 50
        z = [Decimal(float(v)) for v in net]
        if name == "sigmoid":
            return np.diag([float(p * (1 - p)) for p in [1 / (1 + (-v).exp()) for v in z]])
        e = [v.exp() for v in z]
        o = [v / sum(e) for v in e]
        return np.array([[float(a * ((k == j) - b)) for j, b in enumerate(o)]
                         for k, a in enumerate(o)])  # fmt: skip


@pytest.mark.parametrize("name", ["sigmoid", "softmax"])
def test_jacobian_keeps_its_tiny_entries_where_the_output_has_saturated(name: str) -> None:
    # out rounds to 0 or 1 here; out (1 - out) from out would be 0, the true values are not
    fn, net = ACTIVATION_FNS[name], np.array([40.0, -40.0, 0.5])
    got = fn.jacobian(net, fn.forward(net))
    np.testing.assert_allclose(got, _exact_jacobian(name, net), rtol=1e-13, atol=0)
    exact = [float(1 / (1 + (-Decimal(v)).exp())) for v in net]
    np.testing.assert_allclose(sigmoid(net), exact, rtol=1e-15)


def test_helpers_match_torch() -> None:
    z = _net((3, 4))
    zt = torch.tensor(z)
    np.testing.assert_allclose(sigmoid(z), torch.sigmoid(zt).numpy(), **TOL)
    np.testing.assert_allclose(softmax(z), torch.softmax(zt, -1).numpy(), **TOL)
    np.testing.assert_allclose(log_softmax(z), torch.log_softmax(zt, -1).numpy(), **TOL)
    assert np.isfinite(log_softmax(np.array([0.0, 1000.0]))).all()


# ---- losses -------------------------------------------------------------------------------------


def _targets(name: str, shape: tuple[int, ...], indices: bool = False) -> np.ndarray:
    rng = np.random.default_rng(3)
    if indices:
        return rng.integers(0, shape[-1], shape[0])
    if name == "cross_entropy":  # probabilities, one row with a 0 entry (0 log 0 = 0)
        t = rng.uniform(0.0, 1.0, shape)
        t.reshape(-1, shape[-1])[0, 0] = 0.0
        return t / t.sum(axis=-1, keepdims=True)
    return rng.uniform(0.0, 1.0, shape)  # bce needs [0, 1]; any values do for the others


CASES = [(n, s, False) for n in NUMPY_LOSSES for s in [(4,), (6, 3)]]
CASES += [("cross_entropy", (6, 3), True)]


@pytest.mark.parametrize(("name", "shape", "indices"), CASES)
def test_loss_value_and_gradient_are_autograds(name: str, shape: tuple, indices: bool) -> None:
    fn, out = LOSS_FNS[name], _net(shape, seed=4)
    t = _targets(name, shape, indices)
    out_t = torch.tensor(out, requires_grad=True)
    want = fn.torch(out_t, torch.tensor(t))
    (want_grad,) = torch.autograd.grad(want, out_t)
    value, grad = fn.value_and_grad(out, t)
    assert isinstance(value, float)
    assert value == pytest.approx(want.item(), rel=1e-12)
    np.testing.assert_allclose(grad, want_grad.numpy(), rtol=1e-12, atol=1e-15)


def test_torch_losses_are_the_documented_formulas() -> None:
    out, t = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([1.0, 0.0, 1.0])
    assert float(LOSS_FNS["half_sse"].torch(out, t)) == pytest.approx(0.5 * (0.25 + 1.0 + 1.0))
    assert float(LOSS_FNS["mse"].torch(out, t)) == pytest.approx((0.25 + 1.0 + 1.0) / 3)
    assert float(LOSS_FNS["mae"].torch(out, t)) == pytest.approx((0.5 + 1.0 + 1.0) / 3)


def test_losses_on_logits_name_their_output_activation() -> None:
    links = {n: fn.link for n, fn in LOSS_FNS.items() if fn.link}
    assert links == {"cross_entropy": "softmax", "bce": "sigmoid"}
    assert all(ACTIVATION_FNS[a].forward for a in links.values())


def test_numpy_losses_keep_float32() -> None:
    out = _net((5, 3)).astype(np.float32)
    for name in ("mse", "bce"):
        t = _targets(name, (5, 3)).astype(np.float32)
        assert LOSS_FNS[name].value_and_grad(out, t)[1].dtype == np.float32, name
    t_idx = _targets("cross_entropy", (5, 3), indices=True)
    assert LOSS_FNS["cross_entropy"].value_and_grad(out, t_idx)[1].dtype == np.float32
