"""The Backprop page's views of a trace: step list, DOT graph, chain-rule LaTeX, tables, curve."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from playground.figures import theme

Step = tuple[str, int, int]  # (phase, layer, neuron); the "loss" step has layer = neuron = -1
CURRENT = "#ffd54f"  # the node(s) of the current step
UPDATED = "#c8e6c9"  # weights and biases already updated
PENDING = "#f2f2f2"  # nothing computed here yet
_OPS = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "linear": "id", "softmax": "softmax"}
_LOSS_OPS = {"half_sse": "½Σ(t−o)²", "mse": "mean (t−o)²", "cross_entropy": "−Σ t log o"}
_LOSS_OPS["bce"] = "bce"


def step_list(trace: dict) -> list[Step]:
    """Forward neuron by neuron, the loss, backward from the output, then the update."""
    neurons = [(k, j) for k, ly in enumerate(trace["layers"]) for j in range(len(ly["bias"]))]
    forward = [("forward", k, j) for k, j in neurons]
    backward = [("backward", k, j) for k, j in sorted(neurons, key=lambda n: (-n[0], n[1]))]
    return forward + [("loss", -1, -1)] + backward + [("update", k, j) for k, j in neurons]


def neuron_name(trace: dict, k: int, j: int, latex: bool = False) -> str:
    """x1.. for inputs (k = -1), o1.. for outputs, h1.. (or h2.1 with several hidden layers)."""
    n = len(trace["layers"])
    if k < 0:
        letter, sub = "x", f"{j + 1}"
    elif k == n - 1:
        letter, sub = "o", f"{j + 1}"
    else:
        letter, sub = "h", f"{j + 1}" if n == 2 else f"{k + 1}.{j + 1}"
    return f"{letter}_{{{sub}}}" if latex else f"{letter}{sub}"


def weight_name(trace: dict, k: int, j: int, i: int | None, latex: bool = False) -> str:
    """w h1←x2 for weights[j][i] of layer k, b h1 for its bias (i is None)."""
    dst = neuron_name(trace, k, j, latex)
    if i is None:
        return f"b_{{{dst}}}" if latex else f"b {dst}"
    src = neuron_name(trace, k - 1, i, latex)
    return f"w_{{{dst} \\leftarrow {src}}}" if latex else f"w {dst}←{src}"


def step_caption(trace: dict, step: Step) -> str:
    """One line saying what `step` computes, with its numbers."""
    phase, k, j = step
    if phase == "loss":
        return f"E = {_LOSS_OPS[trace['loss_fn']]} over the outputs = {_g(trace['loss'])}"
    ly, name = trace["layers"][k], neuron_name(trace, k, j)
    if phase == "forward":
        act = _OPS[ly["activation"]]
        return (f"net {name} = Σ w·input + b = {_g(ly['net'][j])};  "
                f"{name} = {act}(net) = {_g(ly['out'][j])}")  # fmt: skip
    if phase == "backward":
        slope = "∂out/∂net" + (" (diagonal)" if ly["activation"] == "softmax" else "")
        return (f"δ {name} = ∂E/∂net = {_g(ly['delta'][j])} (∂E/∂out = {_g(ly['dE_dout'][j])}, "
                f"{slope} = {_g(ly['dout_dnet'][j])}); each ∂E/∂w = δ × its input")  # fmt: skip
    what = "weights and bias" if trace["update_bias"] else "weights (biases frozen)"
    return f"{name}'s {what} step against their gradients: w ← w − {_g(trace['lr'])} ∂E/∂w"


def seen(trace: dict, cursor: int | None) -> dict[str, set]:
    """Which (layer, neuron) each phase has reached at step `cursor` (None: all of them)."""
    steps = step_list(trace)
    done = steps if cursor is None else steps[: cursor + 1]
    out: dict[str, set] = {"forward": set(), "loss": set(), "backward": set(), "update": set()}
    for phase, k, j in done:
        out[phase].add((k, j))
    return out


OVERFLOW = "beyond float64"  # a value the trace holds as None: |value| > 1.8e308


def _g(v: float | None) -> str:
    return OVERFLOW if v is None else f"{v:.4g}"


def _record(node: str, label: str, fill: str) -> str:
    return f'{node} [shape=record, style=filled, fillcolor="{fill}", label="{{ {label} }}"];'


def _op(node: str, label: str) -> str:
    return f'{node} [shape=circle, fixedsize=false, fontsize=9, label="{label}"];'


def _param_node(trace: dict, s: dict, at: tuple, name: tuple, value: tuple) -> str:
    k, j, i = name
    w, grad, new = value
    data = f"data {_g(w)}" + (f" → {_g(new)}" if (k, j) in s["update"] else "")
    grad_text = f"grad {_g(grad)}" if (k, j) in s["backward"] else "grad ?"
    fill = UPDATED if (k, j) in s["update"] else "white"
    fill = CURRENT if at[0] == "update" and at[1:] == (k, j) else fill
    node = f"w{k}_{j}_{i}" if i is not None else f"b{k}_{j}"
    return _record(node, f"{weight_name(trace, k, j, i)} | {data} | {grad_text}", fill)


def _neuron(trace: dict, k: int, j: int, s: dict, at: tuple, weight_nodes: bool) -> list[str]:
    ly = trace["layers"][k]
    name, fwd, bwd = neuron_name(trace, k, j), (k, j) in s["forward"], (k, j) in s["backward"]
    fill = CURRENT if at[0] in ("forward", "backward") and at[1:] == (k, j) else "white"
    fill = fill if fwd else PENDING
    lines = [_op(f"s{k}_{j}", "Σ")]
    for node, label, value, grad in (
        ("n", "net", ly["net"][j], ly["delta"][j]),
        ("a", "", ly["out"][j], ly["dE_dout"][j]),
    ):
        data = f"data {_g(value)}" if fwd else "data ?"
        text = f"{label} {name}".strip() + f" | {data} | grad " + (_g(grad) if bwd else "?")
        lines.append(_record(f"{node}{k}_{j}", text, fill))
    act = f"f{k}" if ly["activation"] == "softmax" else f"f{k}_{j}"
    lines += [_op(act, _OPS[ly["activation"]]), f"s{k}_{j} -> n{k}_{j};"]
    lines += [f"n{k}_{j} -> {act};", f"{act} -> a{k}_{j};"]
    bias = (ly["bias"][j], ly["grad_bias"][j], ly["new_bias"][j])
    lines += [_param_node(trace, s, at, (k, j, None), bias), f"b{k}_{j} -> s{k}_{j};"]
    for i in range(len(ly["input"])):
        src = f"x{i}" if k == 0 else f"a{k - 1}_{i}"
        value = (ly["weights"][j][i], ly["grad_weights"][j][i], ly["new_weights"][j][i])
        if weight_nodes:
            lines += [_param_node(trace, s, at, (k, j, i), value), f"w{k}_{j}_{i} -> s{k}_{j};"]
            lines.append(f"{src} -> s{k}_{j};")
        else:
            lines.append(f'{src} -> s{k}_{j} [fontsize=8, label="w {_g(value[0])}"];')
    return lines


def graph_dot(trace: dict, cursor: int | None = None, *, weight_nodes: bool = True) -> str:
    """micrograd-style DOT for the whole network: data and grad on every node, step highlighted.

    Values appear as the steps up to `cursor` compute them (None shows everything); with
    weight_nodes False the weights become edge labels, for larger networks.
    """
    s, steps = seen(trace, cursor), step_list(trace)
    at = steps[cursor] if cursor is not None else ("", -2, -2)
    lines = ["digraph backprop {", "rankdir=LR; nodesep=0.12; ranksep=0.3;"]
    lines.append('node [fontname="Helvetica", fontsize=10]; edge [color="#888888"];')
    for i, v in enumerate(trace["input"]):
        lines.append(_record(f"x{i}", f"{neuron_name(trace, -1, i)} | data {_g(v)}", "white"))
    for k, ly in enumerate(trace["layers"]):
        for j in range(len(ly["bias"])):
            lines += _neuron(trace, k, j, s, at, weight_nodes)
    last, done = len(trace["layers"]) - 1, bool(s["loss"])
    fill = CURRENT if at[0] == "loss" else ("white" if done else PENDING)
    loss_text = f"E | data {_g(trace['loss'])}" if done else "E | data ?"
    lines += [_op("L", _LOSS_OPS[trace["loss_fn"]]), "L -> E;"]
    lines.append(_record("E", loss_text + (" | grad 1" if s["backward"] else " | grad ?"), fill))
    for j, t in enumerate(trace["target"]):
        lines += [_record(f"t{j}", f"t{j + 1} | data {_g(t)}", "white"), f"t{j} -> L;"]
        lines.append(f"a{last}_{j} -> L;")
    return "\n".join(lines + ["}"])


def _num(v: float | None) -> str:
    if v is None:
        return rf"\text{{{OVERFLOW}}}"
    text = f"{v:.6g}".replace("e", r"\mathrm{e}")
    return f"({text})" if v < 0 else text


def _d(num: str, den: str) -> str:
    """LaTeX for the partial derivative d num / d den."""
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def _de_dout_latex(trace: dict, k: int, j: int) -> str:
    """dE/dout_j written out: from the loss at the output, a sum over the layer above inside."""
    ly, name = trace["layers"][k], neuron_name(trace, k, j, latex=True)
    if k == len(trace["layers"]) - 1:
        o, t, n = _num(ly["out"][j]), _num(trace["target"][j]), len(ly["out"])
        form, numbers = {
            "half_sse": ("out - t", f"{o} - {t}"),
            "mse": (rf"\tfrac{{2}}{{{n}}}(out - t)", rf"\tfrac{{2}}{{{n}}}({o} - {t})"),
            "cross_entropy": ("-t / out", f"-{t} / {o}"),
            "bce": (
                rf"\tfrac{{out - t}}{{{n}\,out(1 - out)}}",
                rf"\tfrac{{{o} - {t}}}{{{n} \cdot {o}(1 - {o})}}",
            ),
        }[trace["loss_fn"]]
    else:
        above = trace["layers"][k + 1]
        form = r"\sum_m \delta_m w_{m \leftarrow " + name + "}"
        numbers = " + ".join(
            rf"{_num(d)} \cdot {_num(row[j])}" for d, row in zip(above["delta"], above["weights"])
        )
    return rf"{_d('E', f'out_{{{name}}}')} &= {form} = {numbers} = {_num(ly['dE_dout'][j])}"


def _dout_dnet_latex(trace: dict, k: int, j: int) -> str:
    ly, name = trace["layers"][k], neuron_name(trace, k, j, latex=True)
    o, net = _num(ly["out"][j]), ly["net"][j]
    form = {
        "sigmoid": rf"out(1 - out) = {o}(1 - {o})",
        "tanh": rf"1 - out^2 = 1 - {o}^2",
        "relu": rf"[net > 0] = [{_num(net)} > 0]",
        "linear": "1",
    }[ly["activation"]]
    return rf"{_d(f'out_{{{name}}}', f'net_{{{name}}}')} &= {form} = {_num(ly['dout_dnet'][j])}"


def _link_delta_latex(trace: dict, k: int, j: int) -> str:
    """delta of a loss on logits, o - t (over n for bce): what the trace uses when o saturates."""
    ly, name = trace["layers"][k], neuron_name(trace, k, j, latex=True)
    o, t, n = _num(ly["out"][j]), _num(trace["target"][j]), len(ly["out"])
    scale = rf"\tfrac{{1}}{{{n}}}" if trace["loss_fn"] == "bce" else ""
    return rf"\delta_{{{name}}} &= {scale}(out - t) = {scale}({o} - {t}) = {_num(ly['delta'][j])}"


def _softmax_delta_latex(trace: dict, k: int, j: int) -> str:
    ly, name = trace["layers"][k], neuron_name(trace, k, j, latex=True)
    if None in ly["dE_dout"]:
        return _link_delta_latex(trace, k, j)
    col = [row[j] for row in ly["dout_dnet_jacobian"]]
    terms = " + ".join(rf"{_num(a)} \cdot {_num(b)}" for a, b in zip(ly["dE_dout"], col))
    rule = rf"\sum_m {_d('E', 'out_m')} {_d('out_m', f'net_{{{name}}}')}"
    return rf"\delta_{{{name}}} &= {rule} = {terms} = {_num(ly['delta'][j])}"


def _update_latex(trace: dict, k: int, j: int, i: int | None, grad: float) -> str:
    ly, w = trace["layers"][k], weight_name(trace, k, j, i, latex=True)
    old = ly["weights"][j][i] if i is not None else ly["bias"][j]
    new = ly["new_weights"][j][i] if i is not None else ly["new_bias"][j]
    if i is None and not trace["update_bias"]:
        return rf"{w}^{{+}} &= {w} = {_num(old)} \quad \text{{(biases frozen)}}"
    numbers = rf"{_num(old)} - {_num(trace['lr'])} \times {_num(grad)}"
    return rf"{w}^{{+}} &= {w} - \eta {_d('E', w)} = {numbers} = {_num(new)}"


def chain_rule_latex(trace: dict, k: int, j: int, i: int | None) -> str:
    """The chain rule for weights[j][i] of layer k (its bias when i is None), in numbers."""
    ly = trace["layers"][k]
    name, w = neuron_name(trace, k, j, latex=True), weight_name(trace, k, j, i, latex=True)
    grad = ly["grad_weights"][j][i] if i is not None else ly["grad_bias"][j]
    x = _num(ly["input"][i] if i is not None else 1.0)
    dnet = _d(f"net_{{{name}}}", w)
    lines = [rf"{_d('E', w)} &= \delta_{{{name}}} \, {dnet}"]
    if ly["activation"] == "softmax":
        lines += [rf"&= {_num(ly['delta'][j])} \times {x} = {_num(grad)}"]
        lines += [_softmax_delta_latex(trace, k, j)]
    elif ly["dE_dout"][j] is None:  # a saturated sigmoid under bce
        lines += [rf"&= {_num(ly['delta'][j])} \times {x} = {_num(grad)}"]
        lines += [_link_delta_latex(trace, k, j)]
    else:
        out, net = f"out_{{{name}}}", f"net_{{{name}}}"
        lines[0] += rf" = {_d('E', out)} {_d(out, net)} {dnet}"
        factors = rf"{_num(ly['dE_dout'][j])} \times {_num(ly['dout_dnet'][j])} \times {x}"
        lines += [rf"&= {factors} = {_num(grad)}", _dout_dnet_latex(trace, k, j)]
    lines += [_de_dout_latex(trace, k, j), _update_latex(trace, k, j, i, grad)]
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def neuron_rows(trace: dict, k: int, cursor: int | None = None) -> list[dict[str, Any]]:
    """One row per neuron of layer k; a value the steps have not reached yet is None.

    A softmax layer's slope column is named as what it is, the Jacobian's diagonal.
    """
    ly, s = trace["layers"][k], seen(trace, cursor)
    slope = "∂out/∂net (diagonal)" if ly["activation"] == "softmax" else "∂out/∂net"
    rows = []
    for j in range(len(ly["bias"])):
        fwd, bwd, upd = ((k, j) in s[p] for p in ("forward", "backward", "update"))
        de_dout = OVERFLOW if ly["dE_dout"][j] is None else ly["dE_dout"][j]
        rows.append(
            {
                "neuron": neuron_name(trace, k, j),
                "bias": ly["bias"][j],
                "net": ly["net"][j] if fwd else None,
                "out": ly["out"][j] if fwd else None,
                "∂E/∂out": de_dout if bwd else None,
                slope: ly["dout_dnet"][j] if bwd else None,
                "δ = ∂E/∂net": ly["delta"][j] if bwd else None,
                "new bias": ly["new_bias"][j] if upd else None,
            }
        )
    return rows


def jacobian_rows(trace: dict, k: int, cursor: int | None = None) -> list[dict[str, Any]]:
    """A softmax layer's whole Jacobian, row out_m, column d/dnet_j, once the backward pass has
    reached the layer; [] for any other layer or before."""
    ly = trace["layers"][k]
    reached = any(layer == k for layer, _ in seen(trace, cursor)["backward"])
    if ly["activation"] != "softmax" or not reached:
        return []
    names = [neuron_name(trace, k, j) for j in range(len(ly["bias"]))]
    return [
        {"out": m, **{f"∂/∂net {n}": v for n, v in zip(names, row)}}
        for m, row in zip(names, ly["dout_dnet_jacobian"])
    ]


def weight_rows(trace: dict, k: int, cursor: int | None = None) -> list[dict[str, Any]]:
    """One row per weight of layer k: value, gradient and updated value as the steps reach them."""
    ly, s = trace["layers"][k], seen(trace, cursor)
    rows = []
    for j, row in enumerate(ly["weights"]):
        bwd, upd = (k, j) in s["backward"], (k, j) in s["update"]
        for i, w in enumerate(row):
            rows.append(
                {
                    "weight": weight_name(trace, k, j, i),
                    "w": w,
                    "∂E/∂w": ly["grad_weights"][j][i] if bwd else None,
                    "new w": ly["new_weights"][j][i] if upd else None,
                }
            )
    return rows


def loss_steps_figure(losses: list[float]) -> go.Figure:
    """Loss on the traced example after each SGD step (step 0 = before any)."""
    fig = go.Figure(go.Scatter(x0=0, dx=1, y=losses, mode="lines", line={"color": theme.POSITIVE}))
    fig.update_layout(**theme.base_layout(theme.CURVE_HEIGHT))
    fig.update_xaxes(title_text="SGD step")
    fig.update_yaxes(title_text="loss")
    return fig
