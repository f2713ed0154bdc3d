"""AppTest for the lessons: the Lessons page, opening a lesson (list or `?lesson=NAME` link) loads
its setup on its page, "try next" applies exactly its change, focus hides the other controls."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from playground.config import RunConfig
from playground.lessons.catalog import LESSONS
from tests.engine_fixtures import wait_for
from tests.page_harness import APP, run_ok, status_line, status_step
from tests.test_lessons import assert_changed_exactly
from ui import lessons_view as lv

TITLES = {"playground": "Neural Network Playground", "compare": "Compare",
          "images": "Images & saliency", "sequences": "Sequences", "autoencoder": "Autoencoder",
          "gan": "GAN"}  # fmt: skip


def page_config(at: AppTest, page: str) -> RunConfig:
    """The config the lesson's page runs in this AppTest's session."""
    sess = at.session_state["playground_session"]
    if page in ("playground", "compare"):
        return sess.config
    return sess.images.config if page == "images" else sess.pages[page].config


def opened(name: str) -> AppTest:
    """The app opened at the lesson's link (`?lesson=NAME` on its page)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params[lv.LESSON_PARAM] = name
    page = LESSONS[name].page
    if page != "playground":
        at.switch_page(lv.PAGES[page][0])
    return run_ok(at)


def banner_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_lessons_page_lists_every_lesson_with_its_link():
    at = AppTest.from_file(APP, default_timeout=90)
    at = run_ok(at.switch_page("app_pages/lessons.py"))
    assert at.title[0].value == "Lessons"
    keys = {b.key for b in at.button}
    text = banner_text(at) + "\n".join(c.value for c in at.caption)
    for lesson in LESSONS.values():
        assert f"lesson_open_{lesson.name}" in keys
        assert lesson.title in text and lv.link(lesson) in text


@pytest.mark.parametrize("name", ["xor", "optimizers", "cnn-saliency", "gan-collapse"])
def test_open_from_the_list_loads_the_setup_on_its_page(name):
    lesson = LESSONS[name]
    at = run_ok(AppTest.from_file(APP, default_timeout=90).switch_page("app_pages/lessons.py"))
    at = run_ok(at.button(key=f"lesson_open_{name}").click())
    assert at.title[0].value == TITLES[lesson.page]
    assert at.query_params[lv.LESSON_PARAM] == name
    assert page_config(at, lesson.page) == lesson.config
    for key, value in lesson.settings.items():
        assert at.session_state[key] == value
    assert lesson.title in banner_text(at)


@pytest.mark.parametrize("name", list(LESSONS))
def test_link_loads_the_setup_and_try_next_applies_its_change(name):
    lesson = LESSONS[name]
    at = opened(name)
    assert at.title[0].value == TITLES[lesson.page]
    before = page_config(at, lesson.page)
    assert before == lesson.config
    assert lesson.title in banner_text(at) and lesson.claim in banner_text(at)
    button = at.button(key="lesson_try_next")
    assert lesson.try_next.label in button.label and not button.disabled
    at = run_ok(button.click())
    after = page_config(at, lesson.page)
    assert after == lesson.next_config
    assert_changed_exactly(before, after, lesson.try_next)
    assert at.button(key="lesson_try_next").disabled  # applied: nothing left to change


def test_focus_hides_every_other_control_and_shows_them_again():
    at = opened("diverge")  # its one control: the learning rate
    assert "noise" in {s.key for s in at.slider}
    at = run_ok(at.button(key="lesson_focus").click())
    assert "lr_hide" not in at.query_params and at.query_params["noise_hide"] == "true"
    assert "noise" not in {s.key for s in at.slider} and "lr" in {s.key for s in at.selectbox}
    assert at.query_params[lv.LESSON_PARAM] == "diverge"  # the link keeps the lesson
    at = run_ok(at.button(key="lesson_focus").click())
    assert "noise_hide" not in at.query_params and "noise" in {s.key for s in at.slider}


def test_measure_shows_the_checked_numbers():
    lv._MEASURED.pop("zero-init", None)
    at = opened("zero-init")
    assert "Measured" not in banner_text(at)
    at = run_ok(at.button(key="lesson_measure").click())
    expected = LESSONS["zero-init"].check(LESSONS["zero-init"])
    assert expected.passed and f"holds]: {expected.summary}" in banner_text(at)
    assert at.button(key="lesson_measure").disabled


def test_a_link_to_another_pages_lesson_changes_nothing_here():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params[lv.LESSON_PARAM] = "optimizers"  # a Compare lesson, opened on the Playground
    at = run_ok(at)
    assert "lesson_try_next" not in {b.key for b in at.button}
    assert page_config(at, "playground") != LESSONS["optimizers"].config


def test_highlight_css_outlines_exact_keys_and_prefixes():
    css = lv.highlight_css(("lr", "units_"))
    assert ".st-key-lr," in css and "[class*='st-key-units_']" in css


def test_an_unknown_lesson_is_named_in_a_warning():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params[lv.LESSON_PARAM] = "no-such-lesson"
    at = run_ok(at)
    assert any("no lesson named" in w.value for w in at.warning)


def test_try_next_starts_the_run_again_from_step_0():
    """dying-relu: lr 3 -> 0.3 is a live change; the lesson restarts the run instead, so the
    class sees lr 0.3 from the same start (not from the units lr 3 already killed)."""
    at = opened("dying-relu")
    at = run_ok(at.button(key="play").click())
    wait_for(lambda: status_step(run_ok(at)), lambda step: step > 0, timeout_s=30)
    at = run_ok(at.button(key="lesson_try_next").click())
    assert status_step(at) == 0 and "lr 0.3" in status_line(at)
