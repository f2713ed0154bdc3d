"""The Playground page in headless Chromium: live training, controls, and no leaked trainer."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser_harness import REPO_ROOT, start_streamlit, stop_process

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of our own, so the trainer-thread count is this test's alone."""
    proc, url = start_streamlit(REPO_ROOT / "app.py", tmp_path_factory.mktemp("pg") / "log")
    yield url
    stop_process(proc)


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1500, "height": 1200})
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']",
                           timeout=TIMEOUT_MS)  # fmt: skip
    page.wait_for_selector(".st-key-status", timeout=TIMEOUT_MS)
    return page


def _step(page) -> int:
    text = page.locator(".st-key-status").inner_text()
    return int(re.search(r"step (\d+)", text).group(1))


def _wait(predicate, timeout_s: float = 20.0, every_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every_s)
    return False


def _click(page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()


def _live_trainers(browser, url: str) -> int:
    page = browser.new_page()
    try:
        page.goto(f"{url}/server")
        page.wait_for_selector(".st-key-server_status", timeout=TIMEOUT_MS)
        text = page.locator(".st-key-server_status").inner_text()
        return int(re.search(r"Trainer threads alive: (\d+)", text).group(1))
    finally:
        page.close()


def test_play_pause_reset_lr_and_close(browser, server):
    page = _open(browser, server)
    assert _step(page) == 0
    loss_chart = page.locator(".st-key-loss_chart")
    loss_chart.locator(".main-svg").first.wait_for(timeout=TIMEOUT_MS)

    # Play: the step number and the loss chart change with no further input
    _click(page, "play")
    assert _wait(lambda: _step(page) > 0), "the step number never moved"
    first_step, first_chart = _step(page), loss_chart.inner_html()
    assert _wait(lambda: _step(page) > first_step + 100)
    assert _wait(lambda: loss_chart.inner_html() != first_chart), "the loss chart never changed"

    # the learning rate changes while running and reaches the trainer
    lr = page.locator(".st-key-lr input")
    lr.click()
    lr.fill("0.1")
    lr.press("Enter")
    assert _wait(lambda: "lr 0.1 " in page.locator(".st-key-status").inner_text() + " ")
    assert "running" in page.locator(".st-key-status").inner_text()

    # Pause stops the step number
    _click(page, "pause")
    assert _wait(lambda: "paused" in page.locator(".st-key-status").inner_text())
    paused_at = _step(page)
    time.sleep(1.5)
    assert _step(page) == paused_at

    # Reset returns to step 0
    _click(page, "reset")
    assert _wait(lambda: _step(page) == 0)

    # closing the page ends its trainer thread
    _click(page, "play")
    assert _wait(lambda: "running" in page.locator(".st-key-status").inner_text())
    assert _live_trainers(browser, server) >= 1
    page.close()
    assert _wait(lambda: _live_trainers(browser, server) == 0, timeout_s=30, every_s=1.0), (
        "the trainer thread outlived its tab"
    )
