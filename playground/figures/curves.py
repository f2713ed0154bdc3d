"""Training curves over steps: loss, accuracy, gradient flow and update ratios per layer."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.figures.theme import (
    CURVE_HEIGHT,
    INK,
    NEGATIVE,
    POSITIVE,
    SERIES_COLORS,
    axis_style,
    base_layout,
)

MAX_CURVE_POINTS = 1_500  # SVG scatter stays smooth in the browser below ~2 k points
HEALTHY_UPDATE_RATIO = 1e-3  # a common rule of thumb for |delta w| / |w| per step

History = dict[str, np.ndarray]


def loss_curve(
    history: History, *, log_y: bool = False, last_n_steps: int = 0, title: str = "Loss"
) -> go.Figure:
    """Train (solid) and test (dashed) loss against the step."""
    series = [("train", "train_loss", POSITIVE, "solid"), ("test", "test_loss", NEGATIVE, "dash")]
    return _curves(history, series, title, "loss", log_y, last_n_steps)


def accuracy_curve(history: History, *, last_n_steps: int = 0) -> go.Figure:
    """Train (solid) and test (dashed) accuracy against the step, y in [0, 1]."""
    series = [
        ("train", "train_accuracy", POSITIVE, "solid"),
        ("test", "test_accuracy", NEGATIVE, "dash"),
    ]
    fig = _curves(history, series, "Accuracy", "accuracy", False, last_n_steps)
    fig.update_yaxes(range=[0.0, 1.02], tickformat=".0%")
    return fig


def grad_flow_curve(history: History, *, log_y: bool = True, last_n_steps: int = 0) -> go.Figure:
    """One line per layer: the L2 norm of its weight gradient against the step."""
    series = _per_layer(history, "grad_norm/")
    return _curves(history, series, "Gradient norm per layer", "gradient norm", log_y, last_n_steps)


def update_ratio_curve(history: History, *, log_y: bool = True, last_n_steps: int = 0) -> go.Figure:
    """One line per layer: |delta w| / |w| per step, with a dotted reference at 1e-3."""
    series = _per_layer(history, "update_ratio/")
    fig = _curves(history, series, "Update ratio per layer", "|Δw| / |w|", log_y, last_n_steps)
    x = _window(history, last_n_steps).get("step", np.empty(0))
    if len(x) and np.isfinite(x).any():
        fig.add_trace(
            go.Scatter(
                x=[float(np.nanmin(x)), float(np.nanmax(x))],
                y=[HEALTHY_UPDATE_RATIO, HEALTHY_UPDATE_RATIO],
                mode="lines",
                name="1e-3 (typical)",
                line={"color": INK, "dash": "dot", "width": 1},
                hoverinfo="skip",
            )
        )
    return fig


def _per_layer(history: History, prefix: str) -> list[tuple[str, str, str, str]]:
    """(legend name, column, colour, dash) for every column starting with `prefix`."""
    columns = [c for c in history if c.startswith(prefix)]
    return [
        (c[len(prefix) :], c, SERIES_COLORS[i % len(SERIES_COLORS)], "solid")
        for i, c in enumerate(columns)
    ]


def _curves(
    history: History,
    series: list[tuple[str, str, str, str]],
    title: str,
    y_title: str,
    log_y: bool,
    last_n_steps: int,
) -> go.Figure:
    """Lines of `series` (name, column, colour, dash) against history["step"]."""
    window = _window(history, last_n_steps)
    x = window.get("step", np.empty(0))
    idx = _downsample_index(len(x))  # (M,) evenly spaced, ending at the newest row
    traces = [
        _line(x[idx], _clean(window[col][idx], log_y), name, color, dash)
        for name, col, color, dash in series
        if col in window
    ]
    fig = go.Figure(traces, _layout(title, y_title, log_y), _validate=False)  # live: skip checks
    if not len(x):
        fig.add_annotation(text="no data yet", showarrow=False, xref="paper", yref="paper")
    return fig


def _window(history: History, last_n_steps: int) -> History:
    """The rows within `last_n_steps` of the newest step (all rows when 0)."""
    steps = history.get("step")
    if steps is None or last_n_steps <= 0 or not len(steps) or not np.isfinite(steps).any():
        return history
    keep = steps >= np.nanmax(steps) - last_n_steps
    return {name: column[keep] for name, column in history.items()}


def _downsample_index(n: int, max_points: int = MAX_CURVE_POINTS) -> np.ndarray:
    """(M,) row indices, M <= max_points, evenly strided and always keeping the last row."""
    stride = max(1, -(-n // max_points))
    return np.arange(n - 1, -1, -stride)[::-1]


def _clean(y: np.ndarray, log_y: bool) -> np.ndarray:
    """NaN for inf (and for values <= 0 on a log axis): gaps instead of broken axes."""
    bad = ~np.isfinite(y) | ((y <= 0) if log_y else False)
    return np.where(bad, np.nan, y)


def _line(x: np.ndarray, y: np.ndarray, name: str, color: str, dash: str) -> go.Scatter:
    """One SVG line trace; x0/dx instead of an x array when the steps are evenly spaced."""
    return go.Scatter(
        **_x_kwargs(x),
        y=y,
        mode="lines",
        name=name,
        line={"color": color, "dash": dash, "width": 2},
        hovertemplate=f"{name}: %{{y:.4g}}<br>step %{{x}}<extra></extra>",
    )


def _x_kwargs(x: np.ndarray) -> dict[str, Any]:
    """{"x0", "dx"} for evenly spaced finite x (less JSON), else {"x": x}."""
    if len(x) >= 2 and np.isfinite(x).all():
        steps = np.diff(x)
        if np.allclose(steps, steps[0], rtol=0, atol=1e-9) and steps[0] > 0:
            return {"x0": float(x[0]), "dx": float(steps[0])}
    return {"x": x}


def _layout(title: str, y_title: str, log_y: bool) -> dict[str, Any]:
    """Curve layout: fixed height, legend above the plot, step on x."""
    return base_layout(
        CURVE_HEIGHT,
        live=True,
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 13}},
        xaxis=axis_style("step"),
        yaxis=axis_style(y_title, type="log" if log_y else "linear"),
        legend={"orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
        hovermode="x unified",
    )
