"""A traced forward/backward/update of a small MLP, every number kept."""

from __future__ import annotations

import itertools
import json
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "softmax")
LOSSES = ("half_sse", "mse", "cross_entropy", "bce")
MAX_LAYERS = 4
MAX_UNITS = 8
CHECK_H = 1e-6  # central-difference step: truncation ~h^2, round-off ~eps/h, both < 1e-9
CHECK_TOL = 1e-6  # a check agrees when max |difference| <= CHECK_TOL * max(1, max |grad|)
_OUTPUT_NEEDS = {"cross_entropy": "softmax", "bce": "sigmoid"}
_MODULES = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu", nn.Identity: "linear"}
_MODULES[nn.Softmax] = "softmax"
_GRAD_KEYS = ("input", "dE_dout", "delta", "grad_weights", "grad_bias")


class SpecError(ValueError):
    """A spec that cannot be traced; the one-line message names the field."""


@dataclass(frozen=True)
class Layer:
    """One dense layer: out = activation(weights @ in + bias)."""

    weights: np.ndarray  # (n_out, n_in); weights[j, i] multiplies input i into neuron j
    bias: np.ndarray  # (n_out,)
    activation: str


@dataclass(frozen=True)
class Spec:
    """A validated network, one example and the SGD settings for one step."""

    layers: tuple[Layer, ...]
    input: np.ndarray  # (n_in,)
    target: np.ndarray  # (n_out,)
    loss: str
    lr: float
    update_bias: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The JSON form accepted by parse_spec."""
        layers = [
            _dense(ly.weights.tolist(), ly.bias.tolist(), ly.activation) for ly in self.layers
        ]
        x, t = self.input.tolist(), self.target.tolist()
        return _make_spec(layers, x, t, self.loss, self.lr, self.update_bias)


def _dense(weights: list, bias: list, activation: str) -> dict[str, Any]:
    return {"weights": weights, "bias": bias, "activation": activation}


def _make_spec(
    layers: list, x: list, t: list, loss: str, lr: float, update_bias: bool = True
) -> dict[str, Any]:
    keys = ("layers", "input", "target", "loss", "lr", "update_bias")
    return dict(zip(keys, (layers, x, t, loss, lr, update_bias)))


# --- validation -----------------------------------------------------------------------------


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _number(path: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise SpecError(f"{path}: expected a finite number, got {json.dumps(v, default=str)}")
    return float(v)


def _vector(path: str, v: Any, size: int | None = None) -> np.ndarray:
    if not isinstance(v, list) or not 1 <= len(v) <= MAX_UNITS:
        got = _n(len(v), "number") if isinstance(v, list) else type(v).__name__
        raise SpecError(f"{path}: expected a list of 1 to {MAX_UNITS} numbers, got {got}")
    if size is not None and len(v) != size:
        raise SpecError(f"{path}: expected {_n(size, 'number')}, got {len(v)}")
    return np.array([_number(f"{path}[{k}]", x) for k, x in enumerate(v)])  # (size,)


def _shape(v: Any) -> str:
    if not isinstance(v, list):
        return f"a {type(v).__name__}"
    lens = [len(r) if isinstance(r, list) else None for r in v]
    if lens and None not in lens and len(set(lens)) == 1:
        return f"{_n(len(v), 'row')} of {_n(lens[0], 'number')}"
    return f"{_n(len(v), 'row')} of lengths {lens}"


def _matrix(path: str, v: Any, rows: int, cols: int) -> np.ndarray:
    fits = isinstance(v, list) and len(v) == rows
    if not fits or not all(isinstance(r, list) and len(r) == cols for r in v):
        want = f"{_n(rows, 'row')} of {_n(cols, 'number')}"
        raise SpecError(f"{path}: expected {want}, got {_shape(v)}")
    return np.array(
        [[_number(f"{path}[{j}][{i}]", x) for i, x in enumerate(r)] for j, r in enumerate(v)]
    )


def _keys(path: str, d: Any, required: set[str], optional: set[str] = frozenset()) -> None:
    if not isinstance(d, dict):
        raise SpecError(f"{path}: expected a JSON object, got {type(d).__name__}")
    missing, unknown = sorted(required - d.keys()), sorted(d.keys() - required - optional)
    if missing:
        raise SpecError(f"{path}: missing key '{missing[0]}'")
    if unknown:
        raise SpecError(f"{path}: unknown key '{unknown[0]}'")


def _layer(path: str, d: Any, n_in: int, is_last: bool) -> Layer:
    _keys(path, d, {"weights", "bias", "activation"})
    bias = _vector(f"{path}.bias", d["bias"])
    weights = _matrix(f"{path}.weights", d["weights"], len(bias), n_in)
    act = d["activation"]
    if act not in ACTIVATIONS:
        raise SpecError(
            f"{path}.activation: unknown {act!r}, expected one of {', '.join(ACTIVATIONS)}"
        )
    if act == "softmax" and not is_last:
        raise SpecError(f"{path}.activation: softmax is only allowed on the output layer")
    return Layer(weights, bias, act)


def parse_spec(d: dict) -> Spec:
    """Validate a JSON spec (see the module's CLI contract) into a Spec; raises SpecError."""
    _keys("spec", d, {"layers", "input", "target", "loss", "lr"}, {"update_bias"})
    x = _vector("input", d["input"])
    raw = d["layers"]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_LAYERS:
        got = _n(len(raw), "layer") if isinstance(raw, list) else type(raw).__name__
        raise SpecError(f"layers: expected a list of 1 to {MAX_LAYERS} layers, got {got}")
    layers, n_in = [], len(x)
    for k, item in enumerate(raw):
        layers.append(_layer(f"layers[{k}]", item, n_in, k == len(raw) - 1))
        n_in = len(layers[-1].bias)
    target = _vector("target", d["target"], n_in)
    loss, last = d["loss"], layers[-1].activation
    if loss not in LOSSES:
        raise SpecError(f"loss: unknown {loss!r}, expected one of {', '.join(LOSSES)}")
    if loss in _OUTPUT_NEEDS and last != _OUTPUT_NEEDS[loss]:
        need = _OUTPUT_NEEDS[loss]
        raise SpecError(f"loss: {loss} needs activation {need!r} on the output layer, got {last!r}")
    if loss in _OUTPUT_NEEDS and not np.all((target >= 0) & (target <= 1)):
        raise SpecError(f"target: {loss} needs targets in [0, 1], got {target.tolist()}")
    lr = _number("lr", d["lr"])
    if lr <= 0:
        raise SpecError(f"lr: expected a number > 0, got {lr}")
    update_bias = d.get("update_bias", True)
    if not isinstance(update_bias, bool):
        raise SpecError(
            f"update_bias: expected true or false, got {json.dumps(update_bias, default=str)}"
        )
    return Spec(tuple(layers), x, target, loss, lr, update_bias)


def _as_spec(spec: Spec | dict) -> Spec:
    return spec if isinstance(spec, Spec) else parse_spec(spec)


# --- the math (float64 NumPy) ---------------------------------------------------------------


def _activate(name: str, net: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * net))  # overflow-free form of 1 / (1 + e^-net)
    if name == "tanh":
        return np.tanh(net)
    if name == "relu":
        return np.maximum(net, 0.0)
    if name == "softmax":
        e = np.exp(net - net.max())
        return e / e.sum()
    return net.copy()


