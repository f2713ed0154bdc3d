"""The GAN page in headless Chromium: Play trains (the step and the live readout move), Pause
holds them still.

Every wait is for something the page shows (the `status` line, the `gan_readout` line), bounded
by the harness's constants; the one fixed wait checks that nothing moves while paused.
"""

from __future__ import annotations

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
READOUT = ".st-key-gan_readout"


def _click(page, key: str) -> None:
    by_key(page, key).locator("button").first.click()


def test_play_moves_the_live_view_and_pause_holds(browser, streamlit_server) -> None:
    page = open_app(browser, f"{streamlit_server}/gan", viewport={"width": 1500, "height": 1200})
    by_key(page, "status").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    by_key(page, "gan_readout").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    assert status_step(page) == 0
    readout = page.locator(READOUT).inner_html()

    _click(page, "gan_play")  # the step and the readout move with no further input
    first = wait_step(page, at_least=1)
    wait_changed(page, READOUT, readout)
    wait_step(page, at_least=first + 50)
    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)

    _click(page, "gan_pause")
    wait_status(page, r"\bpaused\b")
    wait_idle(page)
    paused_at, held = status_step(page), page.locator(READOUT).inner_html()
    page.wait_for_timeout(2_000)  # paused: no step is taken, nothing is redrawn
    assert status_step(page) == paused_at
    assert page.locator(READOUT).inner_html() == held
    assert page.locator("[data-testid='stException']").count() == 0
    page.context.close()
