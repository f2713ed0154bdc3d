"""Figure builders: trace types and counts, axes, placement and colours (no rendering)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from playground.figures import theme
from playground.figures.boundary import (
    CLASS_SPAN,
    dataset_preview,
    decision_boundary,
    neuron_heatmap,
    output_surface_3d,
    regression_error,
)
from playground.figures.curves import (
    HEALTHY_UPDATE_RATIO,
    MAX_CURVE_POINTS,
    accuracy_curve,
    grad_flow_curve,
    loss_curve,
    update_ratio_curve,
)
from playground.figures.network import network_graph
from playground.figures.weights import grad_norm_bars, histogram_figure, weight_heatmaps
from playground.nn.engine import grid_axis

BOUND = 6.0
R = 30


def _history(n: int = 200, every: int = 5) -> dict[str, np.ndarray]:
    """A run of n rows, one every `every` steps, with two layers' gradient columns."""
    steps = np.arange(n, dtype=np.float64) * every
    loss = np.exp(-steps / 500)
    return {
        "step": steps,
        "epoch": steps // 100,
        "train_loss": loss,
        "test_loss": loss + 0.1,
        "train_accuracy": 1 - loss / 2,
        "test_accuracy": 1 - loss / 1.5,
        "lr": np.full(n, 0.03),
        "grad_norm/dense 1": loss * 2,
        "grad_norm/output": loss,
        "update_ratio/dense 1": np.full(n, 2e-3),
        "update_ratio/output": np.full(n, 5e-4),
    }


def _xs(trace: go.Scatter) -> np.ndarray:
    """The x values of a line trace, whether given as x or as x0/dx."""
    if trace.x is not None:
        return np.asarray(trace.x, dtype=np.float64)
    return trace.x0 + trace.dx * np.arange(len(trace.y))


def _plane() -> tuple[np.ndarray, np.ndarray]:
    """(R, R) x1 and x2 at the cell centres, laid out like the engine's grid."""
    axis = grid_axis(BOUND, R)
    return np.meshgrid(axis, axis)


