"""Autoencoder charts: latent plane by class, reconstructions, the decoder's grid, KL curve."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.figures import curves
from playground.figures.images import GREYS, _image_axes, _mosaic
from playground.figures.theme import (
    BOUNDARY_HEIGHT,
    INK,
    NEUTRAL,
    axis_style,
    base_layout,
    class_color,
)

LATENT_HEIGHT = 420
PAIRS_HEIGHT = 120  # two rows of digits at a live chart's width (square pixels)
PAIRS_ROW_HEIGHT = 35
CLICK_SIDE = 24  # invisible markers per side that make any spot of the latent plane clickable
OUTLINE = {"width": 0.5, "color": NEUTRAL}  # a thin white ring keeps overlapping dots apart
PICKED = {"symbol": "x-thin", "size": 16, "line": {"width": 3, "color": INK}, "color": INK}


def _class_name(k: int, n_classes: int) -> str:
    return f"class {k}" if n_classes != 10 else f"digit {k}"


def latent_scatter(
    latent: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    extent: Sequence[float],
    picked: Sequence[float] | None = None,
) -> go.Figure:
    """Every test example at its latent point (the first two dimensions), one colour per class;
    invisible markers over the extent so a click anywhere picks a point; the picked point as x.

    A 1-D latent is drawn along z1 with the classes spread on the vertical axis.

    Args:
        latent: (N, L) latent means; labels: (N,) classes (or values when n_classes is 0).
        extent: lo1, hi1, lo2, hi2 of the plane drawn.
    """
    z = np.asarray(latent, dtype=np.float32)
    one_d = z.shape[1] == 1
    y = _spread(labels, n_classes, extent) if one_d else z[:, 1]
    fig = go.Figure()
    if n_classes > 0:
        for k in range(n_classes):
            m = labels == k
            fig.add_trace(go.Scatter(
                x=z[m, 0], y=y[m], mode="markers", name=_class_name(k, n_classes),
                marker={"size": 6, "color": class_color(k), "line": OUTLINE},
                hovertemplate=f"{_class_name(k, n_classes)}<br>z = (%{{x:.2f}}, %{{y:.2f}})"
                "<extra></extra>",
            ))  # fmt: skip
    else:
        fig.add_trace(
            go.Scatter(
                x=z[:, 0],
                y=y,
                mode="markers",
                name="test points",
                marker={"size": 6, "color": labels, "colorscale": "Viridis"},
            )
        )
    fig.add_trace(_click_grid(extent))
    if picked is not None:
        fig.add_trace(go.Scatter(x=[picked[0]], y=[picked[1] if not one_d else 0.0], name="picked",
                                 mode="markers", marker=PICKED, hoverinfo="skip"))  # fmt: skip
    fig.update_layout(
        base_layout(
            LATENT_HEIGHT,
            legend={"itemclick": False, "itemdoubleclick": False},
            clickmode="event+select",
        )
    )
    fig.update_xaxes(axis_style("z1", range=list(extent[:2])))
    fig.update_yaxes(axis_style("class" if one_d else "z2", range=list(extent[2:])))
    if one_d:  # the vertical position only keeps the classes apart: no scale to read
        fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    return fig


def _spread(labels: np.ndarray, n_classes: int, extent: Sequence[float]) -> np.ndarray:
    """The vertical position of a 1-D latent's points: one band per class, across the extent."""
    lo, hi = extent[2], extent[3]
    k = np.asarray(labels, dtype=np.float32)
    top = max(n_classes - 1, 1)
    jitter = (np.arange(len(k)) % 7 - 3) / 7 * (hi - lo) / (top + 1) * 0.5
    return lo + (hi - lo) * (k + 0.5) / (top + 1) + jitter


def _click_grid(extent: Sequence[float]) -> go.Scatter:
    """Invisible markers on a CLICK_SIDE x CLICK_SIDE grid (Streamlit reports clicks on points
    only), hovering as "decode here"."""
    x = np.linspace(extent[0], extent[1], CLICK_SIDE)
    y = np.linspace(extent[2], extent[3], CLICK_SIDE)
    xx, yy = np.meshgrid(x, y)
    return go.Scatter(
        x=xx.ravel(),
        y=yy.ravel(),
        mode="markers",
        showlegend=False,
        name="",
        marker={"size": 14, "opacity": 0.0, "color": INK},
        hovertemplate="click: decode z = (%{x:.2f}, %{y:.2f})<extra></extra>",
    )


