"""Refreshes per second of the Playground page in headless Chromium while it trains, and the
trainer's speed meanwhile against headless
(python scripts/refresh_rate.py [--seconds S] [--preset NAME|default])."""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.config import RunConfig, with_value
from playground.presets import get_preset
from playground.train.trainer import EVAL_BUDGET, Trainer
from tests.browser_harness import (
    REPO_ROOT,
    launch_chromium,
    start_playwright,
    start_streamlit,
    stop_process,
)
from ui.urlstate import config_to_params


def run_config(preset: str) -> RunConfig:
    """The preset (or the default config) without a step limit: the page runs until paused."""
    return with_value(RunConfig() if preset == "default" else get_preset(preset),
                      "train.max_steps", 0)  # fmt: skip


def headless_steps_per_s(cfg: RunConfig, seconds: float) -> float:
    """Steps/s of the run headless, probes at 10 Hz as on the page."""
    trainer = Trainer(cfg, idle_pause_s=None, eval_budget=EVAL_BUDGET)  # as the page runs it
    trainer.start()
    time.sleep(0.5)
    s0, t0 = trainer.step_count, time.monotonic()
    time.sleep(seconds)
    rate = (trainer.step_count - s0) / (time.monotonic() - t0)
    trainer.close()
    return rate


def page_rates(cfg: RunConfig, seconds: float) -> dict:
    """Open the page on `cfg`, press Play, poll the status line every 20 ms for `seconds`."""
    log = Path(tempfile.mkdtemp()) / "server.log"
    proc, url = start_streamlit(REPO_ROOT / "app.py", log)
    pw = start_playwright()
    try:
        page = launch_chromium(pw).new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{url}/?{urllib.parse.urlencode(config_to_params(cfg))}")
        page.wait_for_selector(".st-key-status", timeout=60_000)
        page.locator(".st-key-play button").first.click()
        status = page.locator(".st-key-status")
        while "running" not in status.inner_text():
            time.sleep(0.05)
        time.sleep(1.0)  # past the first refreshes
        seen, changes, steps = status.inner_text(), 0, []
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            text = status.inner_text()
            if text != seen:
                seen, changes = text, changes + 1
                steps.append((time.monotonic(), int(re.search(r"step (\d+)", text).group(1))))
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        rate = (steps[-1][1] - steps[0][1]) / (steps[-1][0] - steps[0][0]) if len(steps) > 1 else 0
        return {"refreshes_per_s": changes / elapsed, "steps_per_s_with_page": rate}
    finally:
        pw.stop()
        stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--preset", default="spiral", help="a preset name, or 'default'")
    args = parser.parse_args()
    cfg = run_config(args.preset)
    headless = headless_steps_per_s(cfg, args.seconds)
    page = page_rates(cfg, args.seconds)
    page["headless_steps_per_s"] = headless
    page["trainer_with_page_vs_headless"] = page["steps_per_s_with_page"] / headless
    print(json.dumps(page))


if __name__ == "__main__":
    main()
