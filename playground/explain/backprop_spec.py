"""Backprop specs: JSON -> a validated Spec; presets, seeded random specs, specs of models."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import nn

from playground.nn.functions import LOSS_FNS, activation_name

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "softmax")
LOSSES = ("half_sse", "mse", "cross_entropy", "bce")
MAX_LAYERS = 4
MAX_UNITS = 8
# the output activation a loss on logits includes: cross_entropy -> softmax, bce -> sigmoid
_OUTPUT_NEEDS = {loss: LOSS_FNS[loss].link for loss in LOSSES if LOSS_FNS[loss].link}


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


def as_spec(spec: Spec | dict) -> Spec:
    """A Spec as it is; a dict validated by parse_spec."""
    return spec if isinstance(spec, Spec) else parse_spec(spec)


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
        elif (name := activation_name(m)) in ACTIVATIONS and not has_act and _last_dim(m):
            layers[-1]["activation"], has_act = name, True
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


def _last_dim(m: nn.Module) -> bool:
    """True unless m works along an axis other than the features' (a Softmax over dim 0)."""
    return getattr(m, "dim", -1) in (-1, 1)


# --- the spec format, for `python -m playground backprop --help` ---------------------------

SPEC_EXAMPLE = (  # XOR 2-2-1 with sigmoids, one example (the Backprop page's preset)
    '{"layers": [{"weights": [[0.5, -0.4], [0.9, 1.0]], "bias": [-0.8, 0.1], '
    '"activation": "sigmoid"},\n'
    '            {"weights": [[-1.2, 1.1]], "bias": [-0.3], "activation": "sigmoid"}],\n'
    ' "input": [1.0, 0.0], "target": [1.0], "loss": "half_sse", "lr": 0.5}'
)
SPEC_HELP = f"""\
The spec file is one JSON object; unknown keys are refused, and every number must be finite.

  layers       a list of 1 to {MAX_LAYERS} dense layers, input side first, each
               {{"weights": [[...], ...], "bias": [...], "activation": NAME}}
  weights      one row per unit (1 to {MAX_UNITS} units), one column per input of the
               layer: weights[j][i] multiplies input i into unit j
  bias         one number per unit
  activation   {", ".join(ACTIVATIONS)} (softmax only on the output layer)
  input        one example: a list of 1 to {MAX_UNITS} numbers
  target       one number per output unit
  loss         {", ".join(LOSSES)}; half_sse is 1/2 sum (o - t)^2, mse the mean of
               (o - t)^2; cross_entropy needs a softmax output and bce a sigmoid output, both
               with targets in [0, 1]
  lr           the SGD learning rate, > 0
  update_bias  optional, default true; false keeps the biases fixed

Example (save it as spec.json, then run `python -m playground backprop --spec spec.json`):

{SPEC_EXAMPLE}

The output is one JSON object: the spec, the loss before and after the step, and per layer
its input, net, out, dE/dout, delta, gradients and new weights, checked against central
differences and autograd. A dE/dout beyond float64's range (a saturated output) is null; delta
stays exact.
"""
