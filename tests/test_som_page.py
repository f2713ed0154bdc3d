"""The SOM page under AppTest: it trains, its controls reach the config, bad values are named."""

from __future__ import annotations

import re

from playground.settings.som import Topology
from tests.page_harness import page_app, run_ok, shown


def som_app():
    return run_ok(page_app("som"))


def config(at):
    return at.session_state["playground_session"].pages["som"].config


def step_of(at) -> int:
    texts = [m.value for m in at.markdown if re.search(r"\bstep \d+", m.value)]
    assert texts, "no status line"
    return int(re.search(r"step (\d+)", texts[0]).group(1))


def test_page_shows_the_map_and_steps() -> None:
    at = som_app()
    assert config(at).kind.value == "som" and step_of(at) == 0
    assert len(at.get("plotly_chart")) == 4  # map, U-matrix, two error curves
    at = run_ok(at.button(key="som_step").click())
    assert step_of(at) == 1
    assert any("Quantisation error" in m.value for m in at.markdown)


def test_controls_reach_the_config() -> None:
    at = som_app()
    at = run_ok(at.number_input(key="som_width").set_value(6))
    at = run_ok(at.radio(key="som_topology").set_value("square"))
    cfg = config(at)
    assert cfg.som.width == 6 and cfg.som.topology == Topology.SQUARE
    at = run_ok(at.radio(key="som_data").set_value("digits"))
    assert config(at).data.name.value == "digits" and len(at.get("plotly_chart")) == 4


def test_speed_reaches_the_config() -> None:
    at = som_app()
    at = run_ok(at.select_slider(key="som_speed").set_value("100/s"))
    assert config(at).train.steps_per_s == 100.0


def test_preset_loads_digits() -> None:
    at = som_app()
    at = run_ok(at.selectbox(key="som_preset").select("som-digits"))
    cfg = config(at)
    assert cfg.data.name.value == "digits" and cfg.som.width == 12
    assert cfg.train.max_steps == 0  # the page trains until paused


def test_bad_value_is_refused_naming_the_field() -> None:
    at = som_app()
    at = run_ok(at.number_input(key="som_radius").set_value(1.0))
    at = run_ok(at.number_input(key="som_radius_end").set_value(5.0))
    errors = [shown(e.value) for e in at.error]
    assert any(e.startswith("som.radius_end: must not exceed som.radius") for e in errors), errors
    assert config(at).som.radius_end == 0.5  # the last valid setup keeps running
