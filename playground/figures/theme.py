"""Colours, fonts, chart heights and the base layout shared by every figure (TFP's palette)."""

from __future__ import annotations

from typing import Any

NEGATIVE = "#f59322"  # TensorFlow Playground's orange: class 0, negative values and weights
POSITIVE = "#0877bd"  # TensorFlow Playground's blue: class 1, positive values and weights
NEUTRAL = "#ffffff"
INK = "#333333"  # text and outlines
GRID = "#e8e8e8"

# Values in [-1, 1]: orange at -1, white at 0, blue at +1 (use with zmin=-1, zmax=1 or zmid=0).
DIVERGING: list[list[float | str]] = [[0.0, NEGATIVE], [0.5, NEUTRAL], [1.0, POSITIVE]]

# Qualitative palette for up to 10 classes; the first two match the binary colours.
CLASS_COLORS: tuple[str, ...] = (
    NEGATIVE,
    POSITIVE,
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

# Line colours for per-layer series (gradient flow, update ratios).
SERIES_COLORS: tuple[str, ...] = CLASS_COLORS[1:] + CLASS_COLORS[:1]

FONT = {"family": "Helvetica Neue, Helvetica, Arial, sans-serif", "size": 12, "color": INK}

# Fixed chart heights in pixels: Plotly re-layouts less and the page does not jump.
CURVE_HEIGHT = 260
BOUNDARY_HEIGHT = 400
PREVIEW_SIZE = 90
NEURON_HEIGHT = 380
SURFACE_HEIGHT = 450
ERROR_HEIGHT = 360
WEIGHTS_HEIGHT = 280
BARS_HEIGHT = 240
HISTOGRAM_HEIGHT = 260
NETWORK_MIN_HEIGHT = 300
NETWORK_PX_PER_NEURON = 45

UIREVISION = "playground"  # constant: legend toggles and camera survive live updates


def base_layout(height: int, *, live: bool = False, **kw: Any) -> dict[str, Any]:
    """Layout dict with small margins, white background, the theme font and a fixed height.

    live: margins stay as given (no `autoexpand`), which spares Plotly a second layout pass and
    halves the browser's drawing time of a chart redrawn several times a second; the margins
    must then hold the tick labels and legend, and no colour bar fits.
    """
    layout: dict[str, Any] = {
        "height": height,
        "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
        "paper_bgcolor": NEUTRAL,
        "plot_bgcolor": NEUTRAL,
        "font": FONT,
        "uirevision": UIREVISION,
        "hoverlabel": {"font": {"size": 11}},
        "template": "none",  # colours are explicit; the default template is 6.5 KB of JSON
    }
    layout.update(kw)
    if live:
        layout["margin"] = {**layout["margin"], "autoexpand": False}
    return layout


def class_color(k: int) -> str:
    """The colour of class `k` (cycles after 10 classes)."""
    return CLASS_COLORS[k % len(CLASS_COLORS)]


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b) in 0..255."""
    h = color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def axis_style(title: str = "", **kw: Any) -> dict[str, Any]:
    """Axis dict with light grid lines and an optional title."""
    axis: dict[str, Any] = {"gridcolor": GRID, "zerolinecolor": GRID, "title": {"text": title}}
    axis.update(kw)
    return axis
