"""GAN figures: trace types and counts, arrows along minus the gradient, the coverage bars."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from playground.figures import gan as figs


def _history() -> dict[str, np.ndarray]:
    steps = np.arange(0, 500, 50, dtype=float)
    return {"step": steps, "d_loss": np.linspace(1.9, 1.4, 10), "g_loss": np.linspace(0.9, 0.7, 10),
            "modes_covered": np.minimum(np.arange(10), 8).astype(float)}  # fmt: skip


def test_arrows_start_at_the_samples_and_point_along_minus_the_gradient() -> None:
    fake = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 3.0]], np.float32)
    grad = np.array([[2.0, 0.0], [0.0, -1.0], [5.0, 5.0]], np.float32)
    x, y = figs.arrow_segments(fake, grad, n=2, length=1.0)
    seg = np.stack([x, y], axis=1).reshape(2, 3, 2)  # (arrow, start/tip/gap, xy)
    assert np.allclose(seg[:, 0], fake[:2])
    assert np.isnan(seg[:, 2]).all()
    longest = np.linalg.norm(grad[:2], axis=1).max()  # scaled together: the longest is 1 long
    assert np.allclose(seg[:, 1] - seg[:, 0], -grad[:2] / longest)


def test_plane_figure_layers_heatmap_points_and_arrows() -> None:
    rng = np.random.default_rng(0)
    heat = rng.uniform(size=(6, 6))
    real, fake, grad = rng.normal(size=(20, 2)), rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    centres = np.array([[4.0, 0.0], [0.0, 4.0]])
    fig = figs.plane_figure(heat, 6.0, real, fake, grad, arrows=10, centres=centres, sigma=0.25)
    kinds = [type(t).__name__ for t in fig.data]
    assert kinds == ["Heatmap", "Scatter", "Scatter", "Scatter"]
    assert np.array_equal(fig.data[0].z, heat) and len(fig.data[2].x) == 30
    assert len(fig.data[3].x) == 30  # 10 arrows, 3 points each (start, tip, gap)
    assert len(fig.layout.shapes) == 2 and fig.layout.shapes[0].x1 - fig.layout.shapes[0].x0 == 1.5
    assert fig.layout.xaxis.title.text == "x1" and fig.layout.yaxis.title.text == "x2"
    plain = figs.plane_figure(heat, 6.0, real, fake, grad, arrows=0, show_heatmap=False)
    assert [type(t).__name__ for t in plain.data] == ["Scatter"] * 3 and len(plain.data[2].x) == 0


def test_losses_and_coverage_curves() -> None:
    fig = figs.losses_figure(_history())
    assert [t.name for t in fig.data] == ["D loss", "G loss"]
    assert {round(s.y0, 4) for s in fig.layout.shapes} == {
        round(2 * np.log(2), 4),
        round(np.log(2), 4),
    }
    mm = figs.losses_figure(_history(), minimax=True)
    assert min(s.y0 for s in mm.layout.shapes) == pytest.approx(-np.log(2))
    cov = figs.coverage_curve(_history(), 8)
    assert [t.name for t in cov.data] == ["modes covered"] and tuple(cov.layout.yaxis.range)[
        1
    ] == 8.2


def test_mode_bars_colour_the_covered_modes() -> None:
    counts = np.array([100, 40, 0, 20])  # of 400 samples: the cover line is 1/16 = 25 samples
    fig = figs.mode_bars(counts, 400)
    bar = fig.data[0]
    assert isinstance(bar, go.Bar) and np.allclose(bar.y, counts / 400)
    covered = [c == figs.FAKE_COLOR for c in bar.marker.color]
    assert covered == [True, True, False, False]
    assert fig.layout.shapes[0].y0 == 1 / 16


def test_points_editor_offers_a_clickable_grid_and_shows_the_drawn_points() -> None:
    fig = figs.points_editor(np.array([[1.0, 2.0], [-3.0, 0.5]]), 6.0, spacing=0.5)
    grid, drawn = fig.data
    assert len(grid.x) == 25 * 25 and {-6.0, 0.0, 6.0} <= set(np.round(grid.x, 6))
    assert list(drawn.x) == [1.0, -3.0] and list(drawn.y) == [2.0, 0.5]
    assert fig.layout.clickmode == "event+select"
