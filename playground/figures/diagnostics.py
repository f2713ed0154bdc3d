"""Diagnostics charts: per-layer histograms now and over time, and overlaid curves of runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.theme import (
    CURVE_HEIGHT,
    GRID,
    NEUTRAL,
    POSITIVE,
    SERIES_COLORS,
    axis_style,
    base_layout,
)
from playground.train.snapshot import LayerProbe

HIST_KINDS = {"weights": "weight_hist", "gradients": "grad_hist", "activations": "act_hist"}
COLUMNS = 4  # small multiples per row
ROW_HEIGHT = 190  # pixels per row of small multiples
TIME_BINS = 40  # common bins of the histogram-over-time heatmaps
REFERENCE_COLOR = "#999999"  # the reference (initial) distribution, drawn as an outline
MAX_CURVE_POINTS = 1_000  # per series; several variants share one chart
SHARE_SCALE: list[list[float | str]] = [[0.0, NEUTRAL], [1.0, POSITIVE]]

Hist = tuple[np.ndarray, np.ndarray]  # (counts (B,), edges (B+1,))
ProbeHistory = Sequence[tuple[int, Sequence[LayerProbe]]]


def rebin(counts: np.ndarray, edges: np.ndarray, new_edges: np.ndarray) -> np.ndarray:
    """(B',) counts moved onto new_edges (B'+1,), each old bin spread evenly over its width."""
    cum = np.concatenate([[0.0], np.cumsum(counts, dtype=np.float64)])  # (B+1,)
    return np.diff(np.interp(new_edges, edges.astype(np.float64), cum))


def _hist(p: LayerProbe, kind: str) -> Hist:
    return getattr(p, HIST_KINDS[kind])


def _grid(n: int, titles: Sequence[str], height_per_row: int = ROW_HEIGHT) -> go.Figure:
    """An empty figure of n small multiples, COLUMNS per row."""
    cols = max(1, min(COLUMNS, n))
    rows = max(1, math.ceil(n / cols))
    fig = make_subplots(rows, cols, subplot_titles=list(titles), horizontal_spacing=0.06,
                        vertical_spacing=min(0.2, 0.3 / rows))  # fmt: skip
    fig.update_layout(**base_layout(60 + rows * height_per_row, showlegend=False))
    fig.update_annotations(font_size=11)
    fig.update_xaxes(gridcolor=GRID, zerolinecolor=GRID, tickfont_size=9)
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=GRID, tickfont_size=9)
    return fig


def layer_histograms(
    layers: Sequence[LayerProbe], kind: str, *, reference: Sequence[LayerProbe] = ()
) -> go.Figure:
    """One histogram per layer (kind: weights, gradients or activations); `reference` (say the
    layers at initialisation) is drawn over each as a grey outline."""
    fig = _grid(len(layers), [f"{p.name} ({p.activation})" for p in layers])
    for i, p in enumerate(layers):
        row, col = divmod(i, COLUMNS)
        counts, edges = _hist(p, kind)
        fig.add_trace(_bars(counts, edges, POSITIVE, "now"), row + 1, col + 1)
        if i < len(reference):
            ref_counts, ref_edges = _hist(reference[i], kind)
            fig.add_trace(_outline(ref_counts, ref_edges), row + 1, col + 1)
    return fig


def _bars(counts: np.ndarray, edges: np.ndarray, color: str, name: str) -> go.Bar:
    centres = (edges[:-1] + edges[1:]) / 2  # (B,)
    return go.Bar(x=centres, y=counts, width=np.diff(edges), marker_color=color, name=name,
                  marker_line_width=0, hovertemplate="%{x:.3g}: %{y}<extra></extra>")  # fmt: skip


def _outline(counts: np.ndarray, edges: np.ndarray) -> go.Scatter:
    """A step outline of a histogram."""
    x = np.repeat(edges, 2)[1:-1]  # (2B,) each bin's left and right edge
    y = np.repeat(counts, 2)
    return go.Scatter(x=x, y=y, mode="lines", name="at init", hoverinfo="skip",
                      line={"color": REFERENCE_COLOR, "width": 1.5})  # fmt: skip


def histogram_over_time(history: ProbeHistory, kind: str, *, bins: int = TIME_BINS) -> go.Figure:
    """Per layer a heatmap: x = value, y = step, colour = share of the values in that bin.

    Each step's histogram has its own edges; they are re-binned onto edges common to all steps.
    """
    steps = np.array([s for s, _ in history], dtype=np.float64)  # (T,)
    n_layers = min((len(layers) for _, layers in history), default=0)
    names = [history[-1][1][k].name for k in range(n_layers)] if n_layers else []
    fig = _grid(n_layers, names)
    for k in range(n_layers):
        hists = [_hist(layers[k], kind) for _, layers in history]
        z, centres = _shares_on_common_bins(hists, bins)  # (T, bins), (bins,)
        row, col = divmod(k, COLUMNS)
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=centres,
                y=steps,
                colorscale=SHARE_SCALE,
                zmin=0.0,
                showscale=False,
                hovertemplate="value %{x:.3g}<br>step %{y}<br>share %{z:.1%}<extra></extra>",
            ),
            row + 1,
            col + 1,
        )
    fig.update_yaxes(title_text="step", col=1)
    return fig


def _shares_on_common_bins(hists: Sequence[Hist], bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, bins) share of each step's values per common bin, and the (bins,) bin centres."""
    lo = min(float(e[0]) for _, e in hists)
    hi = max(float(e[-1]) for _, e in hists)
    edges = np.linspace(lo, hi, bins + 1)  # (bins+1,)
    z = np.stack([rebin(c, e, edges) for c, e in hists])  # (T, bins)
    totals = z.sum(axis=1, keepdims=True)
    z = np.divide(z, totals, out=np.zeros_like(z), where=totals > 0)
    return z.astype(np.float32), ((edges[:-1] + edges[1:]) / 2).astype(np.float32)


