"""Sequence charts: predictions against targets, hidden state and gates over time, the gradient
through time, attention maps per layer and head.

Redrawn about once a second while a run trains, so panels are laid out by hand (plotly's
make_subplots costs 50-200 ms a figure) and figures skip plotly's validation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.figures.theme import (
    CURVE_HEIGHT,
    DIVERGING,
    INK,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    SERIES_COLORS,
    axis_style,
    base_layout,
)

SEQUENTIAL = [[0.0, NEUTRAL], [1.0, POSITIVE]]  # values in [0, 1]: gates, attention weights
RIGHT_WRONG = [[0.0, "#f3c99a"], [0.5, "#f3c99a"], [0.5, "#b5d3ea"], [1.0, "#b5d3ea"]]
STATE_HEIGHT = 300
VALUE_PANEL_HEIGHT = 130
TOKEN_ROW_HEIGHT = 24
ATTENTION_PANEL_HEIGHT = 230
SIGMOID_GATES = frozenset({"input", "forget", "output", "reset", "update"})  # values in (0, 1)


def _suffix(n: int) -> str:
    """Plotly's name ending of the n-th axis (1-based): "", "2", "3", ..."""
    return "" if n == 1 else str(n)


def _steps(n: int) -> np.ndarray:
    return np.arange(n)


def _extent(a: np.ndarray) -> float:
    """Half-width of a zero-centred scale: max |a| over finite values (1 when none or all 0)."""
    finite = np.abs(a[np.isfinite(a)])
    m = float(finite.max()) if finite.size else 0.0
    return m if m > 0 else 1.0


def _layout(title: str, height: int, **kw: Any) -> dict[str, Any]:
    return base_layout(height, title={"text": title, "x": 0.0, "font": {"size": 13}}, **kw)


def _figure(traces: list[Any], layout: dict[str, Any]) -> go.Figure:
    return go.Figure(traces, layout, _validate=False)  # redrawn live: skip plotly's checks


