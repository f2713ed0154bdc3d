"""The model's output over the input plane: decision boundary, neuron views, 3-D and error plots."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.figures.theme import (
    BOUNDARY_HEIGHT,
    CLASS_COLORS,
    DIVERGING,
    ERROR_HEIGHT,
    INK,
    NEURON_HEIGHT,
    NEUTRAL,
    PREVIEW_SIZE,
    SURFACE_HEIGHT,
    axis_style,
    base_layout,
    class_color,
)

MAX_POINTS = 1_500  # data points per scatter trace (SVG stays fast below ~2 k)
MAX_PREVIEW_POINTS = 300
MAX_SURFACE_CELLS = 50  # per side of a 3-D surface
CLASS_SPAN = 0.49  # multi-class z = class + CLASS_SPAN * confidence, so round(z) is the class
BOUNDED_ACTIVATIONS = ("tanh", "sigmoid")  # outputs inside [-1, 1]: a fixed colour range


def decision_boundary(
    grid: np.ndarray,
    bound: float,
    *,
    points_train: np.ndarray,
    y_train: np.ndarray,
    points_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    task: str = "classification",
    n_classes: int = 2,
    show_test: bool = False,
    discretize: bool = False,
    height: int = BOUNDARY_HEIGHT,
) -> go.Figure:
    """Output over the plane (K, R, R) with the training (and optionally test) points on top.

    K == 1: one score or value in [-1, 1] on the orange-white-blue scale (sign if `discretize`).
    K > 1: the winning class's colour, faded towards white as its confidence falls.
    Points are (N, 2) x1, x2 with labels (N,): class indices, or targets for regression.
    """
    if grid.shape[0] == 1:
        background = _score_heatmap(grid[0], bound, discretize, task)
    else:
        background = _class_heatmap(grid, bound, discretize)
    traces = [background, _data_points(points_train, y_train, task, "train", NEUTRAL)]
    if show_test and points_test is not None and y_test is not None:
        traces.append(_data_points(points_test, y_test, task, "test", INK))
    layout = _plane_layout(bound, height, live=True)  # redrawn 5 times a second: no colour bar
    return go.Figure(traces, layout, _validate=False)  # live: skip checks


def _cells(bound: float, resolution: int) -> dict[str, float]:
    """x0/dx/y0/dy placing cell (row, col) at its centre: row = x2 index, col = x1 index."""
    step = 2 * bound / resolution
    start = -bound + step / 2
    return {"x0": start, "dx": step, "y0": start, "dy": step}


def _score_heatmap(z: np.ndarray, bound: float, discretize: bool, task: str) -> dict[str, Any]:
    """(R, R) values in [-1, 1] on the diverging scale."""
    z = z.astype(np.float32)
    if discretize:
        z = np.where(np.isnan(z), np.nan, np.where(z >= 0, 1.0, -1.0)).astype(np.float32)
    label = "prediction" if task == "regression" else "output"
    return {
        "type": "heatmap",
        "z": z,
        **_cells(bound, z.shape[-1]),
        "zmin": -1.0,
        "zmax": 1.0,
        "colorscale": DIVERGING,
        "showscale": False,  # the page draws the scale once beside the chart (scale_legend)
        "hovertemplate": _xy_hover() + f"{label} = %{{z:.3f}}<extra></extra>",
    }


def _class_heatmap(grid: np.ndarray, bound: float, discretize: bool) -> dict[str, Any]:
    """(K, R, R) per-class scores -> one heatmap: winning class hue, confidence saturation."""
    k = grid.shape[0]
    winner = np.argmax(np.nan_to_num(grid, nan=-np.inf), axis=0)  # (R, R)
    p_max = np.take_along_axis(grid, winner[None], axis=0)[0]  # (R, R)
    confidence = np.clip((p_max - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)  # 0 at a uniform guess
    if discretize:
        confidence = np.ones_like(confidence)
    z = (winner + CLASS_SPAN * confidence).astype(np.float32)
    return {
        "type": "heatmap",
        "z": z,
        "customdata": p_max.astype(np.float32),
        **_cells(bound, grid.shape[-1]),
        "zmin": 0.0,
        "zmax": float(k),
        "colorscale": class_colorscale(k),
        "showscale": False,
        "hovertemplate": _xy_hover() + "class %{z:.0f}, score %{customdata:.3f}<extra></extra>",
    }


def class_colorscale(k: int) -> list[list[float | str]]:
    """Colourscale over z in [0, k]: [c, c + CLASS_SPAN] runs white -> class c's colour."""
    scale: list[list[float | str]] = []
    for c in range(k):
        color = class_color(c)
        scale += [[c / k, NEUTRAL], [(c + CLASS_SPAN) / k, color], [(c + 0.5) / k, color]]
    scale.append([1.0, class_color(k - 1)])
    return scale


