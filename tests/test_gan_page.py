"""The GAN page under AppTest: play bar, live readout, setups, the collapse button, bad values."""

from __future__ import annotations

import re

from playground.data.points import parse_points
from playground.presets import get_preset
from tests.page_harness import page_app, run_ok, shown, status_step
from ui.gan_widgets import with_clicked


def _page():
    at = run_ok(page_app("gan"))
    assert [t.value for t in at.title] == ["GAN"]
    return at


def _config(at):
    return at.session_state["playground_session"].pages["gan"].config


def _readout(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("D loss"))


def test_renders_steps_and_resets() -> None:
    at = _page()
    assert status_step(at) == 0 and not at.error
    assert re.search(r"modes covered \*\*\d of 8\*\*", _readout(at))
    assert any("covered" in c.value and "3 sigma" in c.value for c in at.caption)
    at = run_ok(at.button(key="gan_step").click())
    assert status_step(at) == 1
    at = run_ok(at.button(key="gan_step").click())
    assert status_step(at) == 2
    at = run_ok(at.button(key="gan_reset").click())
    assert status_step(at) == 0
    at = run_ok(at.toggle(key="gan_heat").set_value(False))
    at = run_ok(at.toggle(key="gan_arrows").set_value(False))
    at = run_ok(at.radio(key="gan_data").set_value("moons"))
    assert any("no modes to count" in c.value for c in at.caption)
    assert "modes covered" not in _readout(at) and _config(at).data.name.value == "moons"


def test_collapse_button_loads_the_fast_generator_setup() -> None:
    at = run_ok(_page().button(key="gan_collapse").click())
    want = get_preset("gan-ring-collapse")
    cfg = _config(at)
    assert (cfg.train.lr, cfg.gan.d_lr) == (want.train.lr, want.gan.d_lr) == (0.01, 0.0001)
    assert at.selectbox(key="gan_setup").value.startswith("ring, generator too fast")
    assert status_step(at) == 0 and not at.error


def test_drawn_points_train_and_bad_ones_are_refused_naming_the_field() -> None:
    at = run_ok(_page().radio(key="gan_data").set_value("points"))
    cfg = _config(at)
    assert cfg.data.name.value == "points" and len(cfg.gan.points) == 6
    assert "of 6**" in _readout(at)
    at = run_ok(at.text_area(key="gan_points").input("1, 2\n3, x"))
    errors = [shown(e.value) for e in at.error]
    assert errors and errors[0].startswith("gan.points[1]: line 2 '3, x' is not two numbers")
    assert _config(at) == cfg  # the last valid setup keeps running
    at = run_ok(at.text_area(key="gan_points").input("1, 2\n-3, 4"))
    assert _config(at).gan.points == ((1.0, 2.0), (-3.0, 4.0)) and not at.error


def test_a_generator_learning_rate_changes_live_and_d_lr_rebuilds() -> None:
    at = run_ok(_page().button(key="gan_step").click())
    at = run_ok(at.selectbox(key="gan_g_lr").set_value(0.003))
    assert status_step(at) == 1 and "lr 0.003" in at.markdown[0].value  # same run, new lr
    at = run_ok(at.selectbox(key="gan_d_lr").set_value(0.003))
    assert status_step(at) == 0 and _config(at).gan.d_lr == 0.003


def test_clicked_plane_points_are_appended_to_the_text() -> None:
    clicked = [{"x": 0.5, "y": -2.0, "curve_number": 0}, {"x": 3, "y": 1.25, "curve_number": 0}]
    text = with_clicked("1, 2\n\n", clicked)
    assert text == "1, 2\n0.5, -2\n3, 1.25"
    assert parse_points(text) == ((1.0, 2.0), (0.5, -2.0), (3.0, 1.25))
