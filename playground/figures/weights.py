"""Per-layer views of the parameters: weight matrices, gradient norms and histograms."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.theme import (
    BARS_HEIGHT,
    DIVERGING,
    HISTOGRAM_HEIGHT,
    INK,
    POSITIVE,
    SERIES_COLORS,
    WEIGHTS_HEIGHT,
    axis_style,
    base_layout,
)


def weight_heatmaps(layer_names: list[str], weights: list[np.ndarray]) -> go.Figure:
    """One heatmap per layer of W (rows = outputs, columns = inputs), zero-centred per layer.

    Conv weights (out, in, k, k) are shown flattened to (out, in * k * k).
    """
    if not weights:
        return _empty("no weights yet", WEIGHTS_HEIGHT)
    fig = make_subplots(
        rows=1, cols=len(weights), subplot_titles=layer_names, horizontal_spacing=0.06
    )
    for col, w in enumerate(weights, 1):
        z = np.asarray(w, dtype=np.float32).reshape(len(w), -1)  # (out, in * k * k)
        limit = float(np.nanmax(np.abs(z))) if z.size and np.isfinite(z).any() else 1.0
        fig.add_trace(
            go.Heatmap(
                z=z,
                zmin=-(limit or 1.0),
                zmax=limit or 1.0,
                colorscale=DIVERGING,
                showscale=False,
                hovertemplate="W[%{y}, %{x}] = %{z:.5f}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        rows, cols = z.shape
        fig.update_yaxes(autorange="reversed", **_index_ticks(rows), row=1, col=col)  # row 0 on top
        fig.update_xaxes(**_index_ticks(cols), row=1, col=col)
    fig.update_layout(base_layout(WEIGHTS_HEIGHT, margin={"l": 30, "r": 10, "t": 30, "b": 25}))
    fig.update_annotations(font_size=12)
    return fig


def _index_ticks(n: int) -> dict[str, object]:
    """Integer ticks for an axis of n matrix indices (no 0.5 ticks on small matrices)."""
    return {"tick0": 0, "dtick": max(1, -(-n // 6)), "showgrid": False, "zeroline": False}


def grad_norm_bars(names: list[str], norms: list[float] | np.ndarray) -> go.Figure:
    """Bar chart of each layer's current weight-gradient L2 norm on a log axis."""
    values = np.asarray(norms, dtype=np.float64)
    values = np.where(np.isfinite(values) & (values > 0), values, np.nan)  # log axis: gaps
    bars = go.Bar(
        x=list(names),
        y=values,
        marker_color=POSITIVE,
        hovertemplate="%{x}: %{y:.3g}<extra></extra>",
    )
    layout = base_layout(
        BARS_HEIGHT,
        title={"text": "Gradient norm per layer (last step)", "x": 0.0, "font": {"size": 13}},
        xaxis=axis_style("layer"),
        yaxis=axis_style("gradient norm", type="log"),
    )
    return go.Figure([bars], layout=layout)


def histogram_figure(
    hists: list[tuple[str, np.ndarray, np.ndarray]], *, title: str = ""
) -> go.Figure:
    """One bar histogram per (name, counts (B,), edges (B+1,)), side by side."""
    if not hists:
        return _empty("no histograms yet", HISTOGRAM_HEIGHT)
    names = [name for name, _, _ in hists]
    fig = make_subplots(rows=1, cols=len(hists), subplot_titles=names, horizontal_spacing=0.05)
    for col, (name, counts, edges) in enumerate(hists, 1):
        edges = np.asarray(edges, dtype=np.float32)
        fig.add_trace(
            go.Bar(
                x=(edges[:-1] + edges[1:]) / 2,  # (B,) bin centres
                y=np.asarray(counts, dtype=np.float32),
                width=np.diff(edges),
                name=name,
                marker={"color": SERIES_COLORS[(col - 1) % len(SERIES_COLORS)], "line_width": 0},
                hovertemplate="%{x:.3g}: %{y}<extra>" + name + "</extra>",
            ),
            row=1,
            col=col,
        )
    heading = {"text": title, "x": 0.0, "font": {"size": 13}} if title else None
    top = 45 if title else 30
    fig.update_layout(
        base_layout(HISTOGRAM_HEIGHT, margin={"l": 40, "r": 10, "t": top, "b": 25}),
        title=heading,
        showlegend=False,
        bargap=0,
    )
    fig.update_annotations(font_size=12)
    return fig


def _empty(message: str, height: int) -> go.Figure:
    """A blank chart with a centred message."""
    fig = go.Figure(layout=base_layout(height))
    fig.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", font_color=INK)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