def _points(n: int = 60, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.uniform(-BOUND, BOUND, (n, 2)).astype(np.float32), rng.integers(0, k, n)


def _net(
    counts: list[int], seed: int = 0
) -> tuple[list[str], np.ndarray, list, list, list, np.ndarray]:
    """network_graph arguments for columns of `counts` neurons (inputs first, output last)."""
    rng = np.random.default_rng(seed)
    xx, _ = _plane()
    features = np.stack([xx * (f + 1) for f in range(counts[0])]).astype(np.float32)
    weights = [
        rng.normal(size=(counts[k + 1], counts[k])).astype(np.float32)
        for k in range(len(counts) - 1)
    ]
    biases = [rng.normal(size=n).astype(np.float32) for n in counts[1:]]
    hidden = [np.tanh(rng.normal(size=(n, R, R))).astype(np.float32) for n in counts[1:-1]]
    names = [f"x{f + 1}" for f in range(counts[0])]
    return names, features, weights, biases, hidden, np.tanh(xx / 3).astype(np.float32)


def _by_name(fig: go.Figure, name: str) -> list:
    return [t for t in fig.data if t.name == name]


# --- curves -------------------------------------------------------------------------------------


def test_loss_curve_has_train_solid_and_test_dashed_against_step() -> None:
    history = _history()
    fig = loss_curve(history)
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    train, test = fig.data
    assert (train.name, test.name) == ("train", "test")
    assert train.line.dash == "solid" and test.line.dash == "dash"
    np.testing.assert_allclose(_xs(train), history["step"])
    np.testing.assert_allclose(test.y, history["test_loss"])
    assert fig.layout.xaxis.title.text == "step" and fig.layout.yaxis.title.text == "loss"
    assert fig.layout.yaxis.type == "linear"
    assert fig.layout.uirevision is not None


def test_log_y_sets_a_log_axis_and_gaps_non_positive_values() -> None:
    history = _history()
    history["train_loss"][[3, 7]] = [0.0, np.inf]
    fig = loss_curve(history, log_y=True)
    assert fig.layout.yaxis.type == "log"
    assert np.isnan(fig.data[0].y[[3, 7]]).all()
    assert grad_flow_curve(history).layout.yaxis.type == "log"
    assert grad_flow_curve(history, log_y=False).layout.yaxis.type == "linear"


def test_last_n_steps_keeps_only_the_window() -> None:
    history = _history(n=200, every=5)  # steps 0..995
    x = _xs(loss_curve(history, last_n_steps=100).data[0])
    last = history["step"][-1]
    assert x.min() >= last - 100 and x.max() == last
    np.testing.assert_allclose(x, history["step"][history["step"] >= last - 100])


def test_long_histories_are_downsampled_keeping_the_newest_point() -> None:
    history = _history(n=5_000, every=1)
    for fig in (loss_curve(history), accuracy_curve(history), grad_flow_curve(history)):
        for trace in fig.data:
            assert len(trace.y) <= MAX_CURVE_POINTS
            assert _xs(trace)[-1] == history["step"][-1]


def test_uneven_steps_are_sent_as_an_x_array() -> None:
    history = {"step": np.array([0.0, 1, 2, 10]), "train_loss": np.array([1.0, 0.5, 0.4, 0.1])}
    trace = loss_curve(history).data[0]
    np.testing.assert_allclose(trace.x, history["step"])


@pytest.mark.parametrize("history", [{}, {k: np.empty(0) for k in _history()}])
def test_empty_history_gives_an_empty_chart(history: dict[str, np.ndarray]) -> None:
    for build in (loss_curve, accuracy_curve, grad_flow_curve, update_ratio_curve):
        fig = build(history)
        assert all(len(t.y) == 0 for t in fig.data)
        assert fig.layout.xaxis.title.text == "step"
        assert fig.layout.annotations


def test_all_nan_history_still_builds() -> None:
    history = {k: np.full(5, np.nan) for k in _history()}
    history["step"] = np.arange(5.0)
    assert len(loss_curve(history, log_y=True).data) == 2


def test_accuracy_curve_spans_zero_to_one() -> None:
    fig = accuracy_curve(_history())
    low, high = fig.layout.yaxis.range
    assert low == 0 and high >= 1
    assert fig.layout.yaxis.title.text == "accuracy"
    assert [t.name for t in fig.data] == ["train", "test"]


def test_grad_flow_has_one_line_per_layer() -> None:
    history = _history()
    fig = grad_flow_curve(history)
    assert [t.name for t in fig.data] == ["dense 1", "output"]
    np.testing.assert_allclose(fig.data[1].y, history["grad_norm/output"])


def test_update_ratio_has_a_dotted_reference_at_1e_3() -> None:
    fig = update_ratio_curve(_history(), last_n_steps=50)
    assert fig.layout.yaxis.type == "log"
    *layers, reference = fig.data
    assert [t.name for t in layers] == ["dense 1", "output"]
    assert reference.line.dash == "dot"
    assert list(reference.y) == [HEALTHY_UPDATE_RATIO] * 2
    assert reference.x[0] == _xs(layers[0])[0] and reference.x[1] == _xs(layers[0])[-1]


# --- boundary -----------------------------------------------------------------------------------


def test_live_charts_keep_their_margins_and_carry_no_colour_bar() -> None:
    """Redrawn 5 times a second: no auto-margin pass (a colour bar or outside legend forces it)."""
    xx, _ = _plane()
    points, y = _points()
    live = [
        decision_boundary(np.tanh(xx)[None], BOUND, points_train=points, y_train=y),
        loss_curve({"step": np.arange(3.0), "train_loss": np.ones(3), "test_loss": np.ones(3)}),
        network_graph(*_net([2, 3, 1])),
    ]
    for fig in live:
        assert fig.layout.margin.autoexpand is False
        assert not any(getattr(t, "showscale", None) for t in fig.data)
    assert decision_boundary(np.tanh(xx)[None], BOUND, points_train=points, y_train=y,
                             task="regression").data[0].showscale is False  # fmt: skip


def test_binary_boundary_places_cell_centres_like_the_engine_grid() -> None:
    xx, _ = _plane()
    points, y = _points()
    fig = decision_boundary(np.tanh(xx)[None], BOUND, points_train=points, y_train=y)
    heat = fig.data[0]
    assert heat.type == "heatmap" and heat.z.dtype == np.float32
    centres = grid_axis(BOUND, R)
    assert heat.x0 == pytest.approx(centres[0]) and heat.y0 == pytest.approx(centres[0])
    assert heat.x0 == pytest.approx(-BOUND + heat.dx / 2)
    assert heat.x0 + heat.dx * (R - 1) == pytest.approx(centres[-1], abs=1e-5)
    assert (heat.zmin, heat.zmax) == (-1, 1)
    np.testing.assert_array_equal(heat.z[:, 0], heat.z[0, 0])  # row = x2 index, col = x1 index
    assert fig.layout.xaxis.range == (-BOUND, BOUND) and fig.layout.yaxis.range == (-BOUND, BOUND)
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.title.text == "x1" and fig.layout.yaxis.title.text == "x2"
    assert "x1" in heat.hovertemplate and "x2" in heat.hovertemplate


def test_discretize_shows_only_the_sign() -> None:
    xx, yy = _plane()
    grid = np.tanh(xx * yy / 10)[None].astype(np.float32)
    points, y = _points()
    z = decision_boundary(grid, BOUND, points_train=points, y_train=y, discretize=True).data[0].z
    assert set(np.unique(z)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(z > 0, grid[0] >= 0)


def test_points_are_coloured_by_class_and_test_points_outlined() -> None:
    xx, _ = _plane()
    points, y = _points()
    kw = {"points_train": points, "y_train": y, "points_test": points[:10], "y_test": y[:10]}
    assert len(decision_boundary(xx[None], BOUND, **kw).data) == 2
    fig = decision_boundary(xx[None], BOUND, **kw, show_test=True)
    _, train, test = fig.data
    assert train.type == test.type == "scatter" and train.mode == "markers"
    assert list(train.marker.color) == [theme.CLASS_COLORS[c] for c in y]
    assert train.marker.line.color == theme.NEUTRAL and test.marker.line.color == theme.INK
    np.testing.assert_allclose(train.x, points[:, 0])
    assert "class" in train.hovertemplate


def test_multiclass_boundary_colours_the_winning_class() -> None:
    xx, yy = _plane()
    logits = np.stack([xx, yy, -xx - yy, np.zeros_like(xx)])  # (4, R, R)
    probs = np.exp(logits) / np.exp(logits).sum(0)
    points, y = _points(k=4)
    fig = decision_boundary(probs, BOUND, points_train=points, y_train=y, n_classes=4)
    heat = fig.data[0]
    assert heat.z.dtype == np.float32
    np.testing.assert_array_equal(np.round(heat.z), probs.argmax(0))
    np.testing.assert_allclose(heat.customdata, probs.max(0), rtol=1e-6)
    stops = {pos: color for pos, color in heat.colorscale}
    for k in range(4):  # full class colour at top confidence, white at none
        assert stops[(k + CLASS_SPAN) / 4] == theme.CLASS_COLORS[k]
        assert stops[k / 4] == theme.NEUTRAL
    assert (heat.zmin, heat.zmax) == (0, 4)
    confident = decision_boundary(probs, BOUND, points_train=points, y_train=y, discretize=True)
    np.testing.assert_allclose(confident.data[0].z, probs.argmax(0) + CLASS_SPAN, rtol=1e-6)


def test_regression_points_use_the_output_scale() -> None:
    xx, _ = _plane()
    points, _ = _points()
    target = np.tanh(points[:, 0] / 3)
    fig = decision_boundary(
        (xx / BOUND)[None], BOUND, points_train=points, y_train=target, task="regression"
    )
    marker = fig.data[1].marker
    np.testing.assert_allclose(marker.color, target, rtol=1e-6)
    assert (marker.cmin, marker.cmax) == (-1, 1)
    assert "target" in fig.data[1].hovertemplate


def test_dataset_preview_is_a_bare_thumbnail() -> None:
    points, y = _points(n=1_000)
    fig = dataset_preview(points, y, "classification", 2, size=90)
    assert len(fig.data) == 1 and fig.data[0].type == "scatter"
    assert len(fig.data[0].x) <= 300
    assert fig.layout.width == fig.layout.height == 90
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_neuron_heatmap_range_depends_on_the_activation() -> None:
    xx, _ = _plane()
    tanh = neuron_heatmap(np.tanh(xx), BOUND, "layer 1 neuron 1")
    assert (tanh.data[0].zmin, tanh.data[0].zmax) == (-1, 1)
    assert tanh.data[0].z.dtype == np.float32
    assert tanh.layout.title.text == "layer 1 neuron 1"
    relu = neuron_heatmap(np.maximum(xx, 0), BOUND, "n", activation="relu")
    assert relu.data[0].zmax == pytest.approx(xx.max()) and relu.data[0].zmin == -relu.data[0].zmax
    assert "max |value|" in relu.data[0].colorbar.title.text


def test_output_surface_is_downsampled() -> None:
    xx, yy = np.meshgrid(grid_axis(BOUND, 100), grid_axis(BOUND, 100))
    points, _ = _points()
    fig = output_surface_3d(xx * yy / 36, BOUND, points=points, values=points[:, 0])
    surface = fig.data[0]
    assert surface.type == "surface" and surface.z.shape[0] <= 50 and surface.z.shape[1] <= 50
    np.testing.assert_allclose(surface.z[0], surface.x * surface.y[0] / 36, rtol=1e-5)
    assert fig.data[1].type == "scatter3d"


def test_regression_error_colours_by_signed_error() -> None:
    points, _ = _points()
    y = points[:, 0] / BOUND
    pred = y + np.linspace(-0.5, 0.3, len(y))
    marker = regression_error(points, y, pred).data[0].marker
    np.testing.assert_allclose(marker.color, pred - y, rtol=1e-5, atol=1e-6)
    assert marker.cmin == -marker.cmax == pytest.approx(-0.5)
    assert marker.colorbar.title.text


# --- network ------------------------------------------------------------------------------------


def test_network_graph_traces_for_a_2_4_2_1_net() -> None:
    counts = [2, 4, 2, 1]
    args = _net(counts)
    weights = args[2]
    fig = network_graph(*args, thumb=10)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == sum(counts)
    assert all(h.z.dtype == np.float32 and max(h.z.shape) <= 10 for h in heatmaps)
    assert all(h.hoverinfo == "skip" for h in heatmaps)
    links = _by_name(fig, "links")
    assert 1 <= len(links) <= 16
    assert sum(int(np.isnan(t.x).sum()) for t in links) == sum(w.size for w in weights)
    (hover,) = _by_name(fig, "link values")
    assert len(hover.x) == sum(a * b for a, b in itertools.pairwise(counts))
    np.testing.assert_array_equal(hover.customdata, np.concatenate([w.ravel() for w in weights]))
    for text, w in zip(hover.hovertext, np.concatenate([w.ravel() for w in weights])):
        assert text.startswith(f"w = {np.float32(w)!s} (")
    assert hover.hovertext[1] == f"w = {weights[0][0, 1]!s} (x2 -> layer 1 neuron 1)"
    assert hover.hovertext[-1] == f"w = {weights[2][0, 1]!s} (layer 2 neuron 2 -> output)"


def test_network_links_are_coloured_by_sign() -> None:
    args = _net([2, 4, 2, 1], seed=3)
    w = np.concatenate([a.ravel() for a in args[2]])
    links = _by_name(network_graph(*args), "links")
    positive = sum(int(np.isnan(t.x).sum()) for t in links if t.line.color == theme.POSITIVE)
    negative = sum(int(np.isnan(t.x).sum()) for t in links if t.line.color == theme.NEGATIVE)
    assert (positive, negative) == ((w >= 0).sum(), (w < 0).sum())
    widest = max(links, key=lambda t: t.line.width)
    assert widest.line.color == (theme.POSITIVE if w[np.abs(w).argmax()] >= 0 else theme.NEGATIVE)


def test_network_neurons_carry_ids_and_biases() -> None:
    counts = [2, 4, 2, 1]
    args = _net(counts)
    biases = args[3]
    fig = network_graph(*args, selected=(1, 2))
    (neurons,) = _by_name(fig, "neurons")
    ids = [[c, i] for c, n in enumerate(counts) for i in range(n)]
    assert [list(d) for d in neurons.customdata] == ids
    assert neurons.hovertext[2 + 2] == f"layer 1 neuron 3, bias = {biases[0][2]!s}"
    assert neurons.hovertext[-1] == f"output, bias = {biases[-1][0]!s}"
    (bias,) = _by_name(fig, "bias")
    b = np.concatenate(biases)
    assert list(bias.marker.color) == [theme.POSITIVE if v >= 0 else theme.NEGATIVE for v in b]
    assert len(fig.layout.shapes) == 1
    assert fig.layout.shapes[0].x0 < neurons.x[4] < fig.layout.shapes[0].x1
    assert fig.layout.shapes[0].y0 < neurons.y[4] < fig.layout.shapes[0].y1
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_network_thumbnails_sit_on_their_neurons() -> None:
    args = _net([2, 3, 1])
    fig = network_graph(*args, thumb=15)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    (neurons,) = _by_name(fig, "neurons")
    for heat, x, y in zip(heatmaps, neurons.x, neurons.y):
        n = heat.z.shape[1]
        assert heat.x0 - heat.dx / 2 == pytest.approx(x - 0.5)
        assert heat.x0 + heat.dx * (n - 0.5) == pytest.approx(x + 0.5)
        assert heat.y0 - heat.dy / 2 == pytest.approx(y - 0.5)
    np.testing.assert_array_equal(heatmaps[-1].z, args[5][::2, ::2])  # output, strided 30 -> 15


@pytest.mark.parametrize(
    ("units", "shown"),
    [(1, 1), (2, 1), (2, 2), (3, 3), (6, 6)],
    ids=["one output", "two-class softmax score", "two outputs", "three classes", "six classes"],
)
def test_network_graph_draws_every_output_unit(units: int, shown: int) -> None:
    """K output units: K thumbnails, each its own grid, links into each, named by class."""
    names, features, weights, biases, hidden, _ = _net([2, 4, units])
    grid = np.tanh(np.random.default_rng(1).normal(size=(shown, R, R))).astype(np.float32)
    fig = network_graph(names, features, weights, biases, hidden, grid, thumb=R)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == 2 + 4 + units
    expected = np.concatenate([-grid, grid]) if shown < units else grid  # softmax: p0 = 1 - p1
    for heat, g in zip(heatmaps[-units:], expected):
        np.testing.assert_array_equal(heat.z, g)
    (neurons,) = _by_name(fig, "neurons")
    assert [list(d) for d in neurons.customdata][-units:] == [[2, i] for i in range(units)]
    outputs = ["output"] if units == 1 else [f"output {i} (class {i})" for i in range(units)]
    assert [t.split(",")[0] for t in neurons.hovertext[-units:]] == outputs
    (hover,) = _by_name(fig, "link values")
    assert len(hover.x) == 2 * 4 + 4 * units
    assert hover.hovertext[-1].endswith(f"(layer 1 neuron 4 -> {outputs[-1]})")


def test_network_graph_refuses_output_grids_that_do_not_match_the_units() -> None:
    names, features, weights, biases, hidden, _ = _net([2, 4, 3])
    with pytest.raises(ValueError, match="2 output grids for 3 output units"):
        network_graph(names, features, weights, biases, hidden, np.zeros((2, R, R)))


def test_network_graph_height_grows_with_the_widest_column() -> None:
    small = network_graph(*_net([2, 2, 1]))
    big = network_graph(*_net([2, 16, 1]))
    assert small.layout.height == theme.NETWORK_MIN_HEIGHT
    assert big.layout.height >= 16 * theme.NETWORK_PX_PER_NEURON
    assert network_graph(*_net([2, 2, 1]), height=512).layout.height == 512


def test_network_graph_rejects_mismatched_weights() -> None:
    names, features, weights, biases, hidden, output = _net([2, 4, 1])
    with pytest.raises(ValueError, match="weights"):
        network_graph(names, features, [weights[0].T, weights[1]], biases, hidden, output)


def test_network_graph_built_unvalidated_passes_plotly_validation() -> None:
    """network_graph skips Plotly's validation (for speed), so validate it here."""
    fig = network_graph(*_net([7, 8, 8, 8, 8, 8, 8, 1]))
    go.Figure(fig.to_dict())  # raises on any invalid property
    assert pio.to_json(fig, validate=False)


# --- weights ------------------------------------------------------------------------------------


def test_weight_heatmaps_one_zero_centred_subplot_per_layer() -> None:
    rng = np.random.default_rng(0)
    conv = rng.normal(size=(4, 2, 3, 3)).astype(np.float32)
    dense = rng.normal(size=(3, 5)).astype(np.float32)
    fig = weight_heatmaps(["conv 1", "output"], [conv, dense])
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert fig.data[0].z.shape == (4, 18) and fig.data[0].z.dtype == np.float32
    np.testing.assert_array_equal(fig.data[1].z, dense)
    for trace, w in zip(fig.data, (conv, dense)):
        assert trace.zmax == pytest.approx(np.abs(w).max()) and trace.zmin == -trace.zmax
        assert "W[%{y}, %{x}]" in trace.hovertemplate
    assert [a.text for a in fig.layout.annotations] == ["conv 1", "output"]
    assert fig.data[1].xaxis == "x2"
    assert len(weight_heatmaps([], []).data) == 0


def test_grad_norm_bars_use_a_log_axis() -> None:
    fig = grad_norm_bars(["dense 1", "output"], [0.5, 0.0])
    assert fig.data[0].type == "bar" and fig.layout.yaxis.type == "log"
    assert fig.data[0].y[0] == 0.5 and np.isnan(fig.data[0].y[1])


def test_histogram_figure_draws_bins_at_their_centres() -> None:
    edges = np.linspace(-1, 1, 5)
    fig = histogram_figure([("dense 1", np.array([1, 3, 5, 2]), edges), ("output", [2], [0, 1])])
    assert [t.type for t in fig.data] == ["bar", "bar"]
    np.testing.assert_allclose(fig.data[0].x, (edges[:-1] + edges[1:]) / 2)
    np.testing.assert_allclose(fig.data[0].width, np.diff(edges))
    assert len(histogram_figure([]).data) == 0


# --- purity -------------------------------------------------------------------------------------


def test_figures_import_neither_torch_nor_streamlit() -> None:
    code = (
        "import sys\n"
        "import playground.figures.boundary, playground.figures.curves\n"
        "import playground.figures.network, playground.figures.weights\n"
        "print(sorted({'torch', 'streamlit'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
