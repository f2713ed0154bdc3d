"""The live view in Chromium (`streamlit run scripts/live_demo.py`, and served with its frame
route as `scripts/live_demo_served.py`): data-frame advances while the demo trainer runs and
stops when paused; hovering a neuron or a link shows the snapshot's exact values; editing a link
changes that weight in the next snapshot."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest

from tests.browser_harness import (
    BROWSER_TEST_TIMEOUT_S,
    LIVE,
    REPO_ROOT,
    STATE_TIMEOUT_MS,
    by_key,
    live_attr,
    open_app,
    start_streamlit,
    stop_process,
    wait_live_attr_above,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S)]


@pytest.fixture(scope="module", params=["live_demo.py", "live_demo_served.py"])
def demo_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("live_demo") / "server.log"
    proc, url = start_streamlit(REPO_ROOT / "scripts" / request.param, log_path)
    yield url
    stop_process(proc)


def pause_and_read_truth(page: Page) -> dict:
    """Pause; return the snapshot the page shows once it is paused (the demo prints it)."""
    by_key(page, "pause").locator("button").click()
    truth = by_key(page, "truth").locator("code")
    truth.wait_for(timeout=STATE_TIMEOUT_MS)
    data = json.loads(truth.inner_text())
    page.wait_for_function(  # the live view shows that very step
        "([sel, step]) => document.querySelector(sel)?.getAttribute('data-step') === step",
        arg=[LIVE, str(data["step"])],
        timeout=STATE_TIMEOUT_MS,
    )
    return data


def settled_frames(page: Page, quiet_ms: int = 700) -> int:
    """data-frame once it has not moved for quiet_ms (bounded by the harness's state wait)."""
    deadline = time.monotonic() + STATE_TIMEOUT_MS / 1000
    frames = live_attr(page, "data-frame")
    while time.monotonic() < deadline:
        page.wait_for_timeout(quiet_ms)
        now = live_attr(page, "data-frame")
        if now == frames:
            return now
        frames = now
    raise AssertionError(f"data-frame still moving after {STATE_TIMEOUT_MS} ms")


def tip(page: Page) -> tuple[dict[str, str], str]:
    box = page.locator(".nnl-tip")
    box.wait_for(state="visible")
    keys = ("layer", "unit", "row", "col")
    return {k: box.get_attribute(f"data-{k}") or "" for k in keys}, box.inner_text()


def value_after(text: str, label: str) -> float:
    line = next(x for x in text.splitlines() if x.startswith(label))
    return float(line.split("=", 1)[1])


def test_frames_advance_while_running_and_hover_shows_snapshot_values(
    browser: Browser, demo_server: str
) -> None:
    page = open_app(browser, demo_server, viewport={"width": 1366, "height": 768})
    page.locator(LIVE).wait_for()
    by_key(page, "play").locator("button").click()
    frame0 = wait_live_attr_above(page, "data-frame", 0)
    step0 = wait_live_attr_above(page, "data-step", 0)
    assert wait_live_attr_above(page, "data-frame", frame0 + 5) > frame0 + 5
    assert wait_live_attr_above(page, "data-step", step0) > step0
    assert page.locator(LIVE).get_attribute("data-test-loss") not in (None, "")

    truth = pause_and_read_truth(page)
    frames = settled_frames(page)  # an update already on its way may still be painted once
    page.wait_for_timeout(1_000)  # paused: the fragment still runs, nothing is repainted
    assert live_attr(page, "data-step") == truth["step"]
    assert live_attr(page, "data-frame") == frames

    page.locator(".nnl-node.hidden").nth(10).hover()  # dense 2, neuron 3
    where, text = tip(page)
    layer, unit = int(where["layer"]), int(where["unit"])
    assert (layer, unit) == (1, 2)
    assert value_after(text, "bias") == truth["biases"][layer][unit]

    page.locator(".nnl-links path.hit").nth(1).hover(force=True)
    where, text = tip(page)
    layer, row, col = int(where["layer"]), int(where["row"]), int(where["col"])
    assert value_after(text, "weight") == truth["weights"][layer][row][col]

    page.locator(".nnl-links path.hit").nth(1).click(force=True)  # edit it (applied between steps)
    field = page.locator(".nnl-edit input")
    field.fill("0.625")
    field.press("Enter")
    page.wait_for_function(
        """([sel, l, r, c]) => {
            const el = document.querySelector(sel);
            if (!el) return false;
            return JSON.parse(el.innerText).weights[l][r][c] === 0.625;
        }""",
        arg=[".st-key-truth code", layer, row, col],
        timeout=STATE_TIMEOUT_MS,
    )
    page.locator(".nnl-node.hidden").nth(0).hover()  # move off, then back on the link
    page.locator(".nnl-links path.hit").nth(1).hover(force=True)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.st-key-live_view *')].some(e => e.shadowRoot"
        " && e.shadowRoot.querySelector('.nnl-tiptext')?.textContent.includes('= 0.625'))",
        timeout=STATE_TIMEOUT_MS,
    )
    page.context.close()
