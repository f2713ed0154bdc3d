"""The SOM page in headless Chromium: Play trains (the status and the map change), Pause holds.

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
    wait_status,
    wait_step,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S)]
MAP = ".st-key-som_map"  # the map's chart (its prototypes move while it trains)


def _click(page, key: str) -> None:
    by_key(page, key).locator("button").first.click()


def test_play_changes_the_map_and_pause_holds(browser, streamlit_server):
    page = open_app(browser, f"{streamlit_server}/som", viewport={"width": 1500, "height": 1200})
    by_key(page, "status").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    page.locator(f"{MAP} .js-plotly-plot").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    assert status_step(page) == 0
    before = page.locator(MAP).first.inner_html()

    _click(page, "som_play")
    wait_status(page, r"running")
    wait_step(page, at_least=1000)  # the live fragment redraws the status as the map trains
    wait_changed(page, MAP, before)  # and the map itself

    _click(page, "som_pause")
    wait_status(page, r"paused")
    held = status_step(page)
    shown = page.locator(MAP).first.inner_html()
    time.sleep(2.0)  # the one fixed wait: nothing may move while paused
    assert status_step(page) == held
    assert page.locator(MAP).first.inner_html() == shown
    assert page.locator("[data-testid='stException']").count() == 0
    page.context.close()
