"""The Playground page builds an rbf first layer: from the layer builder and from a link."""

from __future__ import annotations

from playground.config import Init, LayerKind
from tests.page_harness import playground_app, run_ok, session_config, status_step
from ui.widgets import EXTRA_VIEW_NAMES


def test_layer_builder_offers_rbf_first_and_builds_it() -> None:
    at = playground_app()
    assert "rbf" in at.selectbox(key="kind_0").options
    at = run_ok(at.selectbox(key="kind_0").select("rbf"))
    layer = session_config(at).model.layers[0]
    assert layer.kind == LayerKind.RBF and layer.init == Init.KMEANS  # the box's first choice
    assert "rbf" not in at.selectbox(key="kind_1").options  # later layers: not rbf
    at = run_ok(at.selectbox(key="init_0").select("uniform"))
    at = run_ok(at.number_input(key="units_0").set_value(6))
    layer = session_config(at).model.layers[0]
    assert (layer.units, layer.init) == (6, Init.UNIFORM)
    assert not any("cannot run" in e.value for e in at.error)
    at = run_ok(at.button(key="step").click())
    assert status_step(at) > 0 and not at.error


def test_a_link_with_an_rbf_layer_opens_it() -> None:
    at = playground_app(layers="rbf:5:kmeans,3:tanh:xavier_uniform")
    assert not at.exception and not at.error
    layers = session_config(at).model.layers
    assert (layers[0].kind, layers[0].units, layers[1].units) == (LayerKind.RBF, 5, 3)
    assert at.selectbox(key="kind_0").value == "rbf"


def test_every_extra_view_renders_an_rbf_network() -> None:
    at = playground_app(layers="rbf:4:kmeans")
    at = run_ok(at.button(key="step").click())
    for view in EXTRA_VIEW_NAMES:
        at = run_ok(at.selectbox(key="extra_view").select(view))
        assert not [e.value for e in at.error if "failed" in e.value], view
