"""Helpers for browser tests: a real `streamlit run` server and Debian's Chromium via Playwright.

Browser tests see only the page: anything about the server (a trainer thread's step count or
status, say) must be read from what the page shows, since the server process is separate.

Every wait here waits for readiness (the server's /_stcore/health, the app's connection and
script state, a value the page shows), never for a fixed time, and every wait is bounded by one
of the constants below. On a slow or busy machine scale them all with the environment variable
PLAYGROUND_TEST_TIMEOUT_SCALE (e.g. 2 doubles every bound); a run that is fine finishes as soon
as the page is ready, whatever the bounds.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_PATH = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, and this machine refuses.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
APP_READY = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
SCRIPT_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TIMEOUT_SCALE_ENV = "PLAYGROUND_TEST_TIMEOUT_SCALE"


def _timeout_scale() -> float:
    """PLAYGROUND_TEST_TIMEOUT_SCALE as a positive number (1 when unset)."""
    raw = os.environ.get(TIMEOUT_SCALE_ENV, "").strip() or "1"
    try:
        scale = float(raw)
    except ValueError:
        scale = float("nan")
    if not scale > 0 or scale == float("inf"):
        raise ValueError(f"{TIMEOUT_SCALE_ENV} must be a positive number, got {raw!r}")
    return scale


TIMEOUT_SCALE = _timeout_scale()


def bound_s(seconds: float) -> float:
    """A wait's bound in seconds, scaled by PLAYGROUND_TEST_TIMEOUT_SCALE."""
    return seconds * TIMEOUT_SCALE


# The one place where browser tests' bounds are set (all scaled). They are upper bounds on
# readiness waits: generous, since a loaded 2-core machine takes tens of seconds for a first load.
SERVER_START_TIMEOUT_S = bound_s(120)  # `streamlit run` until /_stcore/health answers "ok"
FIRST_LOAD_TIMEOUT_MS = int(bound_s(120) * 1000)  # Chromium's start; a page's first full run
STATE_TIMEOUT_MS = int(bound_s(60) * 1000)  # a click or a typed value until the page shows it
PAGE_TIMEOUT_MS = STATE_TIMEOUT_MS  # default for any other Playwright call on a page
# pytest-timeout for one browser test (server start, first load and its waits included): only a
# guard against a hang that no bounded wait catches.
BROWSER_TEST_TIMEOUT_S = bound_s(480)