def reconstruction_pairs(
    inputs: np.ndarray,
    reconstructions: np.ndarray,
    titles: Sequence[str] = (),
    noisy: np.ndarray | None = None,
) -> go.Figure:
    """Inputs (top row) above their reconstructions (bottom row): (K, 1, H, W) images each;
    with `noisy`, the inputs with noise added (what a denoising encoder sees) in between."""
    rows = [inputs, reconstructions] if noisy is None else [inputs, noisy, reconstructions]
    a = np.asarray(inputs, dtype=np.float32)[:, 0]
    tiles = np.concatenate([np.asarray(r, dtype=np.float32)[:, 0] for r in rows])  # (R*K, H, W)
    mosaic = _mosaic(tiles, len(a))
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale=GREYS, zmin=0.0, zmax=1.0, showscale=False,
                               hovertemplate="%{z:.2f}<extra></extra>"))  # fmt: skip
    height = PAIRS_HEIGHT + PAIRS_ROW_HEIGHT * (len(rows) - 2)
    fig.update_layout(base_layout(height, margin={"l": 90, "r": 10, "t": 10, "b": 20}))
    _image_axes(fig)
    h = a.shape[1]
    names = ["input", "reconstruction"] if noisy is None else ["input", "with noise", "rebuilt"]
    fig.update_yaxes(showticklabels=True, ticktext=names,
                     tickvals=[(h + 1) * i + h / 2 - 0.5 for i in range(len(rows))])  # fmt: skip
    if titles:
        fig.update_xaxes(showticklabels=True, tickvals=[(h + 1) * i + h / 2 - 0.5 for i in
                         range(len(titles))], ticktext=list(titles), side="bottom")  # fmt: skip
    return fig


def decoded_grid(decoded: np.ndarray, extent: Sequence[float], side: int) -> go.Figure:
    """What the decoder makes of a side x side grid of latent points, laid out on the latent
    plane (top row = highest z2): (side*side, 1, H, W), or (side, 1, H, W) for a 1-D latent."""
    tiles = np.asarray(decoded, dtype=np.float32)[:, 0]
    mosaic = _mosaic(tiles, side)  # (rows, cols) pixels, row 0 at the top
    rows, cols = mosaic.shape
    x = np.linspace(extent[0], extent[1], cols)
    y = np.linspace(extent[3], extent[2], rows) if len(tiles) > side else np.arange(rows)
    fig = go.Figure(go.Heatmap(z=mosaic, x=x, y=y, colorscale=GREYS, zmin=0.0, zmax=1.0,
                               showscale=False, hoverinfo="skip"))  # fmt: skip
    fig.update_layout(base_layout(LATENT_HEIGHT if len(tiles) > side else PAIRS_HEIGHT))
    fig.update_xaxes(axis_style("z1", showgrid=False, zeroline=False))
    fig.update_yaxes(axis_style("z2", showgrid=False, zeroline=False))
    if len(tiles) == side:  # a 1-D latent: one row of digits along z1
        fig.update_yaxes(showticklabels=False, title={"text": ""}, autorange="reversed")
    return fig


