"""The one activation and loss table: torch modules, NumPy math and derivatives, by name.

The NumPy engines (the fast SGD step, the backprop trace) and the model builder all read it;
tests/test_functions.py checks every entry against torch.autograd.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

Array = np.ndarray
TorchLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def sigmoid(z: Array) -> Array:
    """1 / (1 + e^-z) without overflow, and to full relative precision in both tails."""
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0, e) / (1.0 + e)  # e^z / (1 + e^z) below 0


def softmax(z: Array) -> Array:
    """Softmax over the last axis (shifted by the maximum, so large logits do not overflow)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z: Array) -> Array:
    """log(softmax(z)) over the last axis, without taking the log of a rounded-off 0."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@dataclass(frozen=True)
class ActivationFn:
    """One activation: its torch module and, where a NumPy engine uses it, its math.

    backward is the chain rule through the output, cheap on a batch: (dE/dout, out) -> dE/dnet,
    element-wise (tanh' = 1 - out^2, ...). jacobian is exact from the pre-activation even where
    the output has rounded to its limit: (net (n,), out (n,)) -> J (n, n), J[k, j] = dout_k/dnet_j.
    """

    name: str
    module: Callable[[], nn.Module]  # a new module per call: Captum needs one per use
    forward: Callable[[Array], Array] | None = None  # net -> out (softmax: over the last axis)
    backward: Callable[[Array, Array], Array] | None = None  # None: not element-wise or no NumPy
    jacobian: Callable[[Array, Array], Array] | None = None


def _diagonal(derivative: Callable[[Array], Array]) -> Callable[[Array, Array], Array]:
    """The Jacobian of an element-wise activation from its derivative at net."""
    return lambda net, out: np.diag(derivative(net))


def _identity(z: Array) -> Array:
    return z


def _softmax_jacobian(net: Array, out: Array) -> Array:
    """diag(o) - o o^T from net (n,), so a saturated softmax keeps its tiny entries.

    The diagonal o_k (1 - o_k) takes 1 - o_k as the sum of the other outputs: no cancellation
    where o_k rounds to 1.
    """
    e = np.exp(net - net.max())  # (n,), the largest is 1
    o = e / e.sum()
    others = (e[None, :] * (1.0 - np.eye(len(e)))).sum(axis=1) / e.sum()  # 1 - o_k, exact
    jac = -np.outer(o, o)
    np.fill_diagonal(jac, o * others)
    return jac


_TABLE = (
    ActivationFn(
        "relu",
        nn.ReLU,
        lambda z: np.maximum(z, 0),
        lambda d, out: d * (out > 0),
        _diagonal(lambda net: (net > 0) * 1.0),  # relu'(0) = 0, as in torch
    ),
    ActivationFn("leaky_relu", lambda: nn.LeakyReLU(0.01)),
    ActivationFn("elu", nn.ELU),
    ActivationFn("gelu", nn.GELU),
    ActivationFn("silu", nn.SiLU),
    ActivationFn(
        "tanh",
        nn.Tanh,
        np.tanh,
        lambda d, out: d * (1.0 - out * out),
        _diagonal(lambda net: 1 / np.cosh(net) ** 2),
    ),
    ActivationFn(
        "sigmoid",
        nn.Sigmoid,
        sigmoid,
        lambda d, out: d * out * (1.0 - out),
        _diagonal(lambda net: sigmoid(net) * sigmoid(-net)),  # = out (1 - out), exact
    ),
    ActivationFn("softplus", nn.Softplus),
    ActivationFn("linear", nn.Identity, _identity, lambda d, out: d, _diagonal(np.ones_like)),
    ActivationFn(
        "softmax",
        lambda: nn.Softmax(dim=-1),
        softmax,
        None,  # not element-wise: use the Jacobian
        _softmax_jacobian,
    ),
)
ACTIVATION_FNS: dict[str, ActivationFn] = {a.name: a for a in _TABLE}
_BY_MODULE_TYPE = {type(a.module()): a.name for a in _TABLE}


def activation_name(module: nn.Module) -> str | None:
    """The table name of an activation module, by its type; None for any other module."""
    return _BY_MODULE_TYPE.get(type(module))


# --- losses: the mean over every output, as torch's default reductions; half_sse the sum over
# one example's outputs, square that sum's mean over examples (TensorFlow Playground's loss) ---


@dataclass(frozen=True)
class LossFn:
    """One loss: its torch function and, where a NumPy engine uses it, value and gradient.

    value_and_grad: (out, target) -> (loss, dE/dout shaped like out), for out (K,) or (B, K).
    For losses on logits (link set), out is the logits and the gradient is dE/dlogits.
    """

    name: str
    torch: TorchLoss
    value_and_grad: Callable[[Array, Array], tuple[float, Array]] | None = None
    link: str = ""  # the output activation a loss on logits includes ("" for none)


def _half_sse(out: Array, t: Array) -> tuple[float, Array]:
    return float(0.5 * np.sum((t - out) ** 2)), out - t


def _square(out: Array, t: Array) -> tuple[float, Array]:
    """1/2 (o - t)^2 summed over the outputs, mean over the rows of out (K,) or (B, K)."""
    diff = out - t
    n_rows = diff.size // diff.shape[-1]
    return float(0.5 * np.sum(diff * diff) / n_rows), diff * (1.0 / n_rows)


def _mse(out: Array, t: Array) -> tuple[float, Array]:
    diff = out - t
    return float(np.mean(diff * diff)), diff * (2.0 / diff.size)


def _bce(out: Array, t: Array) -> tuple[float, Array]:
    """As binary_cross_entropy_with_logits: t in [0, 1], shaped like out."""
    loss = np.mean(np.maximum(out, 0) - out * t + np.log1p(np.exp(-np.abs(out))))
    return float(loss), (sigmoid(out) - t) / out.size


def _cross_entropy(out: Array, t: Array) -> tuple[float, Array]:
    """As F.cross_entropy: t holds class indices (B,), or probabilities shaped like out."""
    logp = log_softmax(out)
    grad = np.exp(logp)  # the softmax
    if t.ndim < out.ndim:
        rows = np.arange(out.shape[0])
        grad[rows, t] -= 1.0
        return float(-logp[rows, t].mean()), grad / out.shape[0]
    n_rows = out.size // out.shape[-1]
    per_row = -np.sum(np.where(t == 0, 0.0, t * logp), axis=-1)  # 0 log 0 = 0
    grad = grad * t.sum(axis=-1, keepdims=True) - t
    return float(np.mean(per_row)), grad / n_rows


def _half_sse_torch(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((out - t) ** 2).sum()


def _square_torch(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """1/2 (o - t)^2 summed over the outputs, mean over the examples: out (B, K)."""
    return 0.5 * F.mse_loss(out, t, reduction="sum") / (out.numel() // out.shape[-1])


LOSS_FNS: dict[str, LossFn] = {
    "half_sse": LossFn("half_sse", _half_sse_torch, _half_sse),
    "square": LossFn("square", _square_torch, _square),
    "mse": LossFn("mse", F.mse_loss, _mse),
    "mae": LossFn("mae", F.l1_loss),
    "huber": LossFn("huber", F.huber_loss),
    "cross_entropy": LossFn("cross_entropy", F.cross_entropy, _cross_entropy, link="softmax"),
    "bce": LossFn("bce", F.binary_cross_entropy_with_logits, _bce, link="sigmoid"),
}
