"""Load test: N browser sessions train at once on one `streamlit run`; then close/reopen cycles.

Usage: python scripts/load_test.py [--sessions 8] [--seconds 30] [--cycles 50] [--out FILE]
Loopback only. Prints one JSON report (and writes it to --out).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser_harness import (
    REPO_ROOT,
    by_key,
    launch_chromium,
    open_app,
    start_playwright,
    start_streamlit,
    stop_process,
    wait_idle,
)

POLL_S = 0.1  # status text polling period
HEALTH_S = 0.5  # health probe period
STATUS_JS = "() => document.querySelector('.st-key-status')?.innerText ?? ''"
STATUS = re.compile(r"\b(idle|running|waiting|paused|done|diverged|failed|closed)\b")
THREADS = re.compile(r"Trainer threads alive:\s*(\d+)")


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class HealthProbe(threading.Thread):
    """GET /_stcore/health every HEALTH_S seconds until stopped; keeps each latency."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.latencies, self.failures = url, [], 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(HEALTH_S):
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as r:
                    ok = r.read().strip() == b"ok"
            except OSError:
                ok = False
            if ok:
                self.latencies.append(time.monotonic() - t0)
            else:
                self.failures += 1

    def report(self) -> dict[str, Any]:
        lat = sorted(self.latencies) or [float("nan")]
        return {
            "probes": len(self.latencies) + self.failures,
            "failures": self.failures,
            "median_ms": round(1000 * statistics.median(lat), 1),
            "p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
            "max_ms": round(1000 * lat[-1], 1),
        }


def press_play(page: Any) -> None:
    """Click Play and wait until the script run it started is done."""
    by_key(page, "play").locator("button").first.click()
    wait_idle(page)


def measure(pages: list[Any], seconds: float) -> list[dict[str, Any]]:
    """Poll every page's status text; count its changes, and read steps and steps/s from it."""
    last = [""] * len(pages)
    changes = [0] * len(pages)
    samples: list[list[tuple[float, int, float]]] = [[] for _ in pages]  # (t, step, steps/s)
    t0 = time.monotonic()
    for tick in range(int(seconds / POLL_S)):  # bounded in count; ends at `seconds` at most
        for i, page in enumerate(pages):
            text = page.evaluate(STATUS_JS)
            if text != last[i]:
                changes[i], last[i] = changes[i] + 1, text
                step = re.search(r"step (\d+)", text)
                rate = re.search(r"([\d,]+) steps/s", text)
                if step:
                    rate_v = float(rate.group(1).replace(",", "")) if rate else 0.0
                    samples[i].append((time.monotonic() - t0, int(step.group(1)), rate_v))
        pause = t0 + (tick + 1) * POLL_S - time.monotonic()
        if time.monotonic() - t0 > seconds:
            break
        if pause > 0:
            time.sleep(pause)
    duration = time.monotonic() - t0
    return [_session(changes[i], samples[i], last[i], duration) for i in range(len(pages))]


def _session(changes: int, samples: list, text: str, duration: float) -> dict[str, Any]:
    steps = (samples[-1][1] - samples[0][1]) if len(samples) > 1 else 0
    span = (samples[-1][0] - samples[0][0]) if len(samples) > 1 else 0.0
    shown = [s[2] for s in samples if s[2] > 0]
    status = STATUS.search(text)
    return {
        "refreshes_per_s": round(changes / duration, 2),
        "steps_per_s_from_steps": round(steps / span, 1) if span > 0 else 0.0,
        "steps_per_s_shown_median": round(statistics.median(shown), 1) if shown else 0.0,
        "final_status": status.group(1) if status else text[:40],
    }


def trainer_threads(
    browser: Any, url: str, target: int, timeout_s: float, t0: float | None = None
) -> tuple[int, float]:
    """Poll the /server page until it shows `target` trainer threads.

    Returns the last count seen and the seconds from t0 (default: now) until it was seen.
    """
    t0 = time.monotonic() if t0 is None else t0
    page = open_app(browser, f"{url}/server")
    count = -1
    try:
        while time.monotonic() - t0 < timeout_s:
            match = THREADS.search(by_key(page, "server_status").inner_text())
            count = int(match.group(1)) if match else -1
            if count == target:
                break
            by_key(page, "server_refresh").locator("button").first.click()
            wait_idle(page)
            time.sleep(0.2)
        return count, round(time.monotonic() - t0, 2)
    finally:
        page.context.close()


def load_phase(browser: Any, url: str, n: int, seconds: float, health: HealthProbe) -> dict:
    """n sessions press Play, are measured for `seconds`, then all close."""
    pages = [open_app(browser, url) for _ in range(n)]
    for page in pages:
        press_play(page)
    alive_before, _ = trainer_threads(browser, url, n, 10.0)
    health.start()
    sessions = measure(pages, seconds)
    health.stop.set()
    errors = sum(p.locator("[data-testid='stException']").count() for p in pages)
    t_close = time.monotonic()
    for page in pages:
        page.context.close()
    left, took = trainer_threads(browser, url, 0, 30.0, t_close)
    return {
        "sessions": sessions,
        "health": health.report(),
        "page_exceptions": errors,
        "trainer_threads_while_open": alive_before,
        "trainer_threads_after_close": left,
        "seconds_until_zero": took,
    }


def cycle_phase(browser: Any, url: str, pid: int, cycles: int) -> dict[str, Any]:
    """Open the page, press Play, close it, `cycles` times; memory and threads left."""
    rss = {"before": round(rss_mb(pid), 1)}
    t0 = time.monotonic()
    for i in range(cycles):
        page = open_app(browser, url)
        press_play(page)
        page.context.close()
        if (i + 1) % 10 == 0:
            rss[f"after_{i + 1}"] = round(rss_mb(pid), 1)
    left, took = trainer_threads(browser, url, 0, 30.0)
    rss["end"] = round(rss_mb(pid), 1)
    return {
        "cycles": cycles,
        "seconds": round(time.monotonic() - t0, 1),
        "trainer_threads_left": left,
        "seconds_until_zero": took,
        "server_rss_mb": rss,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=8)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--cycles", type=int, default=50)
    p.add_argument("--out", help="also write the JSON report here")
    args = p.parse_args()
    log = Path(tempfile.mkdtemp(prefix="load-test-")) / "server.log"
    proc, url = start_streamlit(REPO_ROOT / "serve.py", log)
    playwright = start_playwright()
    browser = launch_chromium(playwright)
    try:
        report = {"url": url, "server_rss_mb_start": round(rss_mb(proc.pid), 1)}
        health = HealthProbe(url)
        report["load"] = load_phase(browser, url, args.sessions, args.seconds, health)
        report["cycles"] = cycle_phase(browser, url, proc.pid, args.cycles)
    finally:
        browser.close()
        playwright.stop()
        stop_process(proc)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
