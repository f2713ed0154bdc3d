"""The SOM charts: trace types and counts, the net's segments, the mosaic's layout."""

from __future__ import annotations

import numpy as np

from playground.figures import som as figs
from playground.settings.som import Topology
from playground.train.som import neighbour_links, unit_positions


def test_elastic_net_draws_points_links_and_prototypes() -> None:
    pos = unit_positions(3, 2, Topology.SQUARE)
    links = neighbour_links(pos)
    points = np.random.default_rng(0).normal(size=(20, 2))
    fig = figs.elastic_net(pos, links, points, np.arange(20) % 2)
    names = [t.name for t in fig.data]
    assert names == ["class 0", "class 1", "map links", "prototypes"]
    net = fig.data[2]
    assert len(net.x) == 3 * len(links) and np.isnan(np.asarray(net.x, float)[2::3]).all()
    np.testing.assert_array_equal(fig.data[3].x, pos[:, 0])


def test_mosaic_places_each_prototype_image() -> None:
    protos = np.arange(6 * 64, dtype=float).reshape(6, 64) / 400
    z = np.asarray(figs.prototype_mosaic(protos, 3, 2).data[0].z, float)
    assert z.shape == (2 * 9 - 1, 3 * 9 - 1)
    np.testing.assert_allclose(z[9:17, 18:26], protos[5].reshape(8, 8))  # row 1, column 2
    z = np.asarray(figs.prototype_mosaic(protos, 3, 2, hexagonal=True).data[0].z, float)
    np.testing.assert_allclose(z[9:17, 4:12], protos[3].reshape(8, 8))  # odd rows shift by 4


def test_u_matrix_and_curves() -> None:
    pos = unit_positions(4, 3, Topology.HEXAGONAL)
    u = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    fig = figs.u_matrix(u, pos, hexagonal=True)
    assert fig.data[0].marker.symbol == "hexagon"
    np.testing.assert_allclose(fig.data[0].marker.color, u.ravel())
    history = {"step": np.arange(5.0), "train_loss": np.ones(5), "test_loss": np.ones(5),
               "topographic_error": np.zeros(5)}  # fmt: skip
    qe, te = figs.error_curves(history)
    assert len(qe.data) == 2 and qe.layout.title.text == "Quantisation error"
    assert te.layout.title.text == "Topographic error" and len(te.data[0].y) == 5
