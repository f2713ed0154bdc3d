"""The Playground page in headless Chromium: live training, controls, and no leaked trainer.

Every wait is for something the page shows (the `status` line, the live view's data-frame, the
server page's thread count), bounded by the harness's constants; the one fixed wait checks that
nothing is repainted while paused.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser_harness import (
    BROWSER_TEST_TIMEOUT_S,
    FIRST_LOAD_TIMEOUT_MS,
    REPO_ROOT,
    STATE_TIMEOUT_MS,
    by_key,
    live_attr,
    open_app,
    start_streamlit,
    status_step,
    status_text,
    stop_process,
    wait_idle,
    wait_live_attr_above,
    wait_status,
    wait_step,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of our own (as the README runs it), so the trainer-thread count is this test's
    alone."""
    proc, url = start_streamlit(REPO_ROOT / "serve.py", tmp_path_factory.mktemp("pg") / "log")
    yield url
    stop_process(proc)


def _open(browser, url: str):
    page = open_app(browser, url, viewport={"width": 1500, "height": 1200})
    by_key(page, "status").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
    return page


def _click(page, key: str) -> None:
    by_key(page, key).locator("button").first.click()


def _set_lr(page, value: str) -> None:
    lr = page.locator(".st-key-lr input")
    lr.click()
    lr.fill(value)
    lr.press("Enter")


def _live_trainers(server_page) -> int:
    """The server page's trainer-thread count, read from a fresh load of it."""
    server_page.reload(wait_until="domcontentloaded", timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_idle(server_page, FIRST_LOAD_TIMEOUT_MS)
    box = by_key(server_page, "server_status")
    box.wait_for(timeout=STATE_TIMEOUT_MS)
    return int(re.search(r"Trainer threads alive: (\d+)", box.inner_text()).group(1))


def _wait_no_trainers(server_page) -> int:
    """Reload the server page until it counts no trainer thread; the last count seen."""
    deadline = time.monotonic() + STATE_TIMEOUT_MS / 1000
    count = _live_trainers(server_page)
    while count and time.monotonic() < deadline:
        count = _live_trainers(server_page)  # each reload waits for the page's full run
    return count


def test_play_pause_reset_lr_and_close(browser, server):
    page = _open(browser, server)
    pulled: list[int] = []  # the live view's own frame route answering (ui/live/stream.py)
    page.on("response", lambda r: pulled.append(r.status) if "/live-frame/" in r.url else None)
    assert status_step(page) == 0
    frame0 = wait_live_attr_above(
        page, "data-frame", 0, FIRST_LOAD_TIMEOUT_MS
    )  # the live view drew its first frame

    # Play: the step number and the live view's frames advance with no further input
    _click(page, "play")
    first_step = wait_step(page, at_least=1)  # "the step number never moved" if it times out
    frame1 = wait_live_attr_above(page, "data-frame", frame0, FIRST_LOAD_TIMEOUT_MS)
    wait_step(page, at_least=first_step + 101)
    assert wait_live_attr_above(page, "data-frame", frame1 + 5, FIRST_LOAD_TIMEOUT_MS) > frame1 + 5
    assert (
        wait_live_attr_above(page, "data-step", first_step - 1, FIRST_LOAD_TIMEOUT_MS) >= first_step
    )
    assert pulled.count(200) >= 5, pulled  # the frames came over the route, not in fragment runs

    # the learning rate changes while running and reaches the trainer
    _set_lr(page, "0.1")
    wait_status(page, r"\blr 0\.1\b")
    assert "running" in status_text(page)

    # Pause stops the step number: a later snapshot (after an lr change) shows the same step
    _click(page, "pause")
    wait_status(page, r"\bpaused\b")
    wait_idle(page)
    paused_at, frames = status_step(page), live_attr(page, "data-frame")
    page.wait_for_timeout(1_500)  # paused: no fragment runs, the live view is not repainted
    assert live_attr(page, "data-frame") == frames
    assert live_attr(page, "data-step") == paused_at
    _set_lr(page, "0.03")
    wait_status(page, r"\bpaused\b.*\blr 0\.03\b")
    assert status_step(page) == paused_at

    # Reset returns to step 0
    _click(page, "reset")
    wait_step(page, at_most=0)

    # closing the page ends its trainer thread
    _click(page, "play")
    wait_status(page, r"\brunning\b")
    server_page = open_app(browser, f"{server}/server")
    assert _live_trainers(server_page) >= 1
    page.context.close()
    assert _wait_no_trainers(server_page) == 0, "the trainer thread outlived its tab"
    server_page.context.close()
