"""Many runs in one server process, as the pages run them (probes published at up to 30 Hz), with
no browser: each run's snapshots and steps per second, and how late a 4-ms timer in another
thread wakes (as the server's event loop would). Measured twice in one run, side by side: the
runs taking turns (`runcap.TURNS`, as the server does) and all training at once.

    python scripts/many_runs.py [--runs 8] [--seconds 8] [--preset default|NAME] [--turns K]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.config import RunConfig, with_value
from playground.presets import get_preset
from playground.train import runcap
from playground.train.trainer import Trainer
from ui.state import PAGE_TRAINER


def measure(cfg: RunConfig, runs: int, turns: int, seconds: float) -> dict:
    """`runs` trainers of `cfg` with `turns` turns: snapshots/s and steps/s of each."""
    runcap.TURNS = runcap.Turns(turns)
    trainers = [Trainer(cfg, capped=False, **PAGE_TRAINER) for _ in range(runs)]
    try:
        for t in trainers:
            t.start()
        time.sleep(1.0)
        seen = [t.latest() for t in trainers]
        snaps, late = [0] * runs, []
        steps0, t0 = [t.step_count for t in trainers], time.monotonic()
        while time.monotonic() - t0 < seconds:
            a = time.perf_counter()
            time.sleep(0.004)
            late.append(time.perf_counter() - a - 0.004)
            for i, t in enumerate(trainers):
                if t.latest() is not seen[i]:
                    seen[i], snaps[i] = t.latest(), snaps[i] + 1
        dt = time.monotonic() - t0
        steps = [(t.step_count - s) / dt for t, s in zip(trainers, steps0)]
    finally:
        for t in trainers:
            t.close()
    late.sort()
    return {"turns": turns, "snapshots_per_s_each": [round(n / dt, 1) for n in snaps],
            "steps_per_s_each": [round(s) for s in steps], "steps_per_s_total": round(sum(steps)),
            "timer_late_ms_median": round(1e3 * statistics.median(late), 2),
            "timer_late_ms_p99": round(1e3 * late[int(0.99 * (len(late) - 1))], 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--preset", default="default", help="a preset name, or 'default'")
    parser.add_argument("--turns", type=int, default=0, help="0: the server's default")
    args = parser.parse_args()
    sys.setswitchinterval(0.001)  # as serve.py sets it
    cfg = RunConfig() if args.preset == "default" else get_preset(args.preset)
    cfg = with_value(cfg, "train.max_steps", 0)
    turns = args.turns or runcap.TURNS.k
    out = {"preset": args.preset, "runs": args.runs, "seconds": args.seconds}
    out["taking_turns"] = measure(cfg, args.runs, turns, args.seconds)
    out["all_at_once"] = measure(cfg, args.runs, args.runs, args.seconds)
    a, b = out["taking_turns"], out["all_at_once"]
    out["snapshots_ratio"] = round(
        statistics.mean(a["snapshots_per_s_each"]) / statistics.mean(b["snapshots_per_s_each"]), 2
    )
    out["steps_ratio"] = round(a["steps_per_s_total"] / b["steps_per_s_total"], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
