"""The Playground page's layout in headless Chromium at four window sizes: no button, label or
status text cut off (`scrollWidth > clientWidth`), the live view inside the viewport, and no
horizontal scroll (issue 13)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser_harness import (
    BROWSER_TEST_TIMEOUT_S,
    FIRST_LOAD_TIMEOUT_MS,
    LIVE,
    REPO_ROOT,
    by_key,
    open_app,
    start_streamlit,
    stop_process,
    wait_idle,
    wait_step,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S)]
SIZES = [(1280, 800), (1366, 768), (1440, 900), (1920, 1080)]

# Every visible button, label and the status container (and what they hold) whose content is
# wider than its box: a label cut to "Pa…" or text running out of its box.
OVERFLOWS_JS = """() => {
    const sel = "button, button *, label, label *, [data-testid='stWidgetLabel'] *, "
        + ".st-key-status, .st-key-status *";
    const bad = [];
    for (const el of document.querySelectorAll(sel)) {
        if (!el.getClientRects().length || el.clientWidth <= 1 || el.tagName === "INPUT") {
            continue; // not shown, or a visually hidden radio or checkbox input
        }
        const style = getComputedStyle(el);
        if (style.visibility === "hidden" || style.display === "inline") continue;
        if (el.scrollWidth > el.clientWidth + 1) {
            const what = el.closest("[class*='st-key-']")?.className.match(/st-key-\\S+/)?.[0];
            bad.push(`${what || el.tagName}: "${el.innerText.slice(0, 40)}" `
                + `${el.scrollWidth} > ${el.clientWidth}`);
        }
    }
    return bad;
}"""
# Horizontal scroll of the document or of Streamlit's scrolling containers.
HSCROLL_JS = """() => [document.scrollingElement,
    ...document.querySelectorAll("[data-testid='stMain'], [data-testid='stAppViewContainer']")]
    .filter((el) => el && el.scrollWidth > el.clientWidth + 1)
    .map((el) => `${el.dataset.testid || el.tagName}: ${el.scrollWidth} > ${el.clientWidth}`)"""
LIVE_BOX_JS = """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
    return [r.left, r.right, r.width, window.innerWidth]; }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = start_streamlit(REPO_ROOT / "app.py", tmp_path_factory.mktemp("lay") / "log")
    yield url
    stop_process(proc)


def layout_problems(page: Page) -> list[str]:
    """What is cut off, outside the viewport or scrolling sideways on the page as it is."""
    left, right, width, view = page.evaluate(LIVE_BOX_JS, LIVE)
    problems = page.evaluate(OVERFLOWS_JS) + page.evaluate(HSCROLL_JS)
    if left < 0 or right > view + 0.5 or width < 300:
        problems.append(f"live view at x {left:.0f}..{right:.0f} of a {view}-px viewport")
    return problems


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_nothing_is_cut_off_at_common_window_sizes(
    browser: Browser, server: str, width: int, height: int
) -> None:
    page = open_app(browser, server, viewport={"width": width, "height": height})
    page.locator(LIVE).wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    page.wait_for_function(
        "(sel) => Number(document.querySelector(sel)?.getAttribute('data-frame') || 0) > 0",
        arg=LIVE, timeout=FIRST_LOAD_TIMEOUT_MS,
    )  # fmt: skip
    assert layout_problems(page) == []  # idle, as the page first shows
    by_key(page, "step").locator("button").first.click()  # a trained step: numbers everywhere
    wait_step(page, at_least=1)
    wait_idle(page)
    assert layout_problems(page) == []
    page.context.close()