def _jacobian(name: str, net: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d out_k / d net_j as J[k, j], shape (n, n); diagonal for all but softmax."""
    if name == "softmax":
        return np.diag(out) - np.outer(out, out)
    sig = _activate("sigmoid", net) * _activate("sigmoid", -net)  # = out (1 - out), exact
    diag = {"sigmoid": sig, "tanh": 1 / np.cosh(net) ** 2, "relu": (net > 0) * 1.0}
    return np.diag(diag.get(name, np.ones_like(net)))  # relu'(0) = 0, as in torch


def _loss(name: str, net: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
    """The loss; cross_entropy and bce from the logits `net`, which stays exact when o saturates."""
    if name == "half_sse":
        return float(0.5 * np.sum((t - o) ** 2))
    if name == "mse":
        return float(np.mean((t - o) ** 2))
    if name == "cross_entropy":  # -sum t log softmax(net)
        log_o = net - net.max() - np.log(np.sum(np.exp(net - net.max())))
        return float(-np.sum(np.where(t == 0, 0.0, t * log_o)))
    return float(np.mean(np.maximum(net, 0) - t * net + np.log1p(np.exp(-np.abs(net)))))  # bce


def _loss_grad(name: str, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dE/d out for the output layer.  # (n_out,)"""
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "half_sse":
            return o - t
        if name == "mse":
            return 2 * (o - t) / len(o)
        if name == "cross_entropy":
            return np.where(t == 0, 0.0, -t / o)
        return (o - t) / (o * (1 - o)) / len(o)  # bce


def _output_delta(name: str, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dE/dnet for cross_entropy on softmax and bce on sigmoid, without dividing by o (1 - o)."""
    return o * t.sum() - t if name == "cross_entropy" else (o - t) / len(o)


def _forward(spec: Spec, weights: list, biases: list) -> tuple[list, list]:
    """Pre-activations and activations of every layer."""
    nets, outs, a = [], [], spec.input
    for w, b, layer in zip(weights, biases, spec.layers):
        nets.append(w @ a + b)  # (n_out,)
        a = _activate(layer.activation, nets[-1])
        outs.append(a)
    return nets, outs


def _loss_of(spec: Spec, weights: list, biases: list) -> float:
    nets, outs = _forward(spec, weights, biases)
    return _loss(spec.loss, nets[-1], outs[-1], spec.target)


def _backward(spec: Spec, weights: list, nets: list, outs: list) -> list[dict[str, np.ndarray]]:
    """Per layer: dE/dout, the Jacobian d out/d net, delta = dE/dnet and the gradients."""
    grads: list[dict[str, np.ndarray]] = [{} for _ in spec.layers]
    de_dout = _loss_grad(spec.loss, outs[-1], spec.target)
    for k in reversed(range(len(spec.layers))):
        jac = _jacobian(spec.layers[k].activation, nets[k], outs[k])  # (n, n)
        delta = jac.T @ de_dout  # (n,)
        if k == len(spec.layers) - 1 and spec.loss in _OUTPUT_NEEDS:  # same value, cancelled out
            delta = _output_delta(spec.loss, outs[k], spec.target)
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


_TORCH_ACTS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


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
        a = torch.softmax(net, -1) if layer.activation == "softmax" else net
        a = _TORCH_ACTS.get(layer.activation, lambda z: z)(a)
    losses = {
        "half_sse": lambda: 0.5 * ((a - t) ** 2).sum(),
        "mse": lambda: F.mse_loss(a, t),
        "cross_entropy": lambda: F.cross_entropy(net[None], t[None]),
        "bce": lambda: F.binary_cross_entropy_with_logits(net, t),
    }
    return [g.numpy() for g in torch.autograd.grad(losses[spec.loss](), params)]


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
    if softmax:  # the Jacobian is full: delta_j = sum_k dE/dout_k * dout_k/dnet_j is one factor
        neuron = [[d] for d in g["delta"]]
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
    d["chain_weights"], d["chain_bias"] = _chain(g, layer.activation == "softmax")
    if layer.activation == "softmax":
        d["dout_dnet_jacobian"] = g["jacobian"].tolist()  # [k][j] = d out_k / d net_j
    return d


def trace(spec: Spec | dict) -> dict[str, Any]:
    """One forward, backward and SGD step, every number kept; JSON-ready float64 values.

    Per layer: input, weights, bias, net, out, dE_dout, dout_dnet, delta, grad_weights,
    grad_bias, chain_weights / chain_bias (factors whose product is each gradient), new_weights,
    new_bias. Top level: loss, loss_after, numerical_check and autograd_check.
    """
    spec = _as_spec(spec)
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
    spec = _as_spec(spec)
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


# --- specs: presets, random, from a torch model ---------------------------------------------

PRESETS: dict[str, dict] = {
    # Matt Mazur, "A Step by Step Backpropagation Example" (2015); biases stay fixed there
    "Textbook 2-2-2 (sigmoid, Mazur)": _make_spec(
        [
            _dense([[0.15, 0.20], [0.25, 0.30]], [0.35, 0.35], "sigmoid"),
            _dense([[0.40, 0.45], [0.50, 0.55]], [0.60, 0.60], "sigmoid"),
        ],
        [0.05, 0.10], [0.01, 0.99], "half_sse", 0.5, update_bias=False,
    ),
    "XOR 2-2-1 (sigmoid)": _make_spec(
        [
            _dense([[0.5, -0.4], [0.9, 1.0]], [-0.8, 0.1], "sigmoid"),
            _dense([[-1.2, 1.1]], [-0.3], "sigmoid"),
        ],
        [1.0, 0.0], [1.0], "half_sse", 0.5,
    ),
    "Tanh 2-3-1 (linear output, mse)": _make_spec(
        [
            _dense([[0.2, -0.5], [0.7, 0.1], [-0.3, 0.4]], [0.1, -0.2, 0.05], "tanh"),
            _dense([[0.6, -0.8, 0.3]], [0.2], "linear"),
        ],
        [0.5, -1.0], [0.7], "mse", 0.1,
    ),
}  # fmt: skip


def random_spec(
    sizes: list[int],
    activation: str = "sigmoid",
    seed: int = 0,
    *,
    loss: str = "half_sse",
    lr: float = 0.5,
) -> dict:
    """A valid spec with weights, biases, input and target drawn from a seeded generator.

    sizes is [n_in, hidden..., n_out]; the output layer uses the activation the loss needs
    (softmax for cross_entropy, sigmoid for bce), else `activation`.
    """
    if not 2 <= len(sizes) <= MAX_LAYERS + 1 or not all(1 <= s <= MAX_UNITS for s in sizes):
        raise SpecError(
            f"sizes: expected 2 to {MAX_LAYERS + 1} sizes from 1 to {MAX_UNITS}, got {sizes}"
        )
    rng = np.random.default_rng(seed)

    def draw(shape: tuple[int, ...], lo: float = -1.0, hi: float = 1.0) -> list:
        return np.round(rng.uniform(lo, hi, shape), 2).tolist()  # 2 decimals read well

    layers = [
        _dense(draw((n_out, n_in)), draw((n_out,)), activation)
        for n_in, n_out in itertools.pairwise(sizes)
    ]
    layers[-1]["activation"] = _OUTPUT_NEEDS.get(loss, activation)
    if loss == "cross_entropy":
        target = np.eye(sizes[-1])[rng.integers(sizes[-1])].tolist()
    else:
        target = draw((sizes[-1],), 0.05, 0.95)
    d = _make_spec(layers, draw((sizes[0],), 0.0, 1.0), target, loss, lr)
    parse_spec(d)
    return d


def spec_from_model(
    model: nn.Sequential, x: list[float], target: list[float], loss: str, lr: float
) -> dict:
    """A spec for one example of a small Linear + activation MLP; raises SpecError if it can't.

    For cross_entropy and bce a final Linear is read as logits and gets softmax / sigmoid, as in
    F.cross_entropy and F.binary_cross_entropy_with_logits; target must then be one-hot / in [0, 1].
    """
    layers: list[dict] = []
    has_act = True
    for k, m in enumerate(model):
        if isinstance(m, nn.Linear) and m.bias is not None:
            w, b = m.weight.detach().double().cpu(), m.bias.detach().double().cpu()
            layers.append(_dense(w.tolist(), b.tolist(), "linear"))
            has_act = False
        elif type(m) in _MODULES and not has_act and getattr(m, "dim", -1) in (-1, 1):
            layers[-1]["activation"], has_act = _MODULES[type(m)], True
        else:
            raise SpecError(
                f"model[{k}]: {type(m).__name__} cannot be traced here "
                "(only Linear with bias, each followed by at most one of "
                "Sigmoid, Tanh, ReLU, Identity, Softmax)"
            )
    widths = [len(x)] + [len(ly["bias"]) for ly in layers]
    if not 1 <= len(layers) <= MAX_LAYERS or max(widths) > MAX_UNITS:
        raise SpecError(
            f"model: too big to trace ({len(layers)} layers, widths {widths}; "
            f"at most {MAX_LAYERS} layers of {MAX_UNITS} units)"
        )
    loss = str(getattr(loss, "value", loss))
    if loss in _OUTPUT_NEEDS and layers[-1]["activation"] == "linear":
        layers[-1]["activation"] = _OUTPUT_NEEDS[loss]
    d = _make_spec(layers, [float(v) for v in x], [float(v) for v in target], loss, float(lr))
    parse_spec(d)
    return d


# --- command line ---------------------------------------------------------------------------


def _fail(message: str) -> int:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    return 2


def main(spec_path: str) -> int:
    """`python -m playground backprop --spec FILE.json`: print the trace as one JSON object."""
    try:
        with open(spec_path, encoding="utf-8") as f:
            d = json.load(f)
        text = json.dumps(trace(parse_spec(d)), allow_nan=False)
    except OSError as e:
        return _fail(f"cannot read {spec_path}: {e.strerror or e}")
    except json.JSONDecodeError as e:
        return _fail(f"{spec_path}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})")
    except SpecError as e:
        return _fail(str(e))
    except ValueError as e:  # json.dumps on inf / nan
        return _fail(f"the trace has non-finite numbers ({e})")
    print(text)
    return 0
