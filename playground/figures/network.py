"""The network picture (TensorFlow Playground style): neuron thumbnails, weighted links, biases."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.figures.theme import (
    DIVERGING,
    INK,
    NEGATIVE,
    NETWORK_MIN_HEIGHT,
    NETWORK_PX_PER_NEURON,
    POSITIVE,
    base_layout,
)

COLUMN_GAP = 3.0  # data units between column centres; a thumbnail is 1 x 1
PITCH = 1.4  # data units between neuron centres in a column
WIDTH_BUCKETS = 8  # link widths are bucketed so each (width, sign) pair is one trace
HEADER = 0.9  # room above the tallest column for the column titles
CHAR_WIDTH = 0.38  # data units per character of an 11-px label at the page's scale


def network_graph(
    feature_names: list[str],
    feature_grids: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    neuron_grids: list[np.ndarray],
    output_grid: np.ndarray,
    *,
    thumb: int = 20,
    selected: tuple[int, int] | None = None,
    height: int | None = None,
) -> go.Figure:
    """Inputs, hidden layers and the output as columns of heatmap thumbnails joined by links.

    Args:
        feature_grids: (F, R, R) each input feature over the plane.
        weights: per layer (units_k, units_{k-1}), nn.Linear layout; the last is the output's.
        biases: per layer (units_k,).
        neuron_grids: per hidden layer (units_k, R, R) activations over the plane.
        output_grid: (K, R, R) the shown output, one grid per output unit ((R, R) for one), or
            (1, R, R) for a two-unit softmax shown as one score (see output_unit_grids).
        selected: (layer_index, neuron_index) to outline; layer 0 is the inputs.
    Neurons carry customdata [layer_index, neuron_index] for click selection.
    """
    units = int(np.shape(weights[-1])[0]) if weights else len(feature_grids)
    outputs = output_unit_grids(output_grid, units)
    grids = [_scaled_features(feature_grids), *neuron_grids, outputs]
    counts = [len(g) for g in grids]  # neurons per column
    _check_shapes(counts, weights, biases)
    centres = _centres(counts)  # per column (n, 2)
    names = _neuron_names(feature_names, counts)
    traces: list[dict[str, Any]] = [
        _thumbnail(g, xy, thumb)
        for col, xy_col in zip(grids, centres)
        for g, xy in zip(col, xy_col)
    ]
    traces += _links(weights, centres, names)
    traces.append(_neurons(centres, names, biases))
    traces.append(_bias_markers(centres, biases))
    traces.append(_labels(centres, feature_names, counts))
    fig_height = height or max(NETWORK_MIN_HEIGHT, NETWORK_PX_PER_NEURON * max(counts) + 40)
    # Built without validation: ~60 traces validate in tens of ms, the dicts here in ~1 ms.
    label_chars = max((len(n) for n in feature_names), default=0)
    layout = _layout(counts, selected, fig_height, label_chars)
    return go.Figure(traces, layout, _validate=False)


def output_unit_grids(output_grid: np.ndarray, units: int) -> np.ndarray:
    """(units, R, R): one thumbnail per output unit from the shown output (K, R, R) or (R, R).

    Two classes under softmax are shown as one score s = 2 p1 - 1; unit 0's own score is
    2 p0 - 1 = -s (p0 = 1 - p1), so both units get their thumbnail.
    """
    grid = np.asarray(output_grid)
    grid = grid[None] if grid.ndim == 2 else grid
    if len(grid) == 1 and units == 2:
        return np.concatenate([-grid, grid])
    if len(grid) != units:
        raise ValueError(f"network_graph: {len(grid)} output grids for {units} output units")
    return grid


def _scaled_features(feature_grids: np.ndarray) -> np.ndarray:
    """(F, R, R) features divided by their max |value|, so every input spans the colour range."""
    limit = np.nanmax(np.abs(feature_grids), axis=(1, 2), keepdims=True)  # (F, 1, 1)
    return feature_grids / np.where(limit > 0, limit, 1.0)


def _check_shapes(counts: list[int], weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
    """Raise ValueError unless weights[k] is (counts[k+1], counts[k]) and biases match."""
    expected = [(counts[k + 1], counts[k]) for k in range(len(counts) - 1)]
    got = [tuple(np.shape(w)) for w in weights]
    if got != expected or [len(b) for b in biases] != counts[1:]:
        raise ValueError(f"network_graph: weights {got} do not join columns {counts}")


def _centres(counts: list[int]) -> list[np.ndarray]:
    """Per column (n, 2) neuron centres: fixed column spacing, vertically centred, first on top."""
    return [
        np.stack([np.full(n, c * COLUMN_GAP), ((n - 1) / 2 - np.arange(n)) * PITCH], axis=1)
        for c, n in enumerate(counts)
    ]


def _neuron_names(feature_names: list[str], counts: list[int]) -> list[list[str]]:
    """Per column the display name of each neuron (1-based neuron numbers)."""
    hidden = [[f"layer {c} neuron {i + 1}" for i in range(n)] for c, n in enumerate(counts)]
    k = counts[-1]
    outputs = ["output"] if k == 1 else [f"output {i} (class {i})" for i in range(k)]
    return [list(feature_names), *hidden[1:-1], outputs]


def _thumbnail(grid: np.ndarray, centre: np.ndarray, thumb: int) -> dict[str, Any]:
    """(R, R) grid strided down to <= thumb x thumb, filling the unit square around `centre`."""
    stride = max(1, -(-grid.shape[-1] // thumb))
    z = np.asarray(grid[::stride, ::stride], dtype=np.float32)  # (n, n), row 0 = lowest x2
    cell = 1.0 / z.shape[-1]
    return {
        "type": "heatmap",
        "z": z,
        "x0": float(centre[0]) - 0.5 + cell / 2,
        "dx": cell,
        "y0": float(centre[1]) - 0.5 + cell / 2,
        "dy": cell,
        "coloraxis": "coloraxis",
        "hoverinfo": "skip",
    }


def _links(
    weights: list[np.ndarray], centres: list[np.ndarray], names: list[list[str]]
) -> list[dict[str, Any]]:
    """Links bucketed by (|w| width bucket, sign) into <= 16 line traces, plus one hover trace."""
    x0, y0, x1, y1, w, text = [], [], [], [], [], []
    for k, wk in enumerate(weights):
        dst, src = np.meshgrid(np.arange(wk.shape[0]), np.arange(wk.shape[1]), indexing="ij")
        dst, src = dst.ravel(), src.ravel()  # (out * in,) row-major over W
        x0.append(centres[k][src, 0] + 0.5)
        y0.append(centres[k][src, 1])
        x1.append(centres[k + 1][dst, 0] - 0.5)
        y1.append(centres[k + 1][dst, 1])
        w.append(np.asarray(wk, dtype=np.float32).ravel())
        text += [f"{names[k][j]} -> {names[k + 1][i]}" for i, j in zip(dst, src)]
    x0, y0, x1, y1, w = (np.concatenate(a) if a else np.empty(0) for a in (x0, y0, x1, y1, w))
    limit = float(np.nanmax(np.abs(w))) if w.size and np.isfinite(w).any() else 1.0
    scaled = np.nan_to_num(np.abs(w) / (limit or 1.0)) * WIDTH_BUCKETS  # NaN: thinnest
    bucket = np.clip(scaled.astype(int), 0, WIDTH_BUCKETS - 1)
    traces = []
    for b in range(WIDTH_BUCKETS):
        for positive, color in ((True, POSITIVE), (False, NEGATIVE)):
            keep = (bucket == b) & ((w >= 0) == positive)
            if keep.any():
                traces.append(_link_trace(x0[keep], y0[keep], x1[keep], y1[keep], b, color))
    hover = [f"w = {v!s} ({t})" for v, t in zip(w, text)]  # str: shortest exact float32
    traces.append(_link_hover((x0 + x1) / 2, (y0 + y1) / 2, w, hover))
    return traces


def _link_trace(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, bucket: int, color: str
) -> dict[str, Any]:
    """One line trace for many links, segments separated by NaN (a gap, like None, but a
    float32 array: plotly deep-copies a list of None item by item, ~5x slower here)."""
    gap = np.full(len(x0), np.nan)
    return {
        "type": "scatter",
        "x": np.stack([x0, x1, gap], axis=1).astype(np.float32).ravel(),  # (3M,) start, end, gap
        "y": np.stack([y0, y1, gap], axis=1).astype(np.float32).ravel(),
        "mode": "lines",
        "name": "links",
        "line": {"color": color, "width": 0.5 + 0.9 * bucket},
        "opacity": 0.75,
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _link_hover(mx: np.ndarray, my: np.ndarray, w: np.ndarray, text: list[str]) -> dict[str, Any]:
    """Invisible markers at the link midpoints carrying each exact weight as hover text."""
    return {
        "type": "scatter",
        "x": mx.astype(np.float32),
        "y": my.astype(np.float32),
        "mode": "markers",
        "name": "link values",
        "marker": {"size": 8, "color": "rgba(0,0,0,0)"},
        "customdata": w,
        "hovertext": text,
        "hoverinfo": "text",
        "showlegend": False,
    }


def _neurons(
    centres: list[np.ndarray], names: list[list[str]], biases: list[np.ndarray]
) -> dict[str, Any]:
    """Transparent square markers over every thumbnail: hover text and click target."""
    xy = np.concatenate(centres)
    ids = [[c, i] for c, col in enumerate(centres) for i in range(len(col))]
    text = [f"{n} (input)" for n in names[0]]
    for col, b in zip(names[1:], biases):
        text += [f"{n}, bias = {v!s}" for n, v in zip(col, np.asarray(b, np.float32))]
    return {
        "type": "scatter",
        "x": xy[:, 0],
        "y": xy[:, 1],
        "mode": "markers",
        "name": "neurons",
        "marker": {"symbol": "square", "size": 26, "color": "rgba(0,0,0,0)"},
        "customdata": ids,
        "hovertext": text,
        "hoverinfo": "text",
        "showlegend": False,
    }


def _bias_markers(centres: list[np.ndarray], biases: list[np.ndarray]) -> dict[str, Any]:
    """A small square at each non-input neuron's bottom-left, coloured by the bias's sign."""
    xy = np.concatenate(centres[1:]) - 0.5  # (units, 2) bottom-left corners
    b = np.concatenate([np.asarray(v, dtype=np.float32) for v in biases])
    return {
        "type": "scatter",
        "x": xy[:, 0],
        "y": xy[:, 1],
        "mode": "markers",
        "name": "bias",
        "marker": {
            "symbol": "square",
            "size": 7,
            "color": np.where(b >= 0, POSITIVE, NEGATIVE).tolist(),
            "line": {"color": INK, "width": 0.5},
        },
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _labels(
    centres: list[np.ndarray], feature_names: list[str], counts: list[int]
) -> dict[str, Any]:
    """Feature names left of the inputs and a title above each column, as one text trace."""
    top = (max(counts) - 1) / 2 * PITCH + 0.5 + HEADER / 2
    last = "output" if counts[-1] == 1 else "outputs"
    titles = ["inputs", *(f"{n} units" for n in counts[1:-1]), last]  # short: columns are
    # about 50 px apart on the page; hovering a neuron names its layer
    x = [*(centres[0][:, 0] - 0.6), *(c * COLUMN_GAP for c in range(len(counts)))]
    y = [*centres[0][:, 1], *([top] * len(counts))]
    positions = ["middle left"] * len(feature_names) + ["middle center"] * len(counts)
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "text",
        "name": "labels",
        "text": [*feature_names, *titles],
        "textposition": positions,
        "textfont": {"size": 11, "color": INK},
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _layout(
    counts: list[int], selected: tuple[int, int] | None, height: int, label_chars: int
) -> dict[str, Any]:
    """Hidden axes with equal scaling, one shared colour axis, the selection outline; the x range
    holds the feature names on the left and the "output" title on the right (margins are fixed)."""
    half = (max(counts) - 1) / 2 * PITCH + 0.5
    left = -1.0 - CHAR_WIDTH * label_chars
    hidden = {"visible": False, "fixedrange": True}
    return base_layout(
        height,
        live=True,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={**hidden, "range": [left, (len(counts) - 1) * COLUMN_GAP + 1.3]},
        yaxis={**hidden, "range": [-half - 0.2, half + HEADER], "scaleanchor": "x"},
        coloraxis={"colorscale": DIVERGING, "cmin": -1.0, "cmax": 1.0, "showscale": False},
        shapes=_selection(counts, selected),
        showlegend=False,
        hovermode="closest",
        hoverdistance=12,
        template={"layout": {}},  # unvalidated figure: the dict form, not the name "none"
    )


def _selection(counts: list[int], selected: tuple[int, int] | None) -> list[dict[str, Any]]:
    """A rectangle around the selected neuron's thumbnail (none if out of range)."""
    if selected is None:
        return []
    col, row = selected
    if not (0 <= col < len(counts) and 0 <= row < counts[col]):
        return []
    cx, cy = col * COLUMN_GAP, ((counts[col] - 1) / 2 - row) * PITCH
    edge = 0.58
    line = {"color": INK, "width": 2.5}
    return [
        {
            "type": "rect",
            "x0": cx - edge,
            "x1": cx + edge,
            "y0": cy - edge,
            "y1": cy + edge,
            "line": line,
        }
    ]