def _panels(
    rows: int, cols: int, *, hgap: float = 0.03, vgap: float = 0.12
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """A rows x cols grid of axes, row 0 at the top: (xref, yref) per panel, row by row, and
    the layout entries (xaxisN, yaxisN with their domains)."""
    width, height = (1 - hgap * (cols - 1)) / cols, (1 - vgap * (rows - 1)) / rows
    refs, layout = [], {}
    for r in range(rows):
        for c in range(cols):
            suffix = _suffix(r * cols + c + 1)
            x0, y1 = c * (width + hgap), 1 - r * (height + vgap)
            x, y = _domain(x0, x0 + width), _domain(y1 - height, y1)
            layout[f"xaxis{suffix}"] = {"domain": x, "anchor": f"y{suffix}"}
            layout[f"yaxis{suffix}"] = {"domain": y, "anchor": f"x{suffix}"}
            refs.append((f"x{suffix}", f"y{suffix}"))
    return refs, layout


def _domain(lo: float, hi: float) -> list[float]:
    """An axis domain inside [0, 1] (sums of fractions can stray by 1e-17)."""
    return [min(max(round(v, 6), 0.0), 1.0) for v in (lo, hi)]


def _panel_titles(titles: Sequence[str], layout: dict[str, Any]) -> list[dict[str, Any]]:
    """One annotation above each panel (in _panels' order); empty titles are left out."""
    out = []
    for i, text in enumerate(titles):
        suffix = _suffix(i + 1)
        x, y = layout[f"xaxis{suffix}"]["domain"], layout[f"yaxis{suffix}"]["domain"]
        if text:
            out.append({"text": text, "x": (x[0] + x[1]) / 2, "y": y[1], "xref": "paper",
                        "yref": "paper", "yanchor": "bottom", "showarrow": False,
                        "font": {"size": 11}})  # fmt: skip
    return out


# ---- predictions -------------------------------------------------------------------------------


def value_predictions(
    inputs: np.ndarray, targets: np.ndarray, outputs: np.ndarray, *, title: str = ""
) -> go.Figure:
    """Real-valued sequences (S, T): one panel per sequence with its input, target and output.

    Positions where the target is NaN (not scored) are gaps in the target and output lines.
    """
    inputs, targets, outputs = (np.asarray(a, dtype=np.float64) for a in (inputs, targets, outputs))
    n = max(len(targets), 1)
    refs, layout = _panels(n, 1, vgap=0.06)
    lines = (("input", "#999999", "dot"), ("target", NEGATIVE, "dash"))
    lines += (("prediction", POSITIVE, "solid"),)
    traces = []
    for s, (xref, yref) in enumerate(refs[: len(targets)]):
        values = (inputs[s], targets[s], np.where(np.isfinite(targets[s]), outputs[s], np.nan))
        for (name, color, dash), y in zip(lines, values):
            traces.append(go.Scatter(
                x=_steps(len(y)), y=y, xaxis=xref, yaxis=yref, mode="lines+markers", name=name,
                legendgroup=name, showlegend=s == 0, marker={"size": 4},
                line={"color": color, "dash": dash, "width": 2},
                hovertemplate=f"sequence {s}, step %{{x}}<br>{name} %{{y:.6g}}<extra></extra>",
            ))  # fmt: skip
    for key in layout:
        layout[key] |= axis_style(showticklabels=key.startswith("y") or key == f"xaxis{_suffix(n)}")
    layout[f"xaxis{_suffix(n)}"]["title"] = {"text": "time step"}
    legend = {"orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.0, "yanchor": "bottom"}
    return _figure(traces, _layout(title, 60 + VALUE_PANEL_HEIGHT * n, legend=legend) | layout)


def token_predictions(
    inputs: Sequence[Sequence[str]],
    targets: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    mask: Sequence[Sequence[bool]],
    *,
    title: str = "",
) -> go.Figure:
    """Token sequences (S of T labels) as one grid of cells: input, target and prediction rows
    per sequence, a blank row between sequences.

    Only scored steps (mask True) have a target and a prediction shown; there the prediction cell
    is blue when it equals the target and orange when not.
    """
    z, text, verdicts, ticks = [], [], [], []
    for s, (x, y, p, m) in enumerate(zip(inputs, targets, predicted, mask)):
        scored = np.asarray(m, dtype=bool)
        same = np.array([a == b for a, b in zip(p, y)], dtype=np.float64)
        blank = np.full(len(y), np.nan)
        if s:
            z.append(blank), text.append([""] * len(y)), verdicts.append([""] * len(y))
            ticks.append("")
        z += [blank, blank, np.where(scored, same, np.nan)]
        shown = [[t if k else "" for t, k in zip(row, scored)] for row in (y, p)]
        text += [list(x), *shown]
        verdict = np.where(scored, np.where(same == 1, "right", "wrong"), "not scored").tolist()
        verdicts += [[""] * len(y), [""] * len(y), verdict]
        ticks += [f"#{s} input", "target", "predicted"]
    heat = go.Heatmap(
        z=np.array(z), x=_steps(len(z[0]) if z else 0), y=_steps(len(z)), text=text,
        texttemplate="%{text}", customdata=verdicts, colorscale=RIGHT_WRONG, zmin=0.0,
        zmax=1.0, showscale=False, xgap=1, ygap=1,
        hovertemplate="step %{x}: %{text} %{customdata}<extra></extra>",
    )  # fmt: skip
    height = 80 + TOKEN_ROW_HEIGHT * len(z)
    layout = _layout(title, height, margin={"l": 90, "r": 10, "t": 30, "b": 40})
    layout["xaxis"] = axis_style("time step", showgrid=False, zeroline=False)
    if z and len(z[0]) <= 40:
        layout["xaxis"]["dtick"] = 1
    layout["yaxis"] = {"showgrid": False, "zeroline": False, "autorange": "reversed",
                       "tickvals": list(range(len(z))), "ticktext": ticks}  # fmt: skip
    return _figure([heat], layout)


# ---- inside the recurrent layer ----------------------------------------------------------------


def state_heatmap(h: np.ndarray, *, title: str = "Hidden state", name: str = "h") -> go.Figure:
    """Hidden state (units, T): one row per unit, one column per time step, zero-centred."""
    h = np.asarray(h, dtype=np.float32)
    m = _extent(h)
    heat = go.Heatmap(
        z=h, x=_steps(h.shape[1]), y=_steps(h.shape[0]), colorscale=DIVERGING, zmin=-m, zmax=m,
        colorbar={"thickness": 10},
        hovertemplate=f"unit %{{y}}, step %{{x}}<br>{name} %{{z:.6g}}<extra></extra>",
    )  # fmt: skip
    layout = _layout(title, STATE_HEIGHT)
    layout["xaxis"] = axis_style("time step", showgrid=False)
    layout["yaxis"] = axis_style("unit", showgrid=False, autorange="reversed")
    return _figure([heat], layout)


def gate_heatmaps(gates: Mapping[str, np.ndarray], *, title: str = "Gates") -> go.Figure:
    """One panel per gate (name -> (units, T)), side by side.

    Sigmoid gates (SIGMOID_GATES) are drawn on [0, 1]: white = closed, blue = open. The others
    (an LSTM's candidate and cell state, a GRU's new state) are zero-centred on their own extent,
    which their panel title gives.
    """
    names = list(gates)
    refs, layout = _panels(1, max(len(names), 1))
    traces, titles = [], []
    for (xref, yref), name in zip(refs, names):
        g = np.asarray(gates[name], dtype=np.float32)
        if name in SIGMOID_GATES:
            scale, label = {"colorscale": SEQUENTIAL, "zmin": 0.0, "zmax": 1.0}, f"{name} gate"
        else:
            m = _extent(g)
            scale, label = {"colorscale": DIVERGING, "zmin": -m, "zmax": m}, f"{name}<br>±{m:.2g}"
        titles.append(label)
        traces.append(go.Heatmap(
            z=g, x=_steps(g.shape[1]), y=_steps(g.shape[0]), xaxis=xref, yaxis=yref, name=name,
            showscale=False, hovertemplate=f"unit %{{y}}, step %{{x}}<br>{name} %{{z:.6g}}"
            "<extra></extra>", **scale,
        ))  # fmt: skip
    for key in layout:
        first = key in ("xaxis", "yaxis")
        layout[key] |= {"showgrid": False, "zeroline": False}
        layout[key] |= {"autorange": "reversed", "showticklabels": first} if key[0] == "y" else {}
    layout["xaxis"]["title"], layout["yaxis"]["title"] = {"text": "time step"}, {"text": "unit"}
    margin = {"l": 50, "r": 10, "t": 64, "b": 40}
    fig_layout = _layout(
        title, STATE_HEIGHT, margin=margin, annotations=_panel_titles(titles, layout)
    )
    return _figure(traces, fig_layout | layout)


def gradient_through_time(
    norms: Mapping[str, np.ndarray], *, log_y: bool = True, title: str = "Gradient through time"
) -> go.Figure:
    """One line per layer (name -> (T,)): |dloss/dh_t| for every time step t.

    On a log axis a zero or non-finite norm is a gap, never a made-up value.
    """
    traces = []
    for i, (name, g) in enumerate(norms.items()):
        g = np.asarray(g, dtype=np.float64)
        bad = ~np.isfinite(g) | ((g <= 0) if log_y else False)
        traces.append(go.Scatter(
            x=_steps(len(g)), y=np.where(bad, np.nan, g), mode="lines+markers", name=name,
            marker={"size": 5}, line={"color": SERIES_COLORS[i % len(SERIES_COLORS)], "width": 2},
            hovertemplate=f"{name}, step %{{x}}<br>|dloss/dh| %{{y:.6g}}<extra></extra>",
        ))  # fmt: skip
    layout = _layout(title, CURVE_HEIGHT, showlegend=len(norms) > 1)
    layout["xaxis"] = axis_style("time step t")
    layout["yaxis"] = axis_style("|dloss / dh_t|", type="log" if log_y else "linear",
                                 exponentformat="power")  # fmt: skip
    return _figure(traces, layout)


# ---- attention ---------------------------------------------------------------------------------


def attention_maps(
    layers: Sequence[np.ndarray], tokens: Sequence[str] | None = None, *, title: str = "Attention"
) -> go.Figure:
    """Attention weights, one (H, T, T) array per layer: a row of panels per layer, one per head.

    Row q of a panel is where step q looks: its weights over the key steps sum to 1.
    """
    maps = [np.asarray(w, dtype=np.float32) for w in layers]
    n_layers, n_heads, t = len(maps), max(w.shape[0] for w in maps), maps[0].shape[-1]
    refs, layout = _panels(n_layers, n_heads, hgap=0.04, vgap=0.3 / n_layers)
    labels = [f"{i}" if tokens is None else f"{i}: {tokens[i]}" for i in range(t)]
    traces, titles = [], []
    for i, w in enumerate(maps):
        for j in range(n_heads):
            titles.append(f"layer {i + 1}, head {j + 1}" if j < len(w) else "")
            if j >= len(w):
                continue
            xref, yref = refs[i * n_heads + j]
            traces.append(go.Heatmap(
                z=w[j], x=labels, y=labels, xaxis=xref, yaxis=yref, colorscale=SEQUENTIAL,
                zmin=0.0, zmax=1.0, showscale=i == 0 and j == 0, colorbar={"thickness": 10},
                name=titles[-1],
                hovertemplate="query %{y} looks at key %{x}<br>weight %{z:.6f}<extra></extra>",
            ))  # fmt: skip
    ticks = {"showgrid": False, "type": "category", "tickfont": {"size": 9}}
    for key in layout:
        row, col = divmod(int(key[5:] or 1) - 1, n_heads)  # "xaxis7" -> 7th panel
        outer = col == 0 if key[0] == "y" else row == n_layers - 1
        layout[key] |= ticks | {"showticklabels": t <= 24 and outer}
        layout[key] |= {"autorange": "reversed"} if key[0] == "y" else {}
    layout["yaxis"]["title"] = {"text": "query"}
    bottom_left = f"xaxis{_suffix((n_layers - 1) * n_heads + 1)}"
    layout[bottom_left]["title"] = {"text": "key (looked at)"}
    margin = {"l": 60, "r": 10, "t": 60, "b": 40}
    height = 60 + ATTENTION_PANEL_HEIGHT * n_layers
    fig_layout = _layout(title, height, margin=margin, annotations=_panel_titles(titles, layout))
    return _figure(traces, fig_layout | layout)


def empty_figure(message: str, height: int = CURVE_HEIGHT) -> go.Figure:
    """A blank chart saying why there is nothing to draw yet."""
    layout = base_layout(height, xaxis={"visible": False}, yaxis={"visible": False})
    layout["annotations"] = [{"text": message, "showarrow": False, "xref": "paper",
                              "yref": "paper", "font": {"color": INK}}]  # fmt: skip
    return _figure([], layout)