def variant_curves(
    runs: Sequence[tuple[str, dict[str, np.ndarray]]],
    metric: str = "loss",
    *,
    log_y: bool = False,
) -> go.Figure:
    """Train (solid) and test (dashed) curves of several runs, one colour per run.

    Args:
        runs: (label, history) pairs; history columns "step", "train_<metric>", "test_<metric>".
        metric: "loss" or "accuracy".
    """
    traces = []
    for i, (label, history) in enumerate(runs):
        color = SERIES_COLORS[i % len(SERIES_COLORS)]
        steps = history.get("step", np.empty(0))
        keep = np.arange(len(steps))[:: max(1, -(-len(steps) // MAX_CURVE_POINTS))]
        for split, dash in (("train", "solid"), ("test", "dash")):
            y = history.get(f"{split}_{metric}", np.full(len(steps), np.nan))[keep]
            bad = ~np.isfinite(y) | ((y <= 0) if log_y else False)
            traces.append(_curve(steps[keep], np.where(bad, np.nan, y), label, split, color, dash))
    fig = go.Figure(traces, layout=_curve_layout(metric, log_y))
    if metric == "accuracy":
        fig.update_yaxes(range=[0.0, 1.02], tickformat=".0%")
    return fig


def _curve(x: np.ndarray, y: np.ndarray, label: str, split: str, color: str, dash: str) -> Any:
    return go.Scatter(
        x=x, y=y, mode="lines", name=label, legendgroup=label,
        showlegend=split == "train", line={"color": color, "dash": dash, "width": 2},
        hovertemplate=f"{label} {split}: %{{y:.4g}}<br>step %{{x}}<extra></extra>",
    )  # fmt: skip


def _curve_layout(metric: str, log_y: bool) -> dict[str, Any]:
    """The title is the legend's own, on the line above its entries: a figure title beside a
    horizontal legend collided once the legend wrapped. The top margin grows with its rows."""
    title = {"text": f"{metric.capitalize()}: train solid, test dashed", "side": "top"}
    legend = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.02, "yanchor": "bottom",
              "title": title}  # fmt: skip
    return base_layout(
        CURVE_HEIGHT + 40,
        xaxis=axis_style("step"),
        yaxis=axis_style(metric, type="log" if log_y else "linear"),
        legend=legend,
    )