def plane_reconstructions(
    points: np.ndarray,
    reconstructions: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    decoded: np.ndarray,
    side: int,
    picked: np.ndarray | None = None,
) -> go.Figure:
    """2-D data: each test point (class colour) joined to its reconstruction (dark dot), and the
    decoder's image of the latent grid, the curve or surface the points are squashed onto.

    Args:
        points, reconstructions: (N, 2); decoded: (side*side, 2), or (side, 2) for a 1-D latent.
        picked: (2,) the decoding of the picked latent point, drawn as x.
    """
    p, r = np.asarray(points), np.asarray(reconstructions)
    fig = go.Figure()
    seg_x = np.stack([p[:, 0], r[:, 0], np.full(len(p), np.nan)], axis=1).ravel()
    seg_y = np.stack([p[:, 1], r[:, 1], np.full(len(p), np.nan)], axis=1).ravel()
    fig.add_trace(go.Scatter(x=seg_x, y=seg_y, mode="lines", name="error", hoverinfo="skip",
                             line={"width": 0.7, "color": "rgba(0,0,0,0.25)"}))  # fmt: skip
    for k in range(max(n_classes, 1)):
        m = labels == k if n_classes else np.ones(len(p), bool)
        fig.add_trace(
            go.Scatter(
                x=p[m, 0],
                y=p[m, 1],
                mode="markers",
                name=_class_name(k, 2),
                marker={"size": 6, "color": class_color(k), "opacity": 0.7},
            )
        )
    for i, line in enumerate(_mesh_lines(np.asarray(decoded), side)):
        fig.add_trace(go.Scatter(x=line[:, 0], y=line[:, 1], mode="lines", name="decoder's grid",
                                 showlegend=i == 0, legendgroup="mesh", hoverinfo="skip",
                                 line={"width": 1.5, "color": INK}))  # fmt: skip
    fig.add_trace(go.Scatter(x=r[:, 0], y=r[:, 1], mode="markers", name="reconstruction",
                             marker={"size": 4, "color": INK}))  # fmt: skip
    if picked is not None:
        fig.add_trace(go.Scatter(x=[picked[0]], y=[picked[1]], mode="markers", name="decoded pick",
                                 marker=PICKED))  # fmt: skip
    fig.update_layout(base_layout(BOUNDARY_HEIGHT))
    fig.update_xaxes(axis_style("x1"))
    fig.update_yaxes(axis_style("x2", scaleanchor="x"))
    return fig


def _mesh_lines(decoded: np.ndarray, side: int) -> list[np.ndarray]:
    """The decoded grid's rows and columns as polylines (one polyline for a 1-D latent)."""
    if len(decoded) == side:
        return [decoded]
    g = decoded.reshape(side, side, 2)
    return [g[i] for i in range(side)] + [g[:, j] for j in range(side)]


def loss_with_baseline(history: curves.History, baseline: float, k: int) -> go.Figure:
    """The reconstruction MSE per input value (train solid, test dashed) and PCA's test MSE with
    k components as a dotted line: the best a linear map through k numbers does."""
    fig = curves.loss_curve(history, title="Reconstruction error")
    steps = np.asarray(history.get("step", ()), dtype=np.float64)
    if len(steps) and np.isfinite(baseline):
        fig.add_trace(go.Scatter(
            x=[float(steps.min()), float(steps.max())], y=[baseline, baseline], mode="lines",
            name=f"PCA, {k} component{'s' * (k > 1)} (test)", hoverinfo="skip",
            line={"color": INK, "dash": "dot", "width": 1},
        ))  # fmt: skip
    fig.update_yaxes(title={"text": "MSE per input value"})
    return _legend_inside(fig, "top")  # the error falls from the top left


def _legend_inside(fig: go.Figure, corner: str) -> go.Figure:
    """The legend inside the plot, in the corner ("top" or "bottom" right) the curves leave
    free: above the plot it would cover the title at a live chart's width."""
    y = 1.0 if corner == "top" else 0.0
    fig.update_layout(legend={"x": 1.0, "xanchor": "right", "y": y, "yanchor": corner,
                              "bgcolor": "rgba(255,255,255,0.8)"})  # fmt: skip
    return fig


def kl_curve(history: curves.History, *, last_n_steps: int = 0) -> go.Figure:
    """The VAE's KL term (nats per example) on the train (solid) and test (dashed) set."""
    renamed = {"step": history["step"], "train_loss": history["train_kl"],
               "test_loss": history["test_kl"]}  # fmt: skip
    fig = curves.loss_curve(renamed, last_n_steps=last_n_steps, title="KL term")
    fig.update_yaxes(title={"text": "KL (nats per example)"})
    return _legend_inside(fig, "bottom")  # the KL term rises early, then levels off
