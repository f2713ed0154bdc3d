"""GAN charts: the plane (D's probability, real and generated samples, G's gradient arrows),
both losses over steps, and mode coverage (per mode now, and over time)."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from playground.figures.curves import History, _curves
from playground.figures.theme import (
    BARS_HEIGHT,
    BOUNDARY_HEIGHT,
    DIVERGING,
    INK,
    NEGATIVE,
    POSITIVE,
    axis_style,
    base_layout,
)

REAL_COLOR, FAKE_COLOR = POSITIVE, NEGATIVE
ARROW_LEN = 1.0  # plane units of the longest arrow (arrows are scaled together)
LN2 = math.log(2.0)


def arrow_segments(
    fake: np.ndarray, g_grad: np.ndarray, n: int, length: float = ARROW_LEN
) -> tuple[np.ndarray, np.ndarray]:
    """x and y of line segments (None-separated) from each of the first n samples along minus
    its gradient (the way a generator step pushes it), the longest `length` long."""
    x, g = fake[:n].astype(np.float64), g_grad[:n].astype(np.float64)
    norm = np.linalg.norm(g, axis=1).max() if len(g) else 0.0
    tip = x - g * (length / norm if norm > 0 else 0.0)
    seg = np.full((len(x), 3, 2), np.nan)
    seg[:, 0], seg[:, 1] = x, tip
    return seg[:, :, 0].ravel(), seg[:, :, 1].ravel()


def plane_figure(
    d_prob: np.ndarray,
    bound: float,
    real: np.ndarray,
    fake: np.ndarray,
    g_grad: np.ndarray,
    *,
    arrows: int = 150,
    centres: np.ndarray | None = None,
    sigma: float = 0.0,
    show_heatmap: bool = True,
) -> go.Figure:
    """D's probability "real" (R, R) as a heatmap over [-bound, bound]^2, real points (N, 2),
    generated samples (M, 2), arrows on the first `arrows` samples, 3-sigma circles per mode."""
    r = d_prob.shape[0]
    axis = -bound + (np.arange(r) + 0.5) * 2 * bound / r
    traces: list[go.BaseTraceType] = []
    if show_heatmap:
        traces.append(go.Heatmap(
            x=axis, y=axis, z=d_prob, zmin=0.0, zmax=1.0, colorscale=DIVERGING, showscale=False,
            name="D(x)", hovertemplate="x1 %{x:.2f}, x2 %{y:.2f}<br>D = %{z:.3f}<extra></extra>",
        ))  # fmt: skip
    marker = {"size": 4, "line": {"width": 0}}
    traces.append(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real",
                             marker=marker | {"color": REAL_COLOR, "opacity": 0.5},
                             hoverinfo="skip"))  # fmt: skip
    traces.append(go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated",
                             marker=marker | {"color": FAKE_COLOR, "opacity": 0.8},
                             hoverinfo="skip"))  # fmt: skip
    ax, ay = arrow_segments(fake, g_grad, arrows)
    traces.append(go.Scatter(x=ax, y=ay, mode="lines", name="G's push",
                             line={"color": INK, "width": 1}, hoverinfo="skip"))  # fmt: skip
    shapes = [] if centres is None else _mode_circles(centres, 3 * sigma)
    layout = base_layout(
        BOUNDARY_HEIGHT, live=True, shapes=shapes,
        margin={"l": 40, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0.0},
        xaxis=axis_style("x1") | {"range": [-bound, bound], "constrain": "domain"},
        yaxis=axis_style("x2") | {"range": [-bound, bound], "scaleanchor": "x"},
    )  # fmt: skip
    return go.Figure(traces, layout, _validate=False)


def _mode_circles(centres: np.ndarray, radius: float) -> list[dict]:
    """A dotted circle of `radius` around each mode centre (K, 2)."""
    return [
        {"type": "circle", "x0": cx - radius, "x1": cx + radius, "y0": cy - radius,
         "y1": cy + radius, "line": {"color": INK, "width": 1, "dash": "dot"}}
        for cx, cy in np.asarray(centres, np.float64)
    ]  # fmt: skip


def losses_figure(history: History, *, minimax: bool = False, last_n_steps: int = 0) -> go.Figure:
    """D's loss and G's loss against the step, with dotted lines at their values when D says
    1/2 everywhere: 2 ln 2 for D; ln 2 for the non-saturating G loss, -ln 2 for minimax."""
    series = [("D loss", "d_loss", REAL_COLOR, "solid"), ("G loss", "g_loss", FAKE_COLOR, "solid")]
    fig = _curves(history, series, "Losses", "loss", False, last_n_steps)
    g_line = (-LN2, "-ln 2") if minimax else (LN2, "ln 2")
    for y, name in ((2 * LN2, "2 ln 2"), g_line):
        fig.add_hline(y=y, line={"color": INK, "dash": "dot", "width": 1},
                      annotation_text=name, annotation_position="top left")  # fmt: skip
    return fig


def coverage_curve(history: History, modes: int, *, last_n_steps: int = 0) -> go.Figure:
    """Modes covered against the step, y from 0 to `modes`."""
    series = [("modes covered", "modes_covered", FAKE_COLOR, "solid")]
    fig = _curves(history, series, "Modes covered", "modes", False, last_n_steps)
    fig.update_yaxes(range=[-0.2, modes + 0.2], dtick=1)
    return fig


def mode_bars(counts: np.ndarray, n_samples: int) -> go.Figure:
    """Share of the samples within 3 sigma of each mode (K,), the cover line at 1 / (4K)."""
    k = len(counts)
    share = np.asarray(counts, np.float64) / max(n_samples, 1)
    line = 1 / (4 * k) if k else 0.0
    colors = [FAKE_COLOR if s >= line else "#cccccc" for s in share]
    fig = go.Figure(
        go.Bar(x=[f"mode {i + 1}" for i in range(k)], y=share, marker={"color": colors},
               hovertemplate="%{x}: %{y:.1%} of the samples<extra></extra>"),
        base_layout(BARS_HEIGHT, live=True, showlegend=False,
                    title={"text": "Samples per mode", "x": 0.0, "font": {"size": 13}},
                    yaxis=axis_style("share of samples") | {"tickformat": ".0%"}),
    )  # fmt: skip
    if k:
        fig.add_hline(y=line, line={"color": INK, "dash": "dot", "width": 1},
                      annotation_text="covered", annotation_position="top left")  # fmt: skip
    return fig


def points_editor(points: np.ndarray, bound: float, spacing: float = 0.5) -> go.Figure:
    """The drawn points (K, 2) over a grid of invisible clickable markers every `spacing` units
    of [-bound, bound]^2: clicking one selects its (x1, x2) (Streamlit reports scatter clicks)."""
    axis = np.arange(-bound, bound + spacing / 2, spacing)
    gx, gy = np.meshgrid(axis, axis)
    pts, edge = np.asarray(points, np.float64).reshape(-1, 2), bound + 0.3
    traces = [
        go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", name="click to add",
                   marker={"size": 9, "color": INK, "opacity": 0.04},
                   hovertemplate="add (%{x:g}, %{y:g})<extra></extra>"),
        go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name="drawn points",
                   marker={"size": 10, "color": REAL_COLOR}, hoverinfo="skip"),
    ]  # fmt: skip
    layout = base_layout(
        300, showlegend=False, margin={"l": 30, "r": 10, "t": 10, "b": 30},
        clickmode="event+select", dragmode=False,
        xaxis=axis_style() | {"range": [-edge, edge], "constrain": "domain"},
        yaxis=axis_style() | {"range": [-edge, edge], "scaleanchor": "x"},
    )  # fmt: skip
    return go.Figure(traces, layout)
