"""Defects users hit on the Images, Compare and Server pages (issue 19: A5, B4, B5, requests),
each driven the way the user met it: the page under AppTest, through its widget keys."""

from __future__ import annotations

import base64
import io
import json
import re
import time

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from playground.figures import theme
from playground.train.commands import TrainerCommands
from playground.train.learner import RequestError
from tests.page_harness import page_app, run_ok

SALIENCY_TITLE = "Saliency of "


def _canvas_state(rgba: np.ndarray) -> dict:
    """The canvas widget's value after a stroke: its picture as a PNG data URL."""
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": None, "data": url}, "backgroundFit": None}


def _draw_a_one(at: AppTest) -> None:
    """A black vertical bar on the transparent canvas, as if drawn with the mouse."""
    rgba = np.zeros((192, 192, 4), dtype=np.uint8)
    rgba[30:160, 85:110, 3] = 255
    at.session_state["img_canvas"] = _canvas_state(rgba)


def _images_page() -> AppTest:
    at = run_ok(page_app("images"))
    assert [t.value for t in at.title] == ["Images & saliency"]
    return at


def _saliency_titles(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if SALIENCY_TITLE in m.value]


@pytest.mark.parametrize("source", ["drawing", "test set"])
def test_saliency_of_a_drawing_or_a_test_digit_is_shown(source: str) -> None:
    at = _images_page()
    if source == "drawing":
        _draw_a_one(at)
    at = run_ok(at.radio(key="img_source").set_value(source))
    at = run_ok(at.button(key="img_saliency").click())
    label = "your drawing" if source == "drawing" else "test example #0"
    assert [t for t in _saliency_titles(at) if label in t], _saliency_titles(at)
    assert not at.error and not at.warning
    at = run_ok(at)  # the kept result is drawn again on the next rerun
    assert [t for t in _saliency_titles(at) if label in t]


def _saliency_figures(at: AppTest) -> list[dict]:
    """The kept result's figures: the saliency maps and the class-probability bar chart."""
    charts = at.get("plotly_chart")
    keys = ("img_sal_maps", "img_sal_probs")
    return [json.loads(c.proto.spec) for c in charts if c.proto.id.endswith(keys)]


def _opacities(figure: dict) -> set[float]:
    return {t.get("opacity", 1.0) for t in figure["data"]}


def _status_step(at: AppTest) -> int:
    status = next(m.value for m in at.markdown if re.search(r"· step \d+ ·", m.value))
    return int(re.search(r"step (\d+)", status).group(1))


def _stamp(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption if "computed" in c.value.lower())


def test_saliency_says_its_step_and_greys_out_once_the_model_trains_past_it() -> None:
    at = _images_page()
    at = run_ok(at.button(key="img_saliency").click())
    assert "computed at step 0" in _stamp(at).lower() and "now at" not in _stamp(at)
    fresh = _saliency_figures(at)
    assert len(fresh) == 2 and all(_opacities(f) == {1.0} for f in fresh)

    at = run_ok(at.button(key="img_step").click())  # the model moves on by one update
    assert _status_step(at) == 1
    assert "computed at step 0; the model is now at step 1" in _stamp(at).lower()
    assert "compute saliency again" in _stamp(at).lower()
    stale = _saliency_figures(at)
    assert len(stale) == len(fresh) and all(max(_opacities(f)) < 0.5 for f in stale)

    at = run_ok(at.button(key="img_saliency").click())  # computed again: fresh again
    assert "computed at step 1" in _stamp(at).lower() and "now at" not in _stamp(at)
    assert all(_opacities(f) == {1.0} for f in _saliency_figures(at))

    at = run_ok(at.button(key="img_reset").click())  # a new run at step 0 is not the old step 0
    assert _status_step(at) == 0
    assert "press compute saliency again" in _stamp(at).lower()
    assert all(max(_opacities(f)) < 0.5 for f in _saliency_figures(at))


def _failing_ask(self: object, name: str, **kwargs: object) -> None:
    raise RequestError(f"{name}: the learner could not answer (test)")


def test_a_failed_request_shows_its_message_in_place_and_the_run_keeps_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _images_page()
    _draw_a_one(at)
    at = run_ok(at.radio(key="img_source").set_value("drawing"))
    at = run_ok(at.button(key="img_play").click())
    monkeypatch.setattr(TrainerCommands, "ask", _failing_ask)
    at = run_ok(at.button(key="img_saliency").click())

    saliency_col = next(c for c in at.columns if any(b.key == "img_saliency" for b in c.button))
    assert [e.value for e in saliency_col.error] == [
        "Saliency failed: saliency: the learner could not answer (test)"
    ]
    draw_col = next(c for c in at.columns if c.subheader and "Draw" in c.subheader[0].value)
    assert [w.value for w in draw_col.warning] == [
        "No prediction: predict_proba: the learner could not answer (test)"
    ]
    assert not _saliency_titles(at)

    before, deadline = _status_step(at), time.monotonic() + 20  # generous on a loaded machine
    while _status_step(at) == before and time.monotonic() < deadline:
        time.sleep(0.2)
        at = run_ok(at)
    assert "running" in next(m.value for m in at.markdown if "· step " in m.value)
    assert _status_step(at) > before


# ---- Compare: the curves' title and legend, and the colour key under the boundaries ----------


def _compare_chart(at: AppTest, key: str) -> dict:
    return next(
        json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith(key)
    )


def test_compare_curves_title_and_legend_cannot_overlap() -> None:
    at = run_ok(page_app("compare"))
    for key in ("cmp_loss", "cmp_accuracy"):
        layout = _compare_chart(at, key)["layout"]
        # One element above the plot: the legend, its title on a line of its own (a figure
        # title beside a horizontal legend collided as soon as the legend wrapped).
        assert not layout.get("title", {}).get("text")
        legend = layout["legend"]
        assert legend["title"]["text"].endswith(": train solid, test dashed")
        assert legend["title"]["side"] == "top"  # its own line, above the entries
        assert legend["orientation"] == "h" and legend["y"] >= 1 and legend["yanchor"] == "bottom"
        assert layout["margin"].get("autoexpand", True)  # the top margin grows as it wraps


COLOUR_WORDS = {theme.NEGATIVE: "orange", theme.POSITIVE: "blue"}  # the theme's two colours


def _colour_key(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "&#9632;" in m.value or "gradient" in m.value)


def _array(value: dict | list) -> np.ndarray:
    """A Plotly JSON array: a list, or {"dtype", "bdata"} (base64 of the raw values)."""
    if isinstance(value, list):
        return np.asarray(value)
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])


def test_compare_colour_key_names_the_colours_the_boundaries_use() -> None:
    at = run_ok(page_app("compare"))
    key = _colour_key(at)
    assert not re.search(r"neuron|link|weight", key)  # Compare draws none of these
    named = re.findall(r"color:(#[0-9a-f]{6})'>&#9632;</span>&nbsp;(\w+)[^·]*?class (\d)", key)
    assert sorted(int(c) for _, _, c in named) == [0, 1], key
    for hex_colour, word, cls in named:
        assert hex_colour == theme.class_color(int(cls)) and word == COLOUR_WORDS[hex_colour]
    points = next(t for t in _compare_chart(at, "cmp_boundary_0")["data"] if t["type"] == "scatter")
    for cls in (0, 1):  # the dots of each class wear the colour the key gives that class
        colours = {
            c for c, y in zip(points["marker"]["color"], _array(points["customdata"])) if y == cls
        }
        assert colours == {theme.class_color(cls)}
