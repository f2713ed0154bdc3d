"""The Autoencoder page under AppTest: it draws, steps, switches variant and data, decodes the
picked code, and refuses a bad setup naming the field."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import torch
from streamlit.testing.v1 import AppTest

from playground.settings.ae import AeVariant
from playground.train.autoencoder import learner
from tests.page_harness import APP, page_app, run_ok, status_step


def _page() -> AppTest:
    at = run_ok(page_app("autoencoder"))
    assert [t.value for t in at.title] == ["Autoencoder"]
    return at


def _charts(at: AppTest) -> dict[str, dict]:
    """Plotly figures on the page by their title text or first trace name."""
    out = {}
    for chart in at.get("plotly_chart"):
        fig = json.loads(chart.proto.spec)
        title = fig["layout"].get("title", {}).get("text") or fig["data"][0].get("name", "")
        out[title] = fig
    return out


def _array(value: object) -> np.ndarray:
    """A figure's array as Plotly writes it: a list, or {"dtype", "bdata", "shape"}."""
    if not isinstance(value, dict):
        return np.asarray(value, dtype=np.float32)
    flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])


def _metrics(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Test reconstruction MSE"))


def test_the_page_draws_steps_and_resets() -> None:
    at = _page()
    assert status_step(at) == 0 and not at.error
    assert "PCA with 2 components" in _metrics(at)
    at.button(key="ae_step").click()
    at = run_ok(at)
    assert status_step(at) == 1 and "paused" in at.markdown[0].value
    charts = _charts(at)
    assert {"Reconstruction error", "digit 0"} <= set(charts)  # curves, the latent plane's legend
    latent = charts["digit 0"]
    assert [t["name"] for t in latent["data"][:10]] == [f"digit {k}" for k in range(10)]
    assert any("morphs" in c.value for c in at.caption)  # each view says what to notice
    at.button(key="ae_reset").click()
    assert status_step(run_ok(at)) == 0


def test_the_picked_code_is_what_the_decoder_draws() -> None:
    at = _page()
    at.number_input(key="ae_z1").set_value(1.5)
    at.number_input(key="ae_z2").set_value(-0.5)
    at = run_ok(at)
    pick = _charts(at)["decoder(z = (1.50, -0.50))"]
    shown = _array(pick["data"][0]["z"])  # (8, 8)
    assert status_step(at) == 0  # untrained: its weights follow from the config and seed
    cfg = at.session_state["playground_session"].pages["autoencoder"].config
    decoder = learner(cfg)().model.decoder  # a fresh build of the same run
    with torch.no_grad():
        by_hand = decoder(torch.tensor([[1.5, -0.5]])).reshape(8, 8).numpy()
    assert np.allclose(shown, by_hand, atol=1e-6)


def test_the_vae_shows_its_kl_and_a_2d_set_its_plane() -> None:
    at = _page()
    at.radio(key="ae_variant").set_value(AeVariant.VAE.value)
    at = run_ok(at)
    assert re.search(r"KL \(test\) \*\*\d", _metrics(at))
    assert "KL term" in _charts(at)
    assert at.selectbox(key="ae_beta").value == 0.05
    at.selectbox(key="ae_data").set_value("moons")
    at = run_ok(at)
    assert at.number_input(key="ae_latent").value == 1  # a 2-D set gets a 1-unit bottleneck
    assert "PCA with 1 component" in _metrics(at)
    plane = next(f for f in _charts(at).values() if f["layout"]["xaxis"]["title"]["text"] == "x1")
    assert "decoder's grid" in [t["name"] for t in plane["data"]]


def test_a_bad_setup_is_refused_naming_the_field() -> None:
    at = _page()
    at.text_input(key="ae_layers").set_value("0:elu")
    at = run_ok(at)
    errors = [e.value for e in at.error]
    assert any(e.startswith("model.layers[0].units: must be between 1 and") for e in errors)
    assert status_step(at) == 0  # the last valid run is still there
    at.text_input(key="ae_layers").set_value("maxpool2d:2:2,16:elu")
    at.radio(key="ae_variant").set_value("denoising")
    at = run_ok(at)
    assert not at.error and at.slider(key="ae_noise").value == 0.3
    assert any("with the training noise" in c.value for c in at.caption)


def test_the_app_opens_the_page_from_its_navigation() -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/autoencoder.py").run()
    assert not at.exception and [t.value for t in at.title] == ["Autoencoder"]
