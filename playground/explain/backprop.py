"""A traced forward/backward/update of a small MLP, every number kept."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import torch

from playground.explain.backprop_spec import (
    ACTIVATIONS,
    LOSSES,
    MAX_LAYERS,
    MAX_UNITS,
    PRESETS,
    Layer,
    Spec,
    SpecError,
    as_spec,
    parse_spec,
    random_spec,
    spec_from_model,
)
from playground.nn.functions import ACTIVATION_FNS, LOSS_FNS, log_softmax, sigmoid

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "MAX_LAYERS",
    "MAX_UNITS",
    "PRESETS",
    "Layer",
    "Spec",
    "SpecError",
    "parse_spec",
    "random_spec",
    "run_steps",
    "spec_from_model",
    "trace",
]

CHECK_H = 1e-6  # central-difference step: truncation ~h^2, round-off ~eps/h, both < 1e-9
CHECK_TOL = 1e-6  # a check agrees when max |difference| <= CHECK_TOL * max(1, max |grad|)
_GRAD_KEYS = ("input", "dE_dout", "delta", "grad_weights", "grad_bias")


# --- the math (float64 NumPy) ---------------------------------------------------------------


def _jacobian(name: str, net: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d out_k / d net_j as J[k, j], shape (n, n); diagonal for all but softmax."""
    return ACTIVATION_FNS[name].jacobian(net, out)