def is_ci() -> bool:
    """True when running under CI (env CI == "true"), where browser tests must never skip."""
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test locally, but fail it under CI: browser tests must run there."""
    if is_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run, not skip)")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(log_path: Path, n_chars: int = 4_000) -> str:
    """The last `n_chars` characters of a log file, or a note that it is missing."""
    if not log_path.exists():
        return f"(no log at {log_path})"
    return log_path.read_text(errors="replace")[-n_chars:]


def _is_healthy(url: str, timeout_s: float) -> bool:
    """True if Streamlit's health endpoint under `url` answers "ok" within `timeout_s`."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout_s) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def wait_healthy(
    url: str, proc: subprocess.Popen, log_path: Path, timeout_s: float = SERVER_START_TIMEOUT_S
) -> None:
    """Poll /_stcore/health until "ok"; fail with the server log's tail on exit or timeout.

    Between two polls it waits on the process itself, so an exiting server ends the wait at once.
    """
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        if _is_healthy(url, timeout_s=max(0.1, min(10.0, left))):
            return
        try:
            proc.wait(timeout=max(0.0, min(0.25, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_tail(log_path)}")
    pytest.fail(f"streamlit not healthy after {timeout_s:.0f} s:\n{log_tail(log_path)}")


def start_streamlit(
    app: Path, log_path: Path, cwd: Path = REPO_ROOT
) -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app` on a free loopback port; return the process and its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log_path)
    except BaseException:
        stop_process(proc)
        raise
    return proc, url


def stop_process(proc: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """Terminate a process, and kill it if it has not exited within `timeout_s`."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout_s)


def start_playwright() -> Playwright:
    """Start Playwright's sync driver, or skip (fail under CI) if it is not installed.

    It also sets `expect(...)`'s default bound (5 s in Playwright) to STATE_TIMEOUT_MS.
    """
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    expect.set_options(timeout=STATE_TIMEOUT_MS)
    return sync_playwright().start()


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch Debian's headless Chromium, or skip (fail under CI) if it is missing."""
    if not (os.access(CHROMIUM_PATH, os.X_OK) or shutil.which("chromium")):
        skip_or_fail(f"{CHROMIUM_PATH} is missing (apt-get install -y chromium)")
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH,
        args=list(CHROMIUM_ARGS),
        headless=True,
        timeout=FIRST_LOAD_TIMEOUT_MS,
    )


def wait_idle(page: Page, timeout_ms: int = STATE_TIMEOUT_MS) -> None:
    """Wait until the app is connected and its script has finished running.

    Right after a click the script may not have started yet: to see a click's effect, wait for
    what it changes on the page (e.g. `wait_status`), not for this.
    """
    page.wait_for_selector(APP_READY, timeout=timeout_ms)
    page.wait_for_selector(SCRIPT_IDLE, timeout=timeout_ms)


def open_app(
    browser: Browser, url: str, timeout_ms: int = FIRST_LOAD_TIMEOUT_MS, **context: Any
) -> Page:
    """Open `url` in a fresh browser context and wait until the first script run is done.

    The page's later Playwright calls default to STATE_TIMEOUT_MS. Close the tab with
    `page.context.close()`.
    """
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(STATE_TIMEOUT_MS)
    page.set_default_navigation_timeout(timeout_ms)
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    return page


def by_key(page: Page, key: str) -> Locator:
    """The element of the Streamlit widget with this `key` (its CSS class is st-key-<key>)."""
    return page.locator(f".st-key-{key}")


# ---- the `status` container (ui/views.status_line): "<status> · step N · epoch E · ... · lr X"

STATUS_KEY = "status"
_STEP_RE = re.compile(r"\bstep (\d[\d,]*)")  # "step 1234" (or "step 1,234")
# True once the status container's text holds a step number in [lo, hi] (null: no bound).
_STEP_IN_RANGE_JS = """([selector, lo, hi]) => {
    const el = document.querySelector(selector);
    const m = el && el.innerText.match(/\\bstep (\\d[\\d,]*)/);
    if (!m) return false;
    const step = Number(m[1].replaceAll(",", ""));
    return (lo === null || step >= lo) && (hi === null || step <= hi);
}"""


def status_text(page: Page, key: str = STATUS_KEY) -> str:
    """The text the `status` container shows now."""
    return by_key(page, key).first.inner_text()


def status_step(page: Page, key: str = STATUS_KEY) -> int:
    """The step number the `status` container shows now."""
    text = status_text(page, key)
    match = _STEP_RE.search(text)
    if match is None:
        raise AssertionError(f"no step number in the status {text!r}")
    return int(match.group(1).replace(",", ""))


def wait_status(
    page: Page, pattern: str | re.Pattern[str], key: str = STATUS_KEY,
    timeout_ms: int = STATE_TIMEOUT_MS,
) -> str:  # fmt: skip
    """Wait until the `status` container's text matches `pattern` (a regex); return the text."""
    from playwright.sync_api import expect

    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    expect(by_key(page, key).first).to_contain_text(regex, timeout=timeout_ms)
    return status_text(page, key)


def wait_step(
    page: Page, at_least: int | None = None, at_most: int | None = None,
    key: str = STATUS_KEY, timeout_ms: int = STATE_TIMEOUT_MS,
) -> int:  # fmt: skip
    """Wait until the `status` container shows a step in [at_least, at_most]; return it."""
    page.wait_for_function(
        _STEP_IN_RANGE_JS, arg=[f".st-key-{key}", at_least, at_most], timeout=timeout_ms
    )
    return status_step(page, key)


def wait_changed(
    page: Page, selector: str, old_html: str, timeout_ms: int = STATE_TIMEOUT_MS
) -> None:
    """Wait until the first element matching `selector` exists, its inner HTML not old_html."""
    page.wait_for_function(
        "([selector, old]) => { const el = document.querySelector(selector);"
        " return el !== null && el.innerHTML !== old; }",
        arg=[selector, old_html],
        timeout=timeout_ms,
    )


# ---- the live view's hooks ----------------------------------------------------------------------

LIVE = ".st-key-live_view"  # the live view component's element
_ATTR_ABOVE = """([sel, attr, lo]) => {
    const el = document.querySelector(sel);
    return el !== null && Number(el.getAttribute(attr) || 0) > lo;
}"""


def live_attr(page: Page, name: str) -> int:
    """An integer hook of the live view (data-frame, data-step); 0 before its first frame."""
    return int(float(page.locator(LIVE).get_attribute(name) or 0))


def wait_live_attr_above(
    page: Page, name: str, lo: float, timeout_ms: int = STATE_TIMEOUT_MS
) -> int:
    """Wait until the live view's hook `name` is above lo; return it."""
    page.wait_for_function(_ATTR_ABOVE, arg=[LIVE, name, lo], timeout=timeout_ms)
    return live_attr(page, name)
