"""Self-organising map charts: the elastic net over 2-D data, prototypes as images, the
U-matrix on the map's grid, and the quantisation and topographic error curves."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.figures import curves
from playground.figures.theme import (
    BOUNDARY_HEIGHT,
    CURVE_HEIGHT,
    INK,
    NEGATIVE,
    axis_style,
    base_layout,
    class_color,
)

IMAGE_SIDE = 8  # digits are 8 x 8
GAP = 1  # blank pixels between two prototypes in the mosaic


def elastic_net(
    prototypes: np.ndarray, links: np.ndarray, points: np.ndarray, labels: np.ndarray
) -> go.Figure:
    """The data points (N, 2) by class, and the prototypes (K, 2) joined by the map's links
    (L, 2): the map drawn as a net stretched over the data."""
    fig = go.Figure()
    for k in np.unique(labels.astype(int)):
        pts = points[labels.astype(int) == k]
        fig.add_trace(go.Scattergl(
            x=pts[:, 0], y=pts[:, 1], mode="markers", name=f"class {k}", opacity=0.45,
            marker={"size": 5, "color": class_color(int(k))}, hoverinfo="skip",
        ))  # fmt: skip
    ends = prototypes[links]  # (L, 2 ends, 2 coordinates)
    xs = np.c_[ends[:, :, 0], np.full(len(ends), np.nan)].ravel()
    ys = np.c_[ends[:, :, 1], np.full(len(ends), np.nan)].ravel()
    fig.add_trace(go.Scattergl(x=xs, y=ys, mode="lines", name="map links",
                               line={"color": INK, "width": 1}, hoverinfo="skip"))  # fmt: skip
    fig.add_trace(go.Scattergl(
        x=prototypes[:, 0], y=prototypes[:, 1], mode="markers", name="prototypes",
        marker={"size": 6, "color": INK}, text=[f"unit {k}" for k in range(len(prototypes))],
        hovertemplate="%{text}<br>(%{x:.2f}, %{y:.2f})<extra></extra>",
    ))  # fmt: skip
    layout = base_layout(BOUNDARY_HEIGHT, title="Map over the data", showlegend=False)
    fig.update_layout(layout, xaxis=axis_style("x1"), yaxis=axis_style("x2", scaleanchor="x"))
    return fig


def prototype_mosaic(
    prototypes: np.ndarray, width: int, height: int, hexagonal: bool = False
) -> go.Figure:
    """Every prototype (K, 64) as an 8 x 8 image at its place on the map (row 0 on top; on a
    hexagonal map odd rows shift right by half an image)."""
    cell = IMAGE_SIDE + GAP
    shift = cell // 2 if hexagonal else 0
    mosaic = np.full((height * cell - GAP, width * cell - GAP + shift), np.nan)
    for k, w in enumerate(prototypes):
        r, c = divmod(k, width)
        x = c * cell + shift * (r % 2)
        mosaic[r * cell : r * cell + IMAGE_SIDE, x : x + IMAGE_SIDE] = w.reshape(
            IMAGE_SIDE, IMAGE_SIDE
        )
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="Greys", showscale=False, zmin=0, zmax=1,
                               hoverinfo="skip"))  # fmt: skip
    fig.update_layout(base_layout(BOUNDARY_HEIGHT, title="Prototypes on the map"))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def u_matrix(umatrix: np.ndarray, positions: np.ndarray, hexagonal: bool) -> go.Figure:
    """The U-matrix (h, w): each unit at its grid place (K, 2), coloured by its mean distance to
    its neighbours' prototypes; dark ridges separate clusters."""
    values = umatrix.ravel()
    fig = go.Figure(go.Scatter(
        x=positions[:, 0], y=positions[:, 1], mode="markers",
        marker={"symbol": "hexagon" if hexagonal else "square", "color": values,
                "size": min(30.0, 300.0 / max(umatrix.shape)),  # px: neighbours nearly touch
                "colorscale": "Greys", "showscale": True, "line": {"width": 0}},
        text=[f"unit {k}: {v:.3g}" for k, v in enumerate(values)],
        hovertemplate="%{text}<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(base_layout(BOUNDARY_HEIGHT, title="U-matrix (mean distance to neighbours)"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def error_curves(history: curves.History, *, log_y: bool = False) -> tuple[go.Figure, go.Figure]:
    """Quantisation error (train and test) and topographic error (train) against the step."""
    qe = curves.loss_curve(history, log_y=log_y, title="Quantisation error")
    qe.update_yaxes(title_text="mean distance to the BMU")
    step, te = history.get("step", np.empty(0)), history.get("topographic_error", np.empty(0))
    fig = go.Figure(go.Scatter(x=step, y=te, mode="lines", name="train",
                               line={"color": NEGATIVE}))  # fmt: skip
    layout = base_layout(CURVE_HEIGHT, title="Topographic error")
    fig.update_layout(layout, xaxis=axis_style("step"), yaxis=axis_style("fraction of examples"))
    fig.update_yaxes(rangemode="tozero")
    return qe, fig