def _loss(name: str, net: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
    """The loss; cross_entropy and bce from the logits `net`, which stays exact when o saturates."""
    fn = LOSS_FNS[name]
    return fn.value_and_grad(net if fn.link else o, t)[0]


def _loss_grad(name: str, net: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dE/d out for the output layer, from the logits `net` where the loss has a link.  # (n_out,)

    A saturated output can make it exceed float64 (1 / o with o below 1e-308): then it is inf.
    """
    with np.errstate(divide="ignore", over="ignore"):
        if name == "cross_entropy":  # d/do of -sum t log o, o = softmax: -t e^(-log o)
            return np.where(t == 0, 0.0, -t * np.exp(-log_softmax(net)))
        if name == "bce":  # d/do of the mean of -t log o - (1 - t) log(1 - o), o the sigmoid
            return (o - t) / (sigmoid(net) * sigmoid(-net)) / len(o)  # o (1 - o), exact
        return LOSS_FNS[name].value_and_grad(o, t)[1]


def _forward(spec: Spec, weights: list, biases: list) -> tuple[list, list]:
    """Pre-activations and activations of every layer."""
    nets, outs, a = [], [], spec.input
    for w, b, layer in zip(weights, biases, spec.layers):
        nets.append(w @ a + b)  # (n_out,)
        a = ACTIVATION_FNS[layer.activation].forward(nets[-1])
        outs.append(a)
    return nets, outs


def _loss_of(spec: Spec, weights: list, biases: list) -> float:
    nets, outs = _forward(spec, weights, biases)
    return _loss(spec.loss, nets[-1], outs[-1], spec.target)


def _backward(spec: Spec, weights: list, nets: list, outs: list) -> list[dict[str, np.ndarray]]:
    """Per layer: dE/dout, the Jacobian d out/d net, delta = dE/dnet and the gradients."""
    grads: list[dict[str, np.ndarray]] = [{} for _ in spec.layers]
    loss_fn = LOSS_FNS[spec.loss]
    de_dout = _loss_grad(spec.loss, nets[-1], outs[-1], spec.target)
    for k in reversed(range(len(spec.layers))):
        jac = _jacobian(spec.layers[k].activation, nets[k], outs[k])  # (n, n)
        if k == len(spec.layers) - 1 and loss_fn.link:  # J^T dE/dout with o (1 - o) cancelled:
            delta = loss_fn.value_and_grad(nets[k], spec.target)[1]  # finite even where o is 0
        else:
            delta = jac.T @ de_dout  # (n,)
        x = outs[k - 1] if k else spec.input
        grads[k] = dict(zip(_GRAD_KEYS, (x, de_dout, delta, np.outer(delta, x), delta)))
        grads[k]["jacobian"] = jac
        de_dout = weights[k].T @ delta  # dE/dout of the layer below
    return grads


def _params(spec: Spec) -> tuple[list[np.ndarray], list[np.ndarray]]:
    return [ly.weights.copy() for ly in spec.layers], [ly.bias.copy() for ly in spec.layers]


def _sgd(spec: Spec, weights: list, biases: list, grads: list) -> tuple[list, list]:
    new_w = [w - spec.lr * g["grad_weights"] for w, g in zip(weights, grads)]
    new_b = [b - spec.lr * g["grad_bias"] if spec.update_bias else b for b, g in zip(biases, grads)]
    return new_w, new_b


# --- checks ---------------------------------------------------------------------------------


def _numerical_grads(spec: Spec) -> list[np.ndarray]:
    """Central differences of the loss for every weight and bias, in _params order."""
    weights, biases = _params(spec)
    out = []
    for p in weights + biases:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            orig = p[idx]
            p[idx] = orig + CHECK_H
            plus = _loss_of(spec, weights, biases)
            p[idx] = orig - CHECK_H
            minus = _loss_of(spec, weights, biases)
            p[idx] = orig
            g[idx] = (plus - minus) / (2 * CHECK_H)
        out.append(g)
    return out


def _autograd_grads(spec: Spec) -> list[np.ndarray]:
    """torch.autograd's gradients for every weight and bias, in _params order."""
    params = [
        torch.tensor(p, dtype=torch.float64, requires_grad=True)
        for p in itertools.chain(*_params(spec))
    ]
    n, a = len(spec.layers), torch.tensor(spec.input, dtype=torch.float64)
    t = torch.tensor(spec.target, dtype=torch.float64)
    for k, layer in enumerate(spec.layers):
        net = params[k] @ a + params[n + k]
        a = ACTIVATION_FNS[layer.activation].module()(net)
    fn = LOSS_FNS[spec.loss]
    loss = fn.torch((net if fn.link else a)[None], t[None])  # one example: a batch of 1
    return [g.numpy() for g in torch.autograd.grad(loss, params)]


def _check(grads: list[np.ndarray], other: list[np.ndarray]) -> dict[str, Any]:
    n = len(grads) // 2
    diff = max(float(np.max(np.abs(g - o))) for g, o in zip(grads, other))
    scale = max(1.0, max(float(np.max(np.abs(g))) for g in grads))
    return {
        "grad_weights": [o.tolist() for o in other[:n]],
        "grad_bias": [o.tolist() for o in other[n:]],
        "max_abs_diff": diff,
        "tolerance": CHECK_TOL,
        "agrees": diff <= CHECK_TOL * scale,
    }


# --- the trace ------------------------------------------------------------------------------


def _chain(g: dict[str, np.ndarray], softmax: bool) -> tuple[list, list]:
    """Factors whose product is each weight's and bias's gradient."""
    de, dodn = g["dE_dout"], np.diag(g["jacobian"])
    if softmax or not np.isfinite(de).all():  # delta as one factor: softmax's Jacobian is
        neuron = [[d] for d in g["delta"]]  # full, and a saturated output's dE/dout overflows
    else:
        neuron = [[a, b] for a, b in zip(de, dodn)]
    weights = [[[float(v) for v in (*f, x)] for x in g["input"]] for f in neuron]
    return weights, [[float(v) for v in (*f, 1.0)] for f in neuron]


def _layer_trace(spec: Spec, k: int, fwd: tuple, g: dict, new: tuple) -> dict[str, Any]:
    layer = spec.layers[k]
    d: dict[str, Any] = {"activation": layer.activation}
    arrays = (layer.weights, layer.bias, *fwd, np.diag(g["jacobian"]), *new)
    names = ("weights", "bias", "net", "out", "dout_dnet", "new_weights", "new_bias")
    d.update({name: a.tolist() for name, a in zip(names, arrays)})
    d.update({key: g[key].tolist() for key in _GRAD_KEYS})
    d["dE_dout"] = [v if math.isfinite(v) else None for v in d["dE_dout"]]  # beyond float64
    d["chain_weights"], d["chain_bias"] = _chain(g, layer.activation == "softmax")
    if layer.activation == "softmax":
        d["dout_dnet_jacobian"] = g["jacobian"].tolist()  # [k][j] = d out_k / d net_j
    return d


def trace(spec: Spec | dict) -> dict[str, Any]:
    """One forward, backward and SGD step, every number kept; JSON-ready float64 values.

    Per layer: input, weights, bias, net, out, dE_dout, dout_dnet (the Jacobian's diagonal),
    delta, grad_weights, grad_bias, chain_weights / chain_bias (factors whose product is each
    gradient), new_weights, new_bias; a softmax layer adds dout_dnet_jacobian. Top level: loss,
    loss_after, numerical_check and autograd_check. A saturated output's dE_dout can exceed
    float64 (-t / o with o below 1e-308): it is None there, and delta, from the logits, is exact.
    """
    spec = as_spec(spec)
    weights, biases = _params(spec)
    nets, outs = _forward(spec, weights, biases)
    loss = _loss(spec.loss, nets[-1], outs[-1], spec.target)
    if not math.isfinite(loss):
        raise SpecError(f"loss: {spec.loss} is not finite for this network (an output at 0 or 1?)")
    grads = _backward(spec, weights, nets, outs)
    new_w, new_b = _sgd(spec, weights, biases, grads)
    after = _loss_of(spec, new_w, new_b)
    ours = [g["grad_weights"] for g in grads] + [g["grad_bias"] for g in grads]
    layers = [
        _layer_trace(spec, k, (nets[k], outs[k]), grads[k], (new_w[k], new_b[k]))
        for k in range(len(spec.layers))
    ]
    return {
        **spec.to_dict(),
        "loss_fn": spec.loss,  # "loss" below is its value
        "output": outs[-1].tolist(),
        "loss": loss,
        "loss_after": after,
        "layers": layers,
        "numerical_check": {"h": CHECK_H, **_check(ours, _numerical_grads(spec))},
        "autograd_check": _check(ours, _autograd_grads(spec)),
    }


def run_steps(spec: Spec | dict, n: int) -> list[float]:
    """Losses on the spec's example before and after each of n SGD steps: n + 1 values."""
    spec = as_spec(spec)
    if n < 0:
        raise SpecError(f"n: expected a number of steps >= 0, got {n}")
    weights, biases = _params(spec)
    losses = []
    for step in range(n + 1):
        nets, outs = _forward(spec, weights, biases)
        losses.append(_loss(spec.loss, nets[-1], outs[-1], spec.target))
        if step < n:
            grads = _backward(spec, weights, nets, outs)
            weights, biases = _sgd(spec, weights, biases, grads)
    return losses
