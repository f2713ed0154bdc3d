"""The Autoencoder page in headless Chromium: Play moves the step and redraws the latent plane,
Pause holds both."""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S)]

LATENT = ".st-key-ae_latent_view"


def _click(page, key: str) -> None:
    by_key(page, key).locator("button").first.click()


def test_play_redraws_the_latent_plane_and_pause_holds(
    browser: Browser, streamlit_server: str
) -> None:
    page = open_app(browser, f"{streamlit_server}/autoencoder", viewport={"width": 1500,
                    "height": 1200})  # fmt: skip
    by_key(page, "status").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    dots = page.locator(f"{LATENT} .scatterlayer .point")  # Plotly draws one path per dot
    dots.first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    assert status_step(page) == 0
    before = page.locator(LATENT).inner_html()

    _click(page, "ae_play")
    wait_step(page, at_least=1, timeout_ms=FIRST_LOAD_TIMEOUT_MS)  # the step number moves
    wait_step(page, at_least=50, timeout_ms=FIRST_LOAD_TIMEOUT_MS)
    wait_changed(page, LATENT, before, FIRST_LOAD_TIMEOUT_MS)  # the latent points moved

    _click(page, "ae_pause")
    wait_status(page, r"\bpaused\b")
    wait_idle(page)
    held, drawn = status_step(page), page.locator(LATENT).inner_html()
    page.wait_for_timeout(1_500)  # paused: no refresh, nothing moves
    assert status_step(page) == held
    assert page.locator(LATENT).inner_html() == drawn
    assert page.locator("[data-testid='stException']").count() == 0
    page.context.close()
