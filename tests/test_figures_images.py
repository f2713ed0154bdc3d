"""Tests for figures.images: trace types, counts, scales and axis titles."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from playground.figures.images import (
    MAX_ARROWS,
    STALE_OPACITY,
    confusion_matrix_figure,
    digit_image,
    faded,
    feature_maps_figure,
    filters_figure,
    gradient_field,
    probabilities_bar,
    saliency_grid,
)


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _maps(n: int = 3) -> dict[str, np.ndarray]:
    rng = _rng()
    return {f"method_{i}": rng.normal(scale=i + 1, size=(8, 8)) for i in range(n)}


def _heatmaps(fig: go.Figure) -> list[go.Heatmap]:
    return [t for t in fig.data if isinstance(t, go.Heatmap)]


def test_digit_image_is_one_heatmap_with_fixed_height() -> None:
    img = _rng().random((8, 8))
    fig = digit_image(img, "a seven")
    assert [t.type for t in fig.data] == ["heatmap"]
    np.testing.assert_allclose(fig.data[0].z, img, rtol=1e-6)
    assert fig.layout.height and fig.layout.title.text == "a seven"
    assert fig.layout.yaxis.autorange == "reversed"  # row 0 at the top, like the image


@pytest.mark.parametrize("shared", [True, False])
def test_saliency_grid_panels_and_scales(shared: bool) -> None:
    img, maps = _rng().random((8, 8)), _maps(3)
    fig = saliency_grid(img, maps, shared)
    heat = _heatmaps(fig)
    assert len(heat) == len(fig.data) == 1 + 2 * len(maps)  # the input, then map + ink per method
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["input", "method 0", "method 1", "method 2"]
    drawn = [t for t in heat if t.name in maps]
    assert [t.name for t in drawn] == list(maps)
    for t in drawn:
        assert t.zmin == -t.zmax  # zero-centred
        np.testing.assert_allclose(t.z, maps[t.name], rtol=1e-6)
    limits = {(t.zmin, t.zmax) for t in drawn}
    if shared:
        top = max(np.abs(m).max() for m in maps.values())
        assert len(limits) == 1
        assert math.isclose(drawn[0].zmax, top, rel_tol=1e-6)
        assert sum(bool(t.showscale) for t in heat) == 1
    else:
        for t in drawn:
            assert math.isclose(t.zmax, np.abs(maps[t.name]).max(), rel_tol=1e-6)
        assert len(limits) == len(maps) and not any(t.showscale for t in heat)


def test_saliency_grid_absolute_wraps_rows_and_long_titles() -> None:
    maps = {"integrated_gradients": -np.ones((8, 8)), **_maps(6)}
    fig = saliency_grid(np.zeros((8, 8)), maps, True, absolute=True, max_cols=4)
    drawn = [t for t in _heatmaps(fig) if t.name in maps]
    assert all(t.zmin == 0.0 and np.min(t.z) >= 0 for t in drawn)
    assert fig.layout.annotations[1].text == "integrated<br>gradients"
    assert {t.yaxis for t in fig.data} >= {"y", "y5"}  # 8 panels on 4 columns: a second row
    one_row = saliency_grid(np.zeros((8, 8)), _maps(1), True)
    assert fig.layout.height > one_row.layout.height


def test_confusion_matrix_figure_counts_and_row_shares() -> None:
    cm = np.array([[5, 1, 0], [2, 6, 2], [0, 0, 0]])
    fig = confusion_matrix_figure(cm, ["a", "b", "c"])
    (trace,) = fig.data
    assert trace.type == "heatmap" and list(trace.x) == ["a", "b", "c"]
    np.testing.assert_array_equal(trace.text, cm)
    shares = np.array([[5 / 6, 1 / 6, 0], [0.2, 0.6, 0.2], [0, 0, 0]])
    np.testing.assert_allclose(trace.z, shares, rtol=1e-6)
    np.testing.assert_allclose(trace.customdata, 100 * shares, rtol=1e-6)
    assert "count" in trace.hovertemplate and "%" in trace.hovertemplate
    assert fig.layout.xaxis.title.text == "predicted class"
    assert fig.layout.yaxis.title.text == "true class"


def _tiles(z: np.ndarray, k: int, ncols: int, n: int) -> list[np.ndarray]:
    """Cut a NaN-separated mosaic back into its n tiles (k x k), row-major."""
    out = []
    for t in range(n):
        r, c = divmod(t, ncols)
        out.append(z[r * (k + 1) : r * (k + 1) + k, c * (k + 1) : c * (k + 1) + k])
    return out


@pytest.mark.parametrize("shape", [(8, 1, 3, 3), (4, 3, 3, 3)])
def test_filters_figure_is_a_mosaic_of_every_filter(shape: tuple[int, ...]) -> None:
    filters = _rng().normal(size=shape).astype(np.float32)
    fig = filters_figure(filters)
    (trace,) = fig.data
    z = np.asarray(trace.z, dtype=np.float64)
    n_out, n_in, k, _ = shape
    ncols = math.ceil(math.sqrt(n_out)) if n_in == 1 else n_in
    expected = list(filters[:, 0]) if n_in == 1 else list(filters.reshape(-1, k, k))
    for got, want in zip(_tiles(z, k, ncols, len(expected)), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert np.isnan(z).sum() == z.size - filters.size  # only gaps are NaN
    assert trace.zmin == -trace.zmax
    assert trace.zmax == pytest.approx(np.abs(filters).max())
    assert np.asarray(trace.text).shape == z.shape


def test_feature_maps_figure_one_row_per_layer() -> None:
    rng = _rng()
    maps = [("conv 1 (4 channels)", rng.random((4, 8, 8))), ("pool 1", rng.normal(size=(4, 4, 4)))]
    fig = feature_maps_figure(maps)
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert [a.text for a in fig.layout.annotations] == [n for n, _ in maps]
    relu, signed = fig.data
    assert relu.zmin == 0.0 and signed.zmin == -signed.zmax  # non-negative vs signed scale
    np.testing.assert_allclose(_tiles(np.asarray(signed.z, float), 4, 4, 4), maps[1][1], rtol=1e-6)
    assert fig.layout.height > feature_maps_figure(maps[:1]).layout.height


def test_probabilities_bar_colours_prediction_and_truth() -> None:
    p = np.array([0.1, 0.6, 0.3])
    fig = probabilities_bar(p, true_class=2)
    (bar,) = fig.data
    assert bar.type == "bar" and list(bar.x) == ["0", "1", "2"]
    np.testing.assert_allclose(bar.y, p, rtol=1e-6)
    colors = list(bar.marker.color)
    assert colors[1] != colors[2] != colors[0]
    assert fig.layout.xaxis.title.text == "class"
    assert fig.layout.yaxis.title.text == "probability"
    assert tuple(fig.layout.yaxis.range) == (0.0, 1.0)


def _segments(trace: go.Scatter) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    x, y = list(trace.x), list(trace.y)
    return [((x[i], y[i]), (x[i + 1], y[i + 1])) for i in range(0, len(x), 3)]


def test_gradient_field_arrows_follow_the_gradient() -> None:
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-2, 2, 9)
    grid_x, grid_y = np.meshgrid(xs, ys)
    gx, gy = grid_x.copy(), -2 * grid_y  # (9, 5)
    fig = gradient_field(xs, ys, gx, gy, base_grid=grid_x * grid_y)
    heat, arrows = fig.data
    assert heat.type == "heatmap" and arrows.type == "scatter"
    assert len(arrows.x) == 3 * gx.size and np.isnan(arrows.x[2])  # tail, tip, gap per arrow
    length = np.hypot(gx, gy).ravel()
    scale = 0.9 * 0.5 / length.max()  # the longest arrow spans 0.9 of the 0.5 grid spacing
    for (tail, tip), u, v in zip(_segments(arrows), gx.ravel(), gy.ravel(), strict=True):
        np.testing.assert_allclose(np.subtract(tip, tail), [scale * u, scale * v], atol=1e-6)
    assert fig.layout.xaxis.title.text == "x1" and fig.layout.yaxis.title.text == "x2"
    assert len(gradient_field(xs, ys, gx, gy).data) == 1  # no base grid: arrows only


def test_gradient_field_thins_and_normalises() -> None:
    xs = ys = np.linspace(0, 1, 41)
    gx, gy = np.meshgrid(xs, ys)
    fig = gradient_field(xs, ys, gx + 1, gy, normalize=True)
    (arrows,) = fig.data
    assert len(arrows.x) // 3 <= MAX_ARROWS
    lengths = [math.dist(tail, tip) for tail, tip in _segments(arrows)]
    np.testing.assert_allclose(lengths, lengths[0], rtol=1e-5)


def test_faded_lowers_every_trace_of_a_saliency_figure() -> None:
    x = np.zeros((8, 8), dtype=np.float32)
    fig = faded(saliency_grid(x, {"gradient": x, "deeplift": x}))
    assert fig.data and {t.opacity for t in fig.data} == {STALE_OPACITY} and STALE_OPACITY < 0.5
