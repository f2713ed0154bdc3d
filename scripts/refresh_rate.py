"""Repaints per second of the Playground page's live view (its `data-frame` counter) in headless
Chromium while it trains, the trainer's steps/s with the page open against headless, the bytes
of one update, and the time to a test loss under 0.1; optionally eight pages on one server.

    python scripts/refresh_rate.py [--seconds S] [--preset spiral|default|NAME]
        [--pages 8 [--max-running 8]] [--entry serve.py|app.py|both]

`--entry both` measures the two ways of serving the page in one run, side by side: serve.py
(the browser pulls its frames, ui/live/stream.py) and app.py (Streamlit fragments send them).
"headless" is the trainer as the page runs it (probes published) with no page; "bare" the same
without probes. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.config import RunConfig, with_value
from playground.presets import get_preset
from playground.train.trainer import Trainer
from tests.browser_harness import (
    REPO_ROOT,
    launch_chromium,
    start_playwright,
    start_streamlit,
    stop_process,
)
from ui.live.payload import encode
from ui.state import PAGE_TRAINER
from ui.urlstate import config_to_params

LIVE = ".st-key-live_view"
TARGET_LOSS = 0.1
HOLD_S = 10.0
LIMIT_S = 90.0  # how long to wait for the test loss to go and stay under TARGET_LOSS


def run_config(preset: str) -> RunConfig:
    """The preset (or the default config) without a step limit: the page runs until paused."""
    return with_value(RunConfig() if preset == "default" else get_preset(preset),
                      "train.max_steps", 0)  # fmt: skip


def _rate(trainer: Trainer, seconds: float) -> float:
    trainer.start()
    time.sleep(0.5)
    s0, t0 = trainer.step_count, time.monotonic()
    time.sleep(seconds)
    return (trainer.step_count - s0) / (time.monotonic() - t0)


def headless(cfg: RunConfig, seconds: float) -> dict:
    """Steps/s of the run headless (probes as on the page; and bare, as the command line runs
    it) and the size of one live update."""
    evals = PAGE_TRAINER["eval_budget"]
    bare = Trainer(cfg, idle_pause_s=None, with_probes=False, eval_budget=evals)
    bare_rate = _rate(bare, seconds)
    bare.close()
    trainer = Trainer(cfg, idle_pause_s=None, **PAGE_TRAINER)  # as the page runs it
    rate = _rate(trainer, seconds)
    first = encode(trainer.latest(), trainer.info)
    time.sleep(0.1)
    update = encode(trainer.latest(), trainer.info, first.seen)  # one 0.1-s update
    trainer.close()
    return {"headless_steps_per_s": round(rate, 1), "bare_steps_per_s": round(bare_rate, 1),
            "update_bytes": len(update.data), "full_update_bytes": len(first.data)}  # fmt: skip


def _read(page) -> tuple[int, int, float | None]:
    frame, step, loss = page.evaluate(
        "(sel) => { const e = document.querySelector(sel); return e ? [e.getAttribute("
        "'data-frame'), e.getAttribute('data-step'), e.getAttribute('data-test-loss')] : []; }",
        LIVE,
    )
    return int(frame or 0), int(step or 0), float(loss) if loss else None


def _open_and_play(browser, url: str):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(url, timeout=120_000)
    page.locator(LIVE).wait_for(timeout=120_000)
    page.wait_for_function(f"() => Number(document.querySelector('{LIVE}')"
                           "?.getAttribute('data-frame') || 0) > 0", timeout=120_000)  # fmt: skip
    page.locator(".st-key-play button").first.click()
    return page


def one_page(browser, url: str, seconds: float) -> dict:
    """Press Play; repaints/s and steps/s from the live view's hooks over `seconds`, and the
    times to the first frame with test loss < 0.1 and to the one from which it stays below."""
    page = _open_and_play(browser, url)
    t_play = time.monotonic()
    below_at = first_below = None
    samples = []
    while time.monotonic() - t_play < max(seconds + 1.0, LIMIT_S):
        now = time.monotonic()
        frame, step, loss = _read(page)
        samples.append((now, frame, step))
        if loss is not None and loss < TARGET_LOSS:
            first_below = first_below or now - t_play
            below_at = below_at or now - t_play
        else:
            below_at = None
        timed = now - t_play >= seconds + 1.0
        if timed and (below_at is not None and now - t_play - below_at >= HOLD_S):
            break
        if timed and first_below is None and now - t_play > LIMIT_S / 2:
            break
        time.sleep(0.02)
    held = below_at is not None and time.monotonic() - t_play - below_at >= HOLD_S
    window = [s for s in samples if 1.0 <= s[0] - t_play <= seconds + 1.0]
    (ta, fa, sa), (tb, fb, sb) = window[0], window[-1]
    paint = page.evaluate(f"() => document.querySelector('{LIVE}')?.getAttribute('data-paint-ms')")
    page.locator(".st-key-pause button").first.click()  # no run left training for the next part
    page.wait_for_function("() => /paused/i.test(document.querySelector('.st-key-status')"
                           "?.innerText || '')")  # fmt: skip
    return {"repaints_per_s": round((fb - fa) / (tb - ta), 2), "last_paint_ms": paint,
            "page_steps_per_s": round((sb - sa) / (tb - ta), 1),
            "s_to_test_loss_below_0.1": None if first_below is None else round(first_below, 1),
            "s_to_stay_below_0.1": round(below_at, 1) if held else None}  # fmt: skip


def many_pages(browser, url: str, link: str, n: int, seconds: float) -> dict:
    """n pages of `link` on the server at `url`, all training: each page's repaints/s and its
    trainer's steps/s (from the frames shown); the health endpoint answering."""
    pages = [_open_and_play(browser, link) for _ in range(n)]
    time.sleep(2.0)
    start = [(time.monotonic(), *_read(p)[:2]) for p in pages]
    health, errors, stop = [], [], threading.Event()

    def poll() -> None:
        while not stop.is_set():
            t0 = time.monotonic()
            why = ""
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
                    why = r.read().decode().strip()
            except OSError as e:
                why = str(e)[:80]
            health.append((why == "ok", time.monotonic() - t0))
            if why != "ok":
                errors.append(why)
            stop.wait(1.0)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    time.sleep(seconds)
    ends = [(time.monotonic(), *_read(p)[:2]) for p in pages]
    rates = [(f1 - f0) / (t1 - t0) for (t0, f0, _), (t1, f1, _) in zip(start, ends)]
    steps = [(s1 - s0) / (t1 - t0) for (t0, _, s0), (t1, _, s1) in zip(start, ends)]
    stop.set()
    poller.join()
    return {"pages": n, "repaints_per_s_each": [round(r, 2) for r in rates],
            "min_repaints_per_s": round(min(rates), 2),
            "steps_per_s_each": [round(r) for r in steps],
            "health_polls": len(health), "health_failed": sum(not ok for ok, _ in health),
            "health_max_s": round(max(d for _, d in health), 3),
            "health_errors": sorted(set(errors))}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--preset", default="spiral", help="a preset name, or 'default'")
    parser.add_argument("--pages", type=int, default=0, help="also open this many pages at once")
    parser.add_argument("--entry", default="serve.py", choices=["serve.py", "app.py", "both"])
    parser.add_argument(
        "--max-running",
        type=int,
        default=0,
        help="the server's PLAYGROUND_MAX_RUNNING (0: its default, 2 on 2 cores)",
    )
    args = parser.parse_args()
    if args.max_running:
        os.environ["PLAYGROUND_MAX_RUNNING"] = str(args.max_running)  # the server inherits it
    cfg = run_config(args.preset)
    out = {"preset": args.preset, "seconds": args.seconds} | headless(cfg, args.seconds)
    entries = ["serve.py", "app.py"] if args.entry == "both" else [args.entry]
    for entry in entries:
        out[entry] = serve(entry, cfg, args, out)
    print(json.dumps(out))


def serve(entry: str, cfg: RunConfig, args: argparse.Namespace, base: dict) -> dict:
    """The page served by `streamlit run entry`: one page's figures (and many pages')."""
    log = Path(tempfile.mkdtemp()) / "server.log"
    proc, url = start_streamlit(REPO_ROOT / entry, log)
    link = f"{url}/?{urllib.parse.urlencode(config_to_params(cfg))}"
    pw = start_playwright()
    try:
        browser = launch_chromium(pw)
        out = one_page(browser, link, args.seconds)
        steps = out["page_steps_per_s"]
        out["trainer_with_page_vs_headless"] = round(steps / base["headless_steps_per_s"], 3)
        out["trainer_with_page_vs_bare"] = round(steps / base["bare_steps_per_s"], 3)
        browser.close()
        if args.pages:
            out["many"] = many_pages(launch_chromium(pw), url, link, args.pages, args.seconds)
    finally:
        pw.stop()
        stop_process(proc)
    return out


if __name__ == "__main__":
    main()
