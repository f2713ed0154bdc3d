"""Memory over a long headless run: 10^6 steps with probes at 10 Hz must grow RSS by < 50 MB.

    python scripts/long_run_memory.py [--steps 1000000] [--preset circle]

The circle preset's default 4-2 tanh network is fast, so a million steps take about a minute.
A reader takes the latest snapshot ten times a second and keeps it, as the page does. RSS is
VmRSS from /proc/self/status: before the trainer exists, after it is built, at its peak while
running, and after it is closed. Prints one JSON object (the last stdout line); exits 1 when the
growth while running is 50 MB or more.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import sys
import time
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from playground.presets import get_preset
from playground.train.snapshot import Status
from playground.train.trainer import EVAL_BUDGET, Trainer

LIMIT_MB = 50.0
READ_S = 0.1  # the page's reader: about the publishing rate


def rss_mb() -> float:
    """This process's resident set size (VmRSS) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024  # kB -> MB
    raise RuntimeError("no VmRSS in /proc/self/status")


def long_run(preset: str, steps: int) -> dict:
    """Run `steps` steps with probes; RSS samples and the run's figures."""
    cfg = get_preset(preset)
    cfg = cfg.replace(train=dataclasses.replace(cfg.train, max_steps=steps))
    gc.collect()
    before = rss_mb()
    trainer = Trainer(cfg, publish_hz=10.0, idle_pause_s=None, eval_budget=EVAL_BUDGET)
    built = rss_mb()
    peak, samples = built, []
    t0 = time.monotonic()
    snap = trainer.start().snapshot
    while snap.status == Status.RUNNING:
        time.sleep(READ_S)
        snap = trainer.latest()  # kept until the next read, as the page keeps it
        peak = max(peak, rss_mb())
        if not samples or time.monotonic() - samples[-1][0] >= 5.0:
            samples.append((time.monotonic(), round(peak, 1)))
    seconds = time.monotonic() - t0
    running, status = rss_mb(), snap.status.value
    trainer.close()
    del snap
    gc.collect()
    return {
        "preset": preset,
        "steps": trainer.step_count,
        "status": status,
        "seconds": round(seconds, 1),
        "steps_per_s": round(trainer.step_count / seconds, 1),
        "rss_mb": {
            "before": round(before, 1),
            "built": round(built, 1),
            "peak": round(peak, 1),
            "end_of_run": round(running, 1),
            "after_close": round(rss_mb(), 1),
        },
        "growth_mb": round(peak - built, 1),  # while running: history, probes, snapshots
        "peak_every_5s": [mb for _, mb in samples],
        "limit_mb": LIMIT_MB,
    }


def main() -> int:
    """Run and print the JSON summary; exit 1 when memory grew too much."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--preset", default="circle")
    args = ap.parse_args()
    torch.set_num_threads(1)
    result = long_run(args.preset, args.steps)
    print(json.dumps(result))
    return 0 if result["growth_mb"] < LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
