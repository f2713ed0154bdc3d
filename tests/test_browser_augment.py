"""The Images page's augmentation in headless Chromium: a shift set with the keyboard, Play
trains (the status and the strip of augmented digits change), Pause holds.

Every wait is for something the page shows, bounded by the harness's constants; the one fixed
wait checks that nothing moves while paused.
"""

from __future__ import annotations

import time

import pytest

from tests.browser_harness import (
    BROWSER_TEST_TIMEOUT_S,
    FIRST_LOAD_TIMEOUT_MS,
    by_key,
    open_app,
    status_step,
    wait_changed,
    wait_idle,
    wait_status,
    wait_step,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S)]
STRIP = ".st-key-img_aug_strip"  # the augmented versions of one digit, drawn afresh each step


def _click(page, key: str) -> None:
    by_key(page, key).locator("button").first.click()


def test_play_changes_the_augmented_strip_and_pause_holds(browser, streamlit_server):
    page = open_app(browser, f"{streamlit_server}/images", viewport={"width": 1500, "height": 1200})
    by_key(page, "status").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    assert status_step(page) == 0
    page.get_by_text("Data augmentation: shift, rotate, scale, add noise").click()
    thumb = by_key(page, "img_aug_shift").get_by_role("slider")
    thumb.focus()
    for _ in range(4):  # 0.25 pixels a press: a shift of 1 pixel
        thumb.press("ArrowRight")
    page.locator(STRIP).get_by_text("as training might see it").wait_for()
    epochs = page.locator(".st-key-img_epochs input")  # no stop: Pause, not the end, holds it
    epochs.fill("0")
    epochs.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.st-key-img_epochs input')?.value === '0'"
    )
    wait_idle(page)
    before = page.locator(STRIP).first.inner_html()

    _click(page, "img_play")
    wait_status(page, r"running")
    wait_step(page, at_least=30)
    wait_changed(page, STRIP, before)  # new draws as the steps go by

    _click(page, "img_pause")
    wait_status(page, r"paused")
    held = status_step(page)
    shown = page.locator(STRIP).first.inner_html()
    time.sleep(2.0)  # the one fixed wait: nothing may move while paused
    assert status_step(page) == held
    assert page.locator(STRIP).first.inner_html() == shown
    assert page.locator("[data-testid='stException']").count() == 0
    page.context.close()
