"""Tests for figures.backprop_graph: step list, DOT graph, LaTeX, tables, curve."""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
import pytest

from playground.explain import backprop as bp
from playground.figures import backprop_graph as bg

MAZUR = bp.trace(bp.PRESETS["Textbook 2-2-2 (sigmoid, Mazur)"])
SOFTMAX = bp.trace(bp.random_spec([2, 3, 3, 2], "tanh", 3, loss="cross_entropy"))


def _labels(dot: str) -> dict[str, tuple[str, str]]:
    """Node id -> (fill colour, label) for every record node."""
    pattern = r'(\w+) \[shape=record, style=filled, fillcolor="([^"]+)", label="\{ (.*) \}"\];'
    return {m[1]: (m[2], m[3]) for m in re.finditer(pattern, dot)}


def test_step_list_goes_forward_loss_backward_update():
    steps = bg.step_list(SOFTMAX)
    assert len(steps) == 3 * (3 + 3 + 2) + 1
    phases = [s[0] for s in steps]
    assert phases == ["forward"] * 8 + ["loss"] + ["backward"] * 8 + ["update"] * 8
    assert [s[1] for s in steps if s[0] == "backward"] == [2, 2, 1, 1, 1, 0, 0, 0]
    assert [s[1] for s in steps if s[0] == "forward"] == [0, 0, 0, 1, 1, 1, 2, 2]


def test_graph_shows_value_and_grad_on_every_node():
    dot = bg.graph_dot(SOFTMAX)
    labels = _labels(dot)
    assert dot.startswith("digraph") and dot.count("{") == dot.count("}")
    for k, ly in enumerate(SOFTMAX["layers"]):
        for j in range(len(ly["bias"])):
            assert (
                f"data {bg._g(ly['net'][j])} | grad {bg._g(ly['delta'][j])}"
                in labels[f"n{k}_{j}"][1]
            )
            assert (
                f"data {bg._g(ly['out'][j])} | grad {bg._g(ly['dE_dout'][j])}"
                in labels[f"a{k}_{j}"][1]
            )
            for i, w in enumerate(ly["weights"][j]):
                new, grad = ly["new_weights"][j][i], ly["grad_weights"][j][i]
                assert (
                    f"{bg._g(w)} → {bg._g(new)} | grad {bg._g(grad)}" in labels[f"w{k}_{j}_{i}"][1]
                )
    n_weights = sum(np.size(ly["weights"]) for ly in SOFTMAX["layers"])
    assert sum(name.startswith("w") for name in labels) == n_weights
    assert "?" not in dot


def test_graph_reveals_step_by_step_and_highlights_the_current_neuron():
    steps = bg.step_list(MAZUR)
    first = _labels(bg.graph_dot(MAZUR, 0))
    assert first["a0_0"][0] == bg.CURRENT and "grad ?" in first["a0_0"][1]
    assert first["a1_0"][0] == bg.PENDING and "data ?" in first["a1_0"][1]
    assert "data ?" in first["E"][1]
    backward = steps.index(("backward", 1, 1))
    mid = _labels(bg.graph_dot(MAZUR, backward))
    assert mid["n1_1"][0] == bg.CURRENT and "grad ?" not in mid["n1_1"][1]
    assert "grad ?" in mid["n0_0"][1] and "grad 1" in mid["E"][1]
    update = steps.index(("update", 0, 1))
    late = _labels(bg.graph_dot(MAZUR, update))
    assert late["w0_1_0"][0] == bg.CURRENT and late["w0_0_0"][0] == bg.UPDATED
    assert "→" not in late["w1_0_0"][1]


def test_graph_without_weight_nodes_labels_the_edges():
    dot = bg.graph_dot(MAZUR, weight_nodes=False)
    assert "w0_0_0 [" not in dot and 'x0 -> s0_0 [fontsize=8, label="w 0.15"];' in dot


def _product_line(latex: str) -> tuple[list[float], float]:
    """The factors and result of the '&= a \\times b [\\times c] = g' line."""
    line = next(p for p in latex.split(r" \\ ") if p.startswith("&= "))
    numbers = [float(v.strip(" ()")) for v in re.split(r"\\times|=", line[3:])]
    return numbers[:-1], numbers[-1]


@pytest.mark.parametrize("trace", [MAZUR, SOFTMAX], ids=["sigmoid", "softmax"])
def test_chain_rule_latex_multiplies_out_to_the_gradient(trace):
    for k, ly in enumerate(trace["layers"]):
        for j, row in enumerate(ly["weights"]):
            for i in [*range(len(row)), None]:
                latex = bg.chain_rule_latex(trace, k, j, i)
                assert latex.startswith(r"\begin{aligned}") and latex.endswith(r"\end{aligned}")
                factors, grad = _product_line(latex)
                want = ly["grad_weights"][j][i] if i is not None else ly["grad_bias"][j]
                assert grad == pytest.approx(want, rel=1e-5, abs=1e-12)
                assert np.prod(factors) == pytest.approx(want, rel=1e-4, abs=1e-9)


def test_chain_rule_latex_writes_the_sums_and_the_update():
    hidden = bg.chain_rule_latex(MAZUR, 0, 0, 1)
    assert r"\sum_m \delta_m" in hidden and r"\cdot" in hidden
    assert bg._num(MAZUR["layers"][0]["new_weights"][0][1]) in hidden
    assert "frozen" in bg.chain_rule_latex(MAZUR, 1, 0, None)
    assert r"\sum_m \frac{\partial E}{\partial out_m}" in bg.chain_rule_latex(SOFTMAX, 2, 1, 0)


def test_tables_fill_in_as_the_steps_reach_them():
    steps = bg.step_list(MAZUR)
    before = bg.neuron_rows(MAZUR, 1, 0)
    assert before[0]["net"] is None and before[0]["bias"] == 0.6
    everything = bg.neuron_rows(MAZUR, 1)
    assert [r["δ = ∂E/∂net"] for r in everything] == MAZUR["layers"][1]["delta"]
    rows = bg.weight_rows(MAZUR, 0, steps.index(("backward", 0, 0)))
    assert rows[0]["∂E/∂w"] == MAZUR["layers"][0]["grad_weights"][0][0]
    assert rows[0]["new w"] is None and rows[2]["∂E/∂w"] is None
    assert [r["weight"] for r in rows] == ["w h1←x1", "w h1←x2", "w h2←x1", "w h2←x2"]


def test_step_captions_name_the_neuron_and_its_numbers():
    captions = [bg.step_caption(MAZUR, s) for s in bg.step_list(MAZUR)]
    assert captions[0].startswith("net h1") and bg._g(MAZUR["layers"][0]["out"][0]) in captions[0]
    assert captions[4].startswith("E = ") and bg._g(MAZUR["loss"]) in captions[4]
    assert "δ o1" in captions[5] and "frozen" in captions[-1]


def test_names_for_deeper_networks():
    assert [bg.neuron_name(SOFTMAX, k, 0) for k in (-1, 0, 1, 2)] == ["x1", "h1.1", "h2.1", "o1"]
    assert bg.weight_name(SOFTMAX, 1, 2, 0, latex=True) == r"w_{h_{2.3} \leftarrow h_{1.1}}"


def test_loss_steps_figure():
    fig = bg.loss_steps_figure([1.0, 0.5, 0.25])
    assert isinstance(fig, go.Figure) and len(fig.data) == 1
    assert isinstance(fig.data[0], go.Scatter) and list(fig.data[0].y) == [1.0, 0.5, 0.25]
    assert fig.layout.xaxis.title.text == "SGD step" and fig.layout.yaxis.title.text == "loss"