def _xy_hover() -> str:
    return "x1 = %{x:.2f}<br>x2 = %{y:.2f}<br>"


def _stride(n: int, limit: int) -> slice:
    """A slice keeping at most `limit` of `n` rows, evenly strided."""
    return slice(None, None, max(1, -(-n // limit)))


def _data_points(
    points: np.ndarray, y: np.ndarray, task: str, name: str, outline: str, limit: int = MAX_POINTS
) -> dict[str, Any]:
    """(N, 2) points as markers: class colours, or targets on the diverging scale (a trace dict:
    plotly's validation of one colour string per point costs more than the rest of the chart)."""
    keep = _stride(len(points), limit)
    xy, labels = np.asarray(points, dtype=np.float32)[keep], np.asarray(y)[keep]
    marker: dict[str, Any] = {"size": 6, "line": {"color": outline, "width": 1}}
    if task == "regression":
        marker.update(color=labels.astype(np.float32), colorscale=DIVERGING, cmin=-1.0, cmax=1.0)
        value = "target = %{customdata:.3f}"
    else:
        marker["color"] = point_colors(labels)
        value = "class %{customdata}"
    return {
        "type": "scatter",
        "x": xy[:, 0],
        "y": xy[:, 1],
        "mode": "markers",
        "name": name,
        "marker": marker,
        "customdata": labels,
        "hovertemplate": _xy_hover() + value + f"<extra>{name}</extra>",
    }


def point_colors(labels: np.ndarray) -> list[str]:
    """(N,) class indices -> their colours."""
    palette = np.array(CLASS_COLORS)
    return palette[np.asarray(labels, dtype=np.int64) % len(palette)].tolist()


def _plane_layout(bound: float, height: int, **kw: Any) -> dict[str, Any]:
    """Square plot of [-bound, bound]^2 with equal scaling on both axes."""
    plain = {"range": [-bound, bound], "showgrid": False, "zeroline": False}
    return base_layout(
        height,
        margin={"l": 48, "r": 10, "t": 10, "b": 48},  # the axis titles clear the tick labels
        xaxis=axis_style("x1", **plain, constrain="domain"),
        yaxis=axis_style("x2", **plain, scaleanchor="x", scaleratio=1, constrain="domain"),
        showlegend=False,
        **kw,
    )


def dataset_preview(
    points: np.ndarray, y: np.ndarray, task: str, n_classes: int, size: int = PREVIEW_SIZE
) -> go.Figure:
    """A tiny thumbnail of a 2-D dataset (no axes, no hover) for the dataset picker."""
    dots = _data_points(points, y, task, "data", NEUTRAL, limit=MAX_PREVIEW_POINTS)
    dots["marker"].update(size=3, line={"width": 0})
    dots.update(hoverinfo="skip", hovertemplate=None)
    hidden = {"visible": False, "fixedrange": True}
    layout = base_layout(
        size,
        width=size,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        xaxis=hidden,
        yaxis={**hidden, "scaleanchor": "x"},
        showlegend=False,
        hovermode=False,
        dragmode=False,
    )
    return go.Figure([dots], layout=layout, _validate=False)


def neuron_heatmap(
    grid2d: np.ndarray, bound: float, title: str, *, activation: str = "tanh"
) -> go.Figure:
    """One neuron's (R, R) output over the plane, large, with a colour bar.

    tanh and sigmoid outputs use the fixed range [-1, 1]; other activations a symmetric range
    from the largest |value|, which the colour bar title states.
    """
    z = grid2d.astype(np.float32)
    if activation in BOUNDED_ACTIVATIONS:
        limit, bar_title = 1.0, "output"
    else:
        limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
        limit = limit or 1.0
        bar_title = f"output (scale ±{limit:.3g} = max |value|)"
    heatmap = go.Heatmap(
        z=z,
        **_cells(bound, z.shape[-1]),
        zmin=-limit,
        zmax=limit,
        colorscale=DIVERGING,
        colorbar={"thickness": 12, "title": {"text": bar_title, "side": "right"}},
        hovertemplate=_xy_hover() + "output = %{z:.4f}<extra></extra>",
    )
    layout = _plane_layout(bound, NEURON_HEIGHT)
    layout.update(title={"text": title, "x": 0.0, "font": {"size": 13}})
    layout["margin"] = {"l": 40, "r": 10, "t": 35, "b": 40}
    return go.Figure([heatmap], layout=layout)


def output_surface_3d(
    grid2d: np.ndarray,
    bound: float,
    points: np.ndarray | None = None,
    values: np.ndarray | None = None,
) -> go.Figure:
    """The (R, R) output as a 3-D surface (<= 50 x 50 cells), optionally with (N, 2) points.

    3-D traces are WebGL: show this on demand, not in the live refresh.
    """
    r = grid2d.shape[-1]
    keep = _stride(r, MAX_SURFACE_CELLS)
    step = 2 * bound / r
    axis = (-bound + step * (np.arange(r) + 0.5)).astype(np.float32)[keep]  # engine.grid_axis
    z = grid2d.astype(np.float32)[keep, keep]
    limit = max(1.0, float(np.nanmax(np.abs(z)))) if np.isfinite(z).any() else 1.0
    traces: list[Any] = [
        go.Surface(
            x=axis, y=axis, z=z, colorscale=DIVERGING, cmin=-limit, cmax=limit, showscale=False
        )
    ]
    if points is not None and values is not None:
        keep_p = _stride(len(points), MAX_POINTS)
        xy = np.asarray(points, dtype=np.float32)[keep_p]
        traces.append(
            go.Scatter3d(
                x=xy[:, 0],
                y=xy[:, 1],
                z=np.asarray(values, dtype=np.float32)[keep_p],
                mode="markers",
                marker={"size": 2, "color": INK},
                name="data",
            )
        )
    scene = {"xaxis_title": "x1", "yaxis_title": "x2", "zaxis_title": "output"}
    return go.Figure(traces, layout=base_layout(SURFACE_HEIGHT, scene=scene, showlegend=False))


def regression_error(
    points: np.ndarray, y: np.ndarray, pred: np.ndarray, *, bound: float | None = None
) -> go.Figure:
    """(N, 2) points coloured by the signed error pred - y (N,), zero-centred, with a colour bar."""
    keep = _stride(len(points), MAX_POINTS)
    xy = np.asarray(points, dtype=np.float32)[keep]
    error = (np.asarray(pred, dtype=np.float32) - np.asarray(y, dtype=np.float32))[keep]
    limit = float(np.nanmax(np.abs(error))) if np.isfinite(error).any() else 1.0
    marker = {
        "size": 7,
        "color": error,
        "colorscale": DIVERGING,
        "cmin": -(limit or 1.0),
        "cmax": limit or 1.0,
        "line": {"color": INK, "width": 0.5},
        "colorbar": {"thickness": 12, "title": {"text": "prediction − target", "side": "right"}},
    }
    dots = go.Scatter(
        x=xy[:, 0],
        y=xy[:, 1],
        mode="markers",
        marker=marker,
        customdata=error,
        hovertemplate=_xy_hover() + "error = %{customdata:.4f}<extra></extra>",
    )
    if bound is None:
        bound = float(np.nanmax(np.abs(xy))) if len(xy) else 1.0
    return go.Figure([dots], layout=_plane_layout(bound, ERROR_HEIGHT))
