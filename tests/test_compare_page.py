"""AppTest for app_pages/compare.py: renders, play / pause / reset, presets, custom axes, errors."""

from __future__ import annotations

import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from playground.config import RunConfig, TrainConfig
from tests.page_harness import page_app, run_ok
from ui.state import Session


@pytest.fixture
def app() -> AppTest:
    return run_ok(page_app("compare"))


def _status(at: AppTest) -> list[tuple[str, str, int]]:
    """(variant, status, step) from the status line."""
    line = next(m.value for m in at.markdown if re.search(r"\bstep \d+", m.value))
    return [(v, s, int(n)) for v, s, n in re.findall(r"\*\*(.+?)\*\* (\w+) step (\d+)", line)]


def test_page_renders_the_first_preset(app):
    assert app.title[0].value == "Compare"
    assert [v for v, _, _ in _status(app)] == ["sgd", "momentum", "adam"]
    assert {s for _, s, n in _status(app)} == {"idle"} and all(n == 0 for *_, n in _status(app))
    assert {"cmp_play", "cmp_pause", "cmp_reset"} <= {b.key for b in app.button}
    assert len(app.dataframe) == 1 and len(app.get("plotly_chart")) == 2 + 3  # curves, boundaries


def test_boundaries_share_one_colour_key(app):
    keys = [m.value for m in app.markdown if "linear-gradient" in m.value]
    assert len(keys) == 1 and "output" in keys[0]


def test_every_control_has_help(app):
    widgets = [*app.button, *app.selectbox, *app.text_input, *app.number_input, *app.toggle]
    assert widgets and all(w.help for w in widgets)


def test_play_pause_reset(app):
    run_ok(app.button(key="cmp_play").click())
    assert {s for _, s, _ in _status(app)} <= {"running", "done"}
    time.sleep(0.5)
    run_ok(app)
    assert all(n > 0 for *_, n in _status(app))
    run_ok(app.button(key="cmp_pause").click())
    assert {s for _, s, _ in _status(app)} <= {"paused", "done"}
    steps = [n for *_, n in _status(app)]
    time.sleep(0.3)
    run_ok(app)
    assert [n for *_, n in _status(app)] == steps
    run_ok(app.button(key="cmp_reset").click())
    assert all(n == 0 for *_, n in _status(app))


def test_switching_preset_rebuilds_the_variants(app):
    run_ok(app.selectbox(key="cmp_preset").set_value("inits"))
    assert [v for v, _, _ in _status(app)] == [
        "zeros", "normal", "xavier_uniform", "kaiming_uniform"
    ]  # fmt: skip
    run_ok(app.selectbox(key="cmp_preset").set_value("learning rates 0.001 to 3"))
    assert len(_status(app)) == 5


def test_custom_axis_and_bad_values(app):
    run_ok(app.selectbox(key="cmp_preset").set_value("Custom: pick an axis"))
    run_ok(app.selectbox(key="cmp_axis").set_value("depth"))
    assert app.text_input(key="cmp_values").value == "1, 2, 4"
    assert [v for v, _, _ in _status(app)] == ["1 hidden", "2 hidden", "4 hidden"]
    run_ok(app.text_input(key="cmp_values").set_value("1"))
    assert "2 to 6" in app.error[0].value


def test_variants_start_from_the_playground_setup():
    at = page_app("compare")
    at.session_state["playground_session"] = Session(
        config=RunConfig(train=TrainConfig(lr=0.1, seed=9))
    )
    run_ok(at)
    assert "seed 9" in at.caption[0].value
    run_ok(at.selectbox(key="cmp_preset").set_value("activations"))
    assert [v for v, _, _ in _status(at)] == ["tanh", "relu", "sigmoid", "linear"]
