"""Browser smoke test: `streamlit run serve.py` (the README's app command) serves a page that
shows the product's name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser_harness import BROWSER_TEST_TIMEOUT_S, open_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PRODUCT_NAME = "Neural Network Playground"
# True once the tab's title or a heading names the product (Plotly and fonts load lazily).
_NAMED = """name => document.title.includes(name)
    || [...document.querySelectorAll('h1')].some(h => h.innerText.includes(name))"""

pytestmark = [pytest.mark.browser, pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S)]


def test_app_shows_product_name(browser: Browser, streamlit_server: str) -> None:
    """The first page load finishes, names the product (title or heading) and shows no error."""
    page = open_app(browser, streamlit_server)  # waits for the connection and the first run
    page.wait_for_function(_NAMED, arg=PRODUCT_NAME)  # bounded by the harness's STATE_TIMEOUT_MS
    assert page.locator("[data-testid='stException']").count() == 0
    page.context.close()
