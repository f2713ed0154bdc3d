"""Browser test of the Sequences page: the real app in headless Chromium. A preset with a
transformer loads, Play trains, the hidden-state and attention views redraw with new numbers,
and Pause holds the step and the views still."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser_harness import (
    BROWSER_TEST_TIMEOUT_S,
    FIRST_LOAD_TIMEOUT_MS,
    by_key,
    open_app,
    status_step,
    wait_idle,
    wait_status,
    wait_step,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S)]

# The z arrays a chart holds now, as text (NumPy arrays arrive as base64 "bdata" blocks of their
# exact bytes); null before the chart has drawn.
_PLOTTED_JS = """sel => {
    const gd = document.querySelector(sel + ' .js-plotly-plot');
    if (!gd || !gd.data || !gd.data.length) return null;
    return JSON.stringify(gd.data.map(t => (t.z && t.z.bdata !== undefined) ? t.z.bdata : t.z));
}"""
_CHANGED_JS = f"""([sel, old]) => {{ const now = ({_PLOTTED_JS})(sel);
    return now !== null && now !== old; }}"""
HIDDEN, ATTENTION = ".st-key-seq_hidden_view", ".st-key-seq_attention_view"


def _plotted(page: Page, selector: str) -> str | None:
    return page.evaluate(_PLOTTED_JS, selector)


def _wait_drawn(page: Page, selector: str) -> str:
    page.wait_for_function(f"sel => ({_PLOTTED_JS})(sel) !== null", arg=selector,
                           timeout=FIRST_LOAD_TIMEOUT_MS)  # fmt: skip
    return _plotted(page, selector)


def _wait_changed(page: Page, selector: str, old: str) -> str:
    page.wait_for_function(_CHANGED_JS, arg=[selector, old], timeout=FIRST_LOAD_TIMEOUT_MS)
    return _plotted(page, selector)


def _click(page: Page, key: str) -> None:
    by_key(page, key).locator("button").first.click()


def _choose(page: Page, key: str, option: str) -> None:
    """Pick an option of a select box."""
    by_key(page, key).locator("input").first.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_play_updates_hidden_state_and_attention_and_pause_holds(
    browser: Browser, streamlit_server: str
) -> None:
    page = open_app(browser, f"{streamlit_server}/sequences",
                    viewport={"width": 1500, "height": 3000})  # fmt: skip
    by_key(page, "status").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    _choose(page, "seq_preset", "seq-reverse-attn")
    attention0 = _wait_drawn(page, ATTENTION)
    hidden0 = _wait_drawn(page, HIDDEN)
    wait_idle(page)  # the preset's run is drawn: a click now is not lost in a rerun
    assert status_step(page) == 0

    # Play: the step advances and both views redraw with the model's new numbers
    _click(page, "seq_play")
    wait_step(page, at_least=1)
    _wait_changed(page, HIDDEN, hidden0)
    _wait_changed(page, ATTENTION, attention0)

    # Pause: the step and the views hold still
    _click(page, "seq_pause")
    wait_status(page, r"\bpaused\b")
    wait_idle(page)
    paused_at = status_step(page)
    hidden, attention = _plotted(page, HIDDEN), _plotted(page, ATTENTION)
    page.wait_for_timeout(2_000)  # paused: no refresh, nothing trains
    assert status_step(page) == paused_at
    assert (_plotted(page, HIDDEN), _plotted(page, ATTENTION)) == (hidden, attention)
    assert page.locator("[data-testid='stException']").count() == 0
    page.context.close()
