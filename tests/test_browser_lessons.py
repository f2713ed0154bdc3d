"""A lesson in headless Chromium: opened from the Lessons page, its banner and highlighted control
shown, Play trains (the live view moves), Pause holds, "try next" changes the network."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser_harness import (
    BROWSER_TEST_TIMEOUT_S,
    FIRST_LOAD_TIMEOUT_MS,
    by_key,
    live_attr,
    open_app,
    wait_idle,
    wait_live_attr_above,
    wait_status,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S)]

_OUTLINE = "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth"


def _click(page, key: str) -> None:
    by_key(page, key).locator("button").first.click()


def test_open_a_lesson_play_pause_and_try_next(browser, streamlit_server: str) -> None:
    viewport = {"width": 1500, "height": 1200}
    page = open_app(browser, f"{streamlit_server}/lessons", viewport=viewport)
    _click(page, "lesson_open_xor")
    page.wait_for_url(re.compile(r"lesson=xor"), timeout=FIRST_LOAD_TIMEOUT_MS)
    banner = by_key(page, "lesson_banner")
    expect(banner).to_contain_text("XOR needs a hidden layer", timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_idle(page)
    assert by_key(page, "n_layers").first.evaluate(_OUTLINE) == "solid 4px"  # highlighted
    assert by_key(page, "lr").first.evaluate(_OUTLINE).startswith("none")

    wait_idle(page)  # a click while the script still runs can be lost
    _click(page, "play")  # Play: the live view trains the lesson's setup
    wait_live_attr_above(page, "data-step", 0)
    _click(page, "pause")
    wait_status(page, r"paused|done")
    held = live_attr(page, "data-step")
    time.sleep(1.0)  # nothing may move while paused
    assert live_attr(page, "data-step") == held

    _click(page, "lesson_try_next")  # one hidden layer of 4: the run restarts from step 0
    expect(by_key(page, "lesson_try_next").locator("button").first).to_be_disabled()
    wait_status(page, r"idle")
    assert page.locator("[data-testid='stException']").count() == 0
    page.context.close()
