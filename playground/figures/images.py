"""Image charts: digits, saliency maps, confusion matrix, conv filters, feature maps, gradients."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.theme import (
    BARS_HEIGHT,
    DIVERGING,
    INK,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    axis_style,
    base_layout,
)

DIGIT_HEIGHT = 220
SALIENCY_ROW_HEIGHT = 190
CONFUSION_HEIGHT = 420
FILTERS_HEIGHT = 320
FEATURE_ROW_HEIGHT = 110
FIELD_HEIGHT = 400
STALE_OPACITY = 0.3  # a result the model has trained past: still readable, plainly not current

GREYS = [[0.0, NEUTRAL], [1.0, "#000000"]]  # ink on paper, like the digits are drawn
SEQUENTIAL = [[0.0, NEUTRAL], [1.0, POSITIVE]]  # counts and non-negative values
INK_OVERLAY = [[0.0, "rgba(0,0,0,0)"], [1.0, "rgba(0,0,0,0.4)"]]  # strokes over a saliency map
MAX_ARROWS = 400  # 3 points per arrow keeps the SVG scatter near 1 k points


def digit_image(img: np.ndarray, title: str = "", *, zmax: float | None = None) -> go.Figure:
    """One image (H, W) in grey ink, row 0 at the top."""
    img = np.asarray(img, dtype=np.float32)
    fig = go.Figure(_digit_trace(img, zmax))
    fig.update_layout(base_layout(DIGIT_HEIGHT, title={"text": title}))
    _image_axes(fig)
    return fig


def saliency_grid(
    x_img: np.ndarray,
    maps: dict[str, np.ndarray],
    shared_scale: bool = True,
    *,
    absolute: bool = False,
    show_input: bool = True,
    max_cols: int = 5,
) -> go.Figure:
    """The image, then one panel per method: its map (H, W) with the image's ink laid over it.

    Maps use a zero-centred diverging scale (or |map| on a sequential one when `absolute`);
    with `shared_scale` every panel has the same zmin/zmax and one colour bar, else its own.
    """
    x_img = np.asarray(x_img, dtype=np.float32)
    arrays = {k: np.abs(v) if absolute else v for k, v in maps.items()}
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
    titles = (["input"] if show_input else []) + [_panel_title(k) for k in arrays]
    ncols = max(1, min(len(titles), max_cols))
    nrows = math.ceil(len(titles) / ncols)
    fig = make_subplots(nrows, ncols, subplot_titles=titles, horizontal_spacing=0.02)
    if show_input:
        fig.add_trace(_digit_trace(x_img), row=1, col=1)
    shared = max((_extent(a) for a in arrays.values()), default=1.0)
    for i, (name, a) in enumerate(arrays.items(), start=int(show_input)):
        m = shared if shared_scale else _extent(a)
        bar = shared_scale and i == len(titles) - 1  # one colour bar, and only when shared
        row, col = divmod(i, ncols)
        fig.add_trace(_map_trace(a, name, m, absolute, bar), row=row + 1, col=col + 1)
        fig.add_trace(_digit_trace(x_img, ink=True), row=row + 1, col=col + 1)
    height = SALIENCY_ROW_HEIGHT * nrows + 20
    fig.update_layout(base_layout(height, margin={"l": 10, "r": 10, "t": 40, "b": 10}))
    fig.update_annotations(font={"size": 11})
    _image_axes(fig)
    return fig


def confusion_matrix_figure(cm: np.ndarray, class_names: Sequence[str] | None = None) -> go.Figure:
    """Counts (C, C), rows true and columns predicted; colour is the share of the row."""
    cm = np.asarray(cm)
    names = [str(c) for c in (class_names if class_names is not None else range(len(cm)))]
    totals = cm.sum(axis=1, keepdims=True)  # (C, 1)
    share = np.divide(cm, totals, out=np.zeros(cm.shape), where=totals > 0)  # (C, C)
    fig = go.Figure(
        go.Heatmap(
            z=share.astype(np.float32),
            x=names,
            y=names,
            text=cm,
            texttemplate="%{text}",
            customdata=100 * share,
            colorscale=SEQUENTIAL,
            zmin=0.0,
            zmax=1.0,
            showscale=False,
            hovertemplate="true %{y}, predicted %{x}<br>count %{text}"
            "<br>%{customdata:.1f}% of the row<extra></extra>",
        )
    )
    fig.update_layout(base_layout(CONFUSION_HEIGHT))
    fig.update_xaxes(axis_style("predicted class", type="category", side="top"))
    fig.update_yaxes(axis_style("true class", type="category", autorange="reversed"))
    return fig


def filters_figure(filters: np.ndarray) -> go.Figure:
    """Conv weights (O, I, k, k) as one mosaic of k x k tiles on a zero-centred scale.

    One filter per row and one input channel per column; a single-input layer wraps its
    filters into a near-square grid instead.
    """
    filters = np.asarray(filters, dtype=np.float32)
    n_out, n_in, k, _ = filters.shape
    if n_in == 1:
        tiles, ncols = filters[:, 0], math.ceil(math.sqrt(n_out))
        labels = [f"filter {o}" for o in range(n_out)]
    else:
        tiles, ncols = filters.reshape(n_out * n_in, k, k), n_in
        labels = [f"filter {o}, input channel {i}" for o in range(n_out) for i in range(n_in)]
    z, text = _mosaic(tiles, ncols), _mosaic_labels(labels, tiles.shape[1:], ncols)
    fig = go.Figure(_map_trace(z, "weight", _extent(filters), False, True, text))
    fig.update_layout(base_layout(FILTERS_HEIGHT))
    _image_axes(fig)
    return fig


def feature_maps_figure(maps: Sequence[tuple[str, np.ndarray]]) -> go.Figure:
    """One row per layer: its channels (C, H, W) side by side, each layer on its own scale."""
    fig = make_subplots(
        rows=max(len(maps), 1), cols=1, subplot_titles=[n for n, _ in maps], vertical_spacing=0.08
    )
    for row, (name, a) in enumerate(maps, start=1):
        a = np.asarray(a, dtype=np.float32)
        ncols = a.shape[0] if a.shape[0] <= 16 else math.ceil(a.shape[0] / 2)
        z = _mosaic(a, ncols)
        labels = _mosaic_labels([f"channel {c}" for c in range(a.shape[0])], a.shape[1:], ncols)
        fig.add_trace(
            _map_trace(z, name, _extent(a), bool(np.nanmin(a) >= 0), False, labels), row, 1
        )
    height = FEATURE_ROW_HEIGHT * max(len(maps), 1) + 40
    fig.update_layout(base_layout(height, margin={"l": 10, "r": 10, "t": 30, "b": 10}))
    _image_axes(fig)
    return fig


def faded(fig: go.Figure, opacity: float = STALE_OPACITY) -> go.Figure:
    """The figure with every trace drawn at `opacity`: a result the model has moved past."""
    return fig.update_traces(opacity=opacity)


def probabilities_bar(
    p: np.ndarray, class_names: Sequence[str] | None = None, *, true_class: int | None = None
) -> go.Figure:
    """Probability per class (C,): the predicted class in blue, a missed true class in orange."""
    p = np.asarray(p, dtype=np.float32)
    names = [str(c) for c in (class_names if class_names is not None else range(len(p)))]
    colors = ["#bbbbbb"] * len(p)
    if true_class is not None:
        colors[true_class] = NEGATIVE
    if len(p):
        colors[int(np.argmax(p))] = POSITIVE
    bar = go.Bar(
        x=names, y=p, marker={"color": colors}, hovertemplate="class %{x}: %{y:.3f}<extra></extra>"
    )
    fig = go.Figure(bar)
    fig.update_layout(base_layout(BARS_HEIGHT, showlegend=False))
    fig.update_xaxes(axis_style("class", type="category"))
    fig.update_yaxes(axis_style("probability", range=[0.0, 1.0]))
    return fig


def gradient_field(
    xs: np.ndarray,
    ys: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    base_grid: np.ndarray | None = None,
    *,
    normalize: bool = False,
    zrange: tuple[float, float] = (-1.0, 1.0),
    axis_titles: tuple[str, str] = ("x1", "x2"),
) -> go.Figure:
    """Input gradients (len(ys), len(xs)) as arrows over an optional heatmap (len(ys), len(xs)).

    The longest arrow spans 0.9 grid spacings (every arrow does when `normalize`); the grid is
    thinned to at most MAX_ARROWS arrows, drawn as one SVG scatter of segments.
    """
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    fig = go.Figure()
    if base_grid is not None:
        fig.add_trace(_base_heatmap(xs, ys, np.asarray(base_grid, dtype=np.float32), zrange))
    step = max(1, math.ceil(math.sqrt(len(xs) * len(ys) / MAX_ARROWS)))
    sx, sy = xs[::step], ys[::step]
    u, v = np.asarray(gx)[::step, ::step], np.asarray(gy)[::step, ::step]  # (Ry', Rx')
    fig.add_trace(_arrows(sx, sy, u, v, normalize))
    fig.update_layout(base_layout(FIELD_HEIGHT, showlegend=False))
    fig.update_xaxes(axis_style(axis_titles[0], range=[xs.min(), xs.max()], constrain="domain"))
    fig.update_yaxes(axis_style(axis_titles[1], range=[ys.min(), ys.max()], scaleanchor="x"))
    return fig


# --- helpers -------------------------------------------------------------------------------------


def _extent(a: np.ndarray) -> float:
    """Half-width of a zero-centred colour scale: max |a| (1 for an all-zero array)."""
    m = float(np.nanmax(np.abs(a))) if np.size(a) and not np.all(np.isnan(a)) else 0.0
    return m if m > 0 else 1.0


def _digit_trace(img: np.ndarray, zmax: float | None = None, *, ink: bool = False) -> go.Heatmap:
    """The image in grey, or (ink) as translucent strokes whose hover passes to the map below."""
    top = zmax if zmax is not None else max(float(np.max(img)), 1e-6)
    template = "row %{y}, col %{x}: %{z:.2f}<extra></extra>"
    hover = {"hoverinfo": "skip"} if ink else {"hovertemplate": template}
    colors = INK_OVERLAY if ink else GREYS
    return go.Heatmap(z=img, colorscale=colors, zmin=0.0, zmax=top, showscale=False, **hover)


def _panel_title(name: str) -> str:
    """'integrated_gradients' -> 'integrated<br>gradients': long titles on two lines."""
    words = name.replace("_", " ").split(" ")
    if len(name) <= 12 or len(words) == 1:
        return " ".join(words)
    cut = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - len(name) / 2))
    return " ".join(words[:cut]) + "<br>" + " ".join(words[cut:])


def _map_trace(
    z: np.ndarray, name: str, m: float, sequential: bool, showscale: bool, text: Any = None
) -> go.Heatmap:
    """A map on a zero-centred diverging scale [-m, m], or a sequential one [0, m]."""
    colors, low = (SEQUENTIAL, 0.0) if sequential else (DIVERGING, -m)
    hover = ("%{text}<br>" if text is not None else "") + f"{name}: %{{z:.3g}}<extra></extra>"
    style = {"colorscale": colors, "zmin": low, "zmax": m, "colorbar": {"thickness": 10}}
    return go.Heatmap(z=z, text=text, name=name, showscale=showscale, hovertemplate=hover, **style)


def _mosaic(tiles: np.ndarray, ncols: int) -> np.ndarray:
    """Tiles (T, h, w) on a grid of `ncols` columns with one NaN row/column between them."""
    n, h, w = tiles.shape
    nrows = math.ceil(n / ncols)
    out = np.full((nrows * (h + 1) - 1, ncols * (w + 1) - 1), np.nan, dtype=np.float32)
    for t in range(n):
        r, c = divmod(t, ncols)
        out[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = tiles[t]
    return out


def _mosaic_labels(labels: list[str], tile_shape: tuple[int, ...], ncols: int) -> np.ndarray:
    """Hover label of each mosaic cell, laid out like `_mosaic` (empty string in the gaps)."""
    tiles = np.zeros((len(labels), *tile_shape))
    index = _mosaic(tiles + np.arange(len(labels))[:, None, None], ncols)
    names = np.array([*labels, ""], dtype=object)
    return names[np.where(np.isnan(index), len(labels), np.nan_to_num(index)).astype(int)]


def _image_axes(fig: go.Figure) -> None:
    """Square pixels, row 0 at the top, no ticks, on every subplot."""
    bare = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}
    fig.update_xaxes(bare, constrain="domain")
    fig.update_yaxes(bare, autorange="reversed")
    for axis in fig.select_yaxes():
        axis.scaleanchor = axis.anchor or "x"


def _base_heatmap(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, zrange: tuple[float, float]
) -> go.Heatmap:
    dx = xs[1] - xs[0] if len(xs) > 1 else 1.0
    dy = ys[1] - ys[0] if len(ys) > 1 else 1.0
    return go.Heatmap(
        z=z,
        x0=xs[0],
        dx=dx,
        y0=ys[0],
        dy=dy,
        colorscale=DIVERGING,
        zmin=zrange[0],
        zmax=zrange[1],
        opacity=0.6,
        showscale=False,
        hoverinfo="skip",
    )


def _arrows(xs: np.ndarray, ys: np.ndarray, u: np.ndarray, v: np.ndarray, unit: bool) -> go.Scatter:
    """Segments tail -> tip with an arrow-head marker on each tip, in one scatter."""
    spacing = min(_spacing(xs), _spacing(ys))
    length = np.hypot(u, v)  # (Ry, Rx)
    if unit:
        scale = np.divide(0.9 * spacing, length, out=np.zeros_like(length), where=length > 0)
    else:
        scale = np.full_like(length, 0.9 * spacing / max(float(length.max(initial=0.0)), 1e-12))
    grid_x, grid_y = np.meshgrid(xs, ys)
    tips_x, tips_y = grid_x + scale * u, grid_y + scale * v
    n = grid_x.size
    # tail, tip, NaN per arrow (3n,): NaN breaks the line, and typed arrays keep the JSON small
    px = np.stack([grid_x.ravel(), tips_x.ravel(), np.full(n, np.nan)], 1).ravel()
    py = np.stack([grid_y.ravel(), tips_y.ravel(), np.full(n, np.nan)], 1).ravel()
    sizes = np.tile([0.0, 7.0, 0.0], n)
    return go.Scatter(
        x=px.astype(np.float32),
        y=py.astype(np.float32),
        mode="lines+markers",
        hoverinfo="skip",
        line={"color": INK, "width": 1.2},
        name="input gradient",
        marker={"symbol": "arrow", "angleref": "previous", "size": sizes, "color": INK},
    )


def _spacing(v: np.ndarray) -> float:
    return float(np.min(np.abs(np.diff(v)))) if len(v) > 1 else 1.0
