"""The autoencoder's figures: trace types and counts, axis titles, the grid laid on the latent
plane (no rendering, no Streamlit)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.figures import autoencoder as figs
from playground.figures.theme import class_color

RNG = np.random.default_rng(0)
EXTENT = (-3.0, 3.0, -2.0, 2.0)


def test_the_latent_plane_has_one_trace_per_class_a_click_grid_and_the_pick() -> None:
    z, y = RNG.normal(size=(50, 2)).astype(np.float32), np.arange(50) % 10
    fig = figs.latent_scatter(z, y, 10, EXTENT, picked=(1.0, -1.0))
    names = [t.name for t in fig.data]
    assert names[:10] == [f"digit {k}" for k in range(10)] and names[-1] == "picked"
    assert all(isinstance(t, go.Scatter) for t in fig.data)
    assert [t.marker.color for t in fig.data[:10]] == [class_color(k) for k in range(10)]
    clicks = fig.data[10]
    assert clicks.marker.opacity == 0 and len(clicks.x) == figs.CLICK_SIDE**2
    assert min(clicks.x) == EXTENT[0] and max(clicks.y) == EXTENT[3]
    assert np.array_equal(fig.data[3].x, z[y == 3, 0]) and np.array_equal(
        fig.data[3].y, z[y == 3, 1]
    )
    assert fig.layout.xaxis.title.text == "z1" and fig.layout.yaxis.title.text == "z2"
    assert list(fig.layout.xaxis.range) == [-3.0, 3.0]


def test_a_1d_latent_spreads_the_classes_vertically() -> None:
    z, y = RNG.normal(size=(40, 1)), np.arange(40) % 2
    fig = figs.latent_scatter(z, y, 2, EXTENT)
    assert fig.layout.yaxis.title.text == "class"
    assert max(fig.data[0].y) < min(fig.data[1].y)  # class 0 below class 1


def test_pairs_and_grid_are_one_heatmap_of_tiles() -> None:
    a, b = (RNG.random((10, 1, 8, 8), dtype=np.float32) for _ in "ab")
    pairs = figs.reconstruction_pairs(a, b, [str(k) for k in range(10)])
    assert len(pairs.data) == 1 and isinstance(pairs.data[0], go.Heatmap)
    z = np.asarray(pairs.data[0].z, dtype=float)
    assert z.shape == (17, 89)
    assert np.array_equal(z[:8, 9:17], a[1, 0]) and np.array_equal(z[9:, :8], b[0, 0])
    three = figs.reconstruction_pairs(a, b, noisy=a + 0.5)
    assert np.asarray(three.data[0].z, dtype=float).shape == (26, 89)
    assert list(three.layout.yaxis.ticktext) == ["input", "with noise", "rebuilt"]
    grid = figs.decoded_grid(RNG.random((100, 1, 8, 8)), EXTENT, 10)
    heat = grid.data[0]
    assert heat.x[0] == EXTENT[0] and heat.x[-1] == EXTENT[1]
    assert heat.y[0] == EXTENT[3] and heat.y[-1] == EXTENT[2]  # the top row is the highest z2
    assert grid.layout.xaxis.title.text == "z1"


def test_the_plane_joins_points_to_reconstructions_and_draws_the_decoded_mesh() -> None:
    p = RNG.normal(size=(30, 2))
    fig = figs.plane_reconstructions(p, p * 0.5, np.arange(30) % 2, 2, RNG.normal(size=(16, 2)), 4,
                                     picked=np.zeros(2))  # fmt: skip
    names = [t.name for t in fig.data]
    assert names.count("decoder's grid") == 8  # 4 rows and 4 columns of the mesh
    assert names[:3] == ["error", "class 0", "class 1"] and names[-1] == "decoded pick"
    assert len(fig.data[0].x) == 3 * 30  # point, reconstruction, gap
    line = figs.plane_reconstructions(p, p, np.zeros(30), 2, RNG.normal(size=(64, 2)), 64)
    assert [t.name for t in line.data].count("decoder's grid") == 1


def test_curves_show_pca_and_the_kl_term() -> None:
    h = {"step": np.arange(5.0), "train_loss": np.ones(5), "test_loss": np.ones(5),
         "train_kl": np.ones(5), "test_kl": np.ones(5)}  # fmt: skip
    loss = figs.loss_with_baseline(h, 0.05, 2)
    assert [t.name for t in loss.data] == ["train", "test", "PCA, 2 components (test)"]
    assert list(loss.data[-1].y) == [0.05, 0.05]
    kl = figs.kl_curve(h)
    assert kl.layout.yaxis.title.text == "KL (nats per example)" and len(kl.data) == 2
