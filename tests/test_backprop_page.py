"""AppTest for app_pages/backprop.py: it renders, every button works, a Playground request loads."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.explain import backprop as bp
from tests.page_harness import page_app, run_ok
from ui.state import BackpropState, Session

XOR = "XOR 2-2-1 (sigmoid)"


@pytest.fixture
def app() -> AppTest:
    return run_ok(page_app("backprop"))


def _state(at: AppTest) -> BackpropState:
    return at.session_state["playground_session"].backprop


def _progress(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def test_page_renders_everything(app):
    assert app.title[0].value.startswith("Backprop")
    assert len(app.get("graphviz_chart")) == 1 and len(app.latex) == 1
    assert [s.value.endswith("✓") for s in app.success] == [True, True]
    assert _progress(app).endswith("step 1 of 13")
    assert all(b.help for b in app.button)
    assert all(w.help for w in [*app.selectbox, *app.number_input, *app.text_input])
    keys = [k for k in app.session_state if not k.startswith("bp_")]
    assert keys == ["playground_session"]


def test_prev_next_reset_step_through_and_clamp(app):
    run_ok(app.button(key="bp_next").click())
    assert "step 2 of 13" in _progress(app) and "Forward" in _progress(app)
    for _ in range(4):
        run_ok(app.button(key="bp_next").click())
    assert "Backward" in _progress(app) and "o1" in _progress(app)
    run_ok(app.button(key="bp_prev").click())
    assert "Forward: loss" in _progress(app)
    for _ in range(12):
        run_ok(app.button(key="bp_next").click())
    assert _progress(app).startswith("③ Update") and "step 13 of 13" in _progress(app)
    run_ok(app.button(key="bp_reset").click())
    assert "step 1 of 13" in _progress(app)
    run_ok(app.button(key="bp_prev").click())
    assert "step 1 of 13" in _progress(app)


def test_preset_switch_loads_the_preset(app):
    run_ok(app.button(key="bp_next").click())
    run_ok(app.selectbox(key="bp_preset").select(XOR))
    assert _state(app).base == bp.PRESETS[XOR]
    assert "step 1 of 10" in _progress(app)


def test_randomise_draws_the_asked_network(app):
    app.text_input(key="bp_sizes").input("3,4,2")
    app.selectbox(key="bp_act").select("tanh")
    app.selectbox(key="bp_loss").select("cross_entropy")
    run_ok(app.button(key="bp_random").click())
    assert _state(app).base == bp.random_spec([3, 4, 2], "tanh", 0, loss="cross_entropy")
    assert "step 1 of 19" in _progress(app) and app.number_input(key="bp_seed").value == 1
    run_ok(app.button(key="bp_random").click())
    assert _state(app).base == bp.random_spec([3, 4, 2], "tanh", 1, loss="cross_entropy")
    app.text_input(key="bp_sizes").input("2,x")
    run_ok(app.button(key="bp_random").click())
    assert "Randomise" in app.error[0].value


def test_run_steps_plots_the_loss(app):
    app.number_input(key="bp_steps").set_value(20)
    run_ok(app.button(key="bp_run").click())
    losses = _state(app).curve[1]
    assert losses == bp.run_steps(bp.PRESETS[next(iter(bp.PRESETS))], 20)
    assert len(app.get("plotly_chart")) == 1


def test_continue_takes_the_updated_weights(app):
    trace = bp.trace(_state(app).base)
    run_ok(app.button(key="bp_apply").click())
    base = _state(app).base
    assert [ly["weights"] for ly in base["layers"]] == [ly["new_weights"] for ly in trace["layers"]]
    assert bp.trace(base)["loss"] == trace["loss_after"]


def test_weight_choice_writes_its_chain_rule(app):
    box = app.selectbox(key="bp_weight")
    bias = next(p for p in box.options if p.startswith("b "))
    run_ok(box.select(bias))
    assert "biases frozen" in app.latex[0].value
    run_ok(app.selectbox(key="bp_preset").select("Tanh 2-3-1 (linear output, mse)"))
    run_ok(app.selectbox(key="bp_weight").select("w h3←x2"))
    assert r"w_{h_{3} \leftarrow x_{2}}" in app.latex[0].value
    run_ok(app.selectbox(key="bp_preset").select(XOR))  # that weight is gone: no exception
    assert "w_{h_{1}" in app.latex[0].value


def test_editing_the_learning_rate_changes_the_update(app):
    version = _state(app).version
    run_ok(app.number_input(key=f"bp_lr_{version}").set_value(0.25))
    assert r"- 0.25 \times" in app.latex[0].value
    trace = bp.trace({**bp.PRESETS[next(iter(bp.PRESETS))], "lr": 0.25})
    run_ok(app.button(key="bp_apply").click())
    assert _state(app).base["layers"][0]["weights"] == trace["layers"][0]["new_weights"]


def _with_request(request: object) -> AppTest:
    at = page_app("backprop")
    at.session_state["playground_session"] = Session(backprop=BackpropState(request=request))
    return run_ok(at)


def test_a_playground_request_is_loaded_once():
    spec = bp.random_spec([2, 3, 3], "relu", 5, loss="cross_entropy")
    at = _with_request(copy.deepcopy(spec))
    state = _state(at)
    assert state.base == spec and state.request is None
    run_ok(at.selectbox(key="bp_preset").select(XOR))
    assert _state(at).base == bp.PRESETS[XOR]


def test_a_bad_request_is_reported():
    at = _with_request({"layers": []})
    assert "Could not open" in at.error[0].value and "missing key" in at.error[0].value
    assert _state(at).base == bp.PRESETS[next(iter(bp.PRESETS))]


# ---- what the page shows: no nan, and the softmax Jacobian said as it is ---------------------

SATURATED = {  # a softmax 800 logits apart: o2 underflows to 0, yet every derivative is defined
    "layers": [
        {"weights": [[2.0, 0.0], [0.0, 2.0]], "bias": [0.0, 0.0], "activation": "tanh"},
        {"weights": [[800.0, 0.0], [0.0, 0.0]], "bias": [0.0, 0.0], "activation": "softmax"},
    ],
    "input": [3.0, 0.0], "target": [0.0, 1.0], "loss": "cross_entropy", "lr": 0.1,
}  # fmt: skip


def _shown(at: AppTest) -> list[str]:
    """Every text the page shows: markdown, captions, progress, errors and each table cell."""
    texts = [e.value for e in [*at.markdown, *at.caption, *at.error, *at.latex]]
    texts.append(_progress(at))
    for df in at.dataframe:
        texts += [str(c) for c in df.value.columns] + [str(v) for v in df.value.to_numpy().ravel()]
    return texts


def _assert_no_nan_at_every_step(at: AppTest) -> None:
    n = int(re.search(r"of (\d+)", _progress(at)).group(1))
    for step in range(n):
        bad = [t for t in _shown(at) if re.search(r"\b(nan|inf)\b", t, re.IGNORECASE)]
        assert not bad, (step, bad)
        run_ok(at.button(key="bp_next").click())


def test_no_nan_shown_from_the_first_load_to_the_last_step(app):
    _assert_no_nan_at_every_step(app)


def test_a_saturated_softmax_is_traced_on_the_page():
    at = _with_request(copy.deepcopy(SATURATED))
    assert not at.error, [e.value for e in at.error]
    assert _state(at).base == {**SATURATED, "update_bias": True}  # the optional key filled in
    _assert_no_nan_at_every_step(at)


def test_softmax_layer_shows_its_whole_jacobian(app):
    app.text_input(key="bp_sizes").input("2,3")
    app.selectbox(key="bp_loss").select("cross_entropy")
    run_ok(app.button(key="bp_random").click())
    trace = bp.trace(_state(app).base)
    jac = trace["layers"][0]["dout_dnet_jacobian"]  # [m][j] = d out_m / d net_j
    for _ in range(5):  # 3 forward, the loss, the first backward step
        run_ok(app.button(key="bp_next").click())
    tables = [df.value for df in app.dataframe
              if all(str(c).startswith("∂/∂net") for c in df.value.columns)]  # fmt: skip
    assert len(tables) == 1 and tables[0].shape == (3, 3), "the softmax Jacobian, 3 x 3"
    shown = tables[0].map(float).to_numpy()
    np.testing.assert_allclose(shown, np.array(jac), rtol=1e-5, atol=1e-12)
    neurons = next(df.value for df in app.dataframe if "bias" in df.value.columns
                   and "δ = ∂E/∂net" in df.value.columns)  # fmt: skip
    diagonal = [c for c in neurons.columns if c.startswith("∂out/∂net")]
    assert diagonal == ["∂out/∂net (diagonal)"]
    note = " ".join(c.value for c in app.caption)
    assert "diagonal" in note and "off-diagonal" in note and "δ" in note


def test_the_preset_box_names_no_preset_after_randomise() -> None:
    """Randomise replaces the network: the picker must not keep the old preset's name."""
    from tests.page_harness import page_app, run_ok
    from ui.backprop_views import OWN

    at = run_ok(page_app("backprop"))
    first = at.selectbox(key="bp_preset").value
    assert first != OWN
    at = run_ok(at.button(key="bp_random").click())
    assert at.selectbox(key="bp_preset").value == OWN
    spec = at.session_state["playground_session"].backprop.base
    at = run_ok(at.selectbox(key="bp_preset").set_value(first))  # a preset loads again
    assert at.session_state["playground_session"].backprop.base != spec
