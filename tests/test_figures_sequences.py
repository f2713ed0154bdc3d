"""Tests for figures.sequences: trace types, and that what is plotted is the arrays given."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.figures.sequences import (
    attention_maps,
    empty_figure,
    gate_heatmaps,
    gradient_through_time,
    state_heatmap,
    token_predictions,
    value_predictions,
)


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _types(fig: go.Figure) -> list[str]:
    return [t.type for t in fig.data]


def test_value_predictions_plot_the_given_sequences_with_gaps_where_no_target() -> None:
    rng = _rng()
    x, y, out = rng.normal(size=(3, 2, 12)).astype(np.float32)
    y[:, :4] = np.nan  # no target over the first four steps
    fig = value_predictions(x, y, out, title="sine")
    assert _types(fig) == ["scatter"] * 6  # input, target, prediction per sequence
    for s in range(2):
        inp, tgt, pred = fig.data[3 * s : 3 * s + 3]
        assert (inp.name, tgt.name, pred.name) == ("input", "target", "prediction")
        np.testing.assert_array_equal(inp.y, x[s].astype(np.float64))
        np.testing.assert_array_equal(tgt.y, y[s].astype(np.float64))
        np.testing.assert_array_equal(pred.y[4:], out[s, 4:].astype(np.float64))
        assert np.isnan(pred.y[:4]).all()
        assert list(inp.x) == list(range(12))
    assert [t.showlegend for t in fig.data[:3]] == [True] * 3
    assert not any(t.showlegend for t in fig.data[3:])


def test_token_predictions_colour_right_and_wrong_where_scored() -> None:
    x = [list("ab?c"), list("cc?a")]
    y = [list("··ab"), list("·cca")]
    p = [list("baac"), list("accb")]
    mask = [[False, False, True, True], [False, True, True, True]]
    fig = token_predictions(x, y, p, mask)
    assert _types(fig) == ["heatmap"]  # one grid: 3 rows per sequence, a blank row between
    heat = fig.data[0]
    z = np.asarray(heat.z, dtype=np.float64)
    assert z.shape == (7, 4) and np.isnan(z[3]).all()
    assert list(fig.layout.yaxis.ticktext) == [
        "#0 input",
        "target",
        "predicted",
        "",
        "#1 input",
        "target",
        "predicted",
    ]
    for s, top in enumerate((0, 4)):
        assert np.isnan(z[top : top + 2]).all()  # input and target rows are not coloured
        scored = np.array(mask[s])
        right = np.array([a == b for a, b in zip(p[s], y[s])], dtype=float)
        np.testing.assert_array_equal(z[top + 2, scored], right[scored])
        assert np.isnan(z[top + 2, ~scored]).all()
        assert list(heat.text[top]) == x[s]
        for row, seq in ((top + 1, y[s]), (top + 2, p[s])):
            assert list(heat.text[row]) == [t if m else "" for t, m in zip(seq, mask[s])]
    assert list(heat.customdata[2]) == ["not scored", "not scored", "right", "wrong"]


def test_state_heatmap_is_the_array_on_a_zero_centred_scale() -> None:
    h = _rng().uniform(-0.7, 0.4, size=(8, 15)).astype(np.float32)
    fig = state_heatmap(h, title="layer 1")
    assert _types(fig) == ["heatmap"]
    np.testing.assert_array_equal(fig.data[0].z, h)
    assert fig.data[0].zmin == -fig.data[0].zmax == -np.abs(h).max()
    assert fig.layout.xaxis.title.text == "time step" and fig.layout.yaxis.title.text == "unit"


def test_gate_heatmaps_one_panel_per_gate_sigmoids_on_zero_to_one() -> None:
    rng = _rng()
    names = ("input", "forget", "candidate", "output", "cell")
    gates = {name: rng.uniform(-2, 1, size=(6, 10)).astype(np.float32) for name in names}
    for name in ("input", "forget", "output"):
        gates[name] = rng.random((6, 10)).astype(np.float32)
    fig = gate_heatmaps(gates)
    assert _types(fig) == ["heatmap"] * 5
    assert [a.text for a in fig.layout.annotations] == [
        "input gate",
        "forget gate",
        f"candidate<br>±{np.abs(gates['candidate']).max():.2g}",
        "output gate",
        f"cell<br>±{np.abs(gates['cell']).max():.2g}",
    ]
    for trace, (name, g) in zip(fig.data, gates.items()):
        assert trace.name == name
        np.testing.assert_array_equal(trace.z, g)
        if name in ("candidate", "cell"):  # tanh and cell state: zero-centred, own extent
            assert trace.zmin == -trace.zmax == -np.abs(g).max()
        else:
            assert (trace.zmin, trace.zmax) == (0.0, 1.0)
    assert not any(t.showscale for t in fig.data)  # the titles give each panel's scale


def test_gradient_through_time_is_log_scaled_with_gaps_for_zero() -> None:
    g = np.array([1e-9, 1e-6, 0.0, 1e-3, np.inf, 0.5], dtype=np.float32)
    h = np.linspace(0.1, 1.0, 6, dtype=np.float32)
    fig = gradient_through_time({"lstm 1": g, "lstm 2": h})
    assert _types(fig) == ["scatter", "scatter"]
    assert fig.layout.yaxis.type == "log"
    y = np.asarray(fig.data[0].y, dtype=np.float64)
    keep = np.array([True, True, False, True, False, True])
    np.testing.assert_array_equal(y[keep], g[keep].astype(np.float64))
    assert np.isnan(y[~keep]).all()
    np.testing.assert_array_equal(fig.data[1].y, h.astype(np.float64))
    assert gradient_through_time({"a": g}, log_y=False).layout.yaxis.type == "linear"


def test_attention_maps_one_panel_per_layer_and_head() -> None:
    w = _rng().random((2, 3, 5, 5)).astype(np.float32)
    w /= w.sum(axis=-1, keepdims=True)
    fig = attention_maps(list(w), tokens=list("hello"))
    assert _types(fig) == ["heatmap"] * 6
    titles = [a.text for a in fig.layout.annotations]
    assert titles == [f"layer {i}, head {j}" for i in (1, 2) for j in (1, 2, 3)]
    assert [(t.xaxis, t.yaxis) for t in fig.data] == [("x", "y")] + [
        (f"x{k}", f"y{k}") for k in range(2, 7)
    ]
    assert fig.layout.xaxis4.title.text == "key (looked at)"
    for k, trace in enumerate(fig.data):
        np.testing.assert_array_equal(trace.z, w[k // 3, k % 3])
        assert list(trace.x) == [f"{i}: {c}" for i, c in enumerate("hello")]
    assert sum(bool(t.showscale) for t in fig.data) == 1


def test_attention_maps_layers_with_different_head_counts() -> None:
    rng = _rng()
    layers = [rng.random((1, 4, 4)).astype(np.float32), rng.random((2, 4, 4)).astype(np.float32)]
    fig = attention_maps(layers)
    assert len(fig.data) == 3
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["layer 1, head 1", "layer 2, head 1", "layer 2, head 2"]  # blanks dropped
    np.testing.assert_array_equal(fig.data[2].z, layers[1][1])
    assert list(fig.data[0].x) == ["0", "1", "2", "3"]


def test_empty_figure_says_why() -> None:
    fig = empty_figure("no attention layer")
    assert not fig.data and fig.layout.annotations[0].text == "no attention layer"
