"""Helpers for browser tests: a real `streamlit run` server and Debian's Chromium via Playwright.

Browser tests see only the page: anything about the server (a trainer thread's step count or
status, say) must be read from what the page shows, since the server process is separate.
"""

from __future__ import annotations

import os
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
SERVER_START_TIMEOUT_S = 60.0
PAGE_TIMEOUT_MS = 30_000


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


def _is_healthy(url: str) -> bool:
    """True if Streamlit's health endpoint under `url` answers "ok"."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def wait_healthy(
    url: str, proc: subprocess.Popen, log_path: Path, timeout_s: float = SERVER_START_TIMEOUT_S
) -> None:
    """Poll /_stcore/health until "ok"; fail with the server log's tail on exit or timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_tail(log_path)}")
        if _is_healthy(url):
            return
        time.sleep(0.25)
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
    """Start Playwright's sync driver, or skip (fail under CI) if it is not installed."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    return sync_playwright().start()


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch Debian's headless Chromium, or skip (fail under CI) if it is missing."""
    if not (os.access(CHROMIUM_PATH, os.X_OK) or shutil.which("chromium")):
        skip_or_fail(f"{CHROMIUM_PATH} is missing (apt-get install -y chromium)")
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, args=list(CHROMIUM_ARGS), headless=True
    )


def wait_idle(page: Page, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Wait until the app is connected and its script has finished running."""
    page.wait_for_selector(APP_READY, timeout=timeout_ms)
    page.wait_for_selector(SCRIPT_IDLE, timeout=timeout_ms)


def open_app(browser: Browser, url: str, timeout_ms: int = PAGE_TIMEOUT_MS, **context: Any) -> Page:
    """Open `url` in a fresh browser context and wait until the first script run is done."""
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url, wait_until="domcontentloaded")
    wait_idle(page, timeout_ms)
    return page


def by_key(page: Page, key: str) -> Locator:
    """The element of the Streamlit widget with this `key` (its CSS class is st-key-<key>)."""
    return page.locator(f".st-key-{key}")
