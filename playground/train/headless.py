"""Headless runs: train a config to its stop condition, summarise, and save the results."""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safetensors.torch import save_file

from playground.config import RunConfig, Task
from playground.train.snapshot import Snapshot, Status
from playground.train.trainer import RequestError, Trainer

FINAL = (Status.DONE, Status.DIVERGED, Status.FAILED, Status.CLOSED)


def run(
    cfg: RunConfig,
    progress: Callable[[Snapshot], None] | None = None,
    poll_s: float = 0.05,
    initial_state: dict[str, Any] | None = None,
) -> tuple[Trainer, dict[str, Any]]:
    """Train until a stop condition (the caller closes the returned trainer)."""
    if not (cfg.train.max_steps or cfg.train.max_epochs or cfg.train.target_test_loss):
        raise ValueError("train: no stop condition; set max_steps (or --steps N)")
    trainer = Trainer(
        cfg, with_probes=False, idle_pause_s=None, capped=False, initial_state=initial_state
    )
    t0 = time.monotonic()
    snap = trainer.start().snapshot
    while snap.status not in FINAL:
        time.sleep(poll_s)
        snap = trainer.latest()
        if progress:
            progress(snap)
    out = summary(snap, cfg, time.monotonic() - t0)
    try:  # a learner's own final figures, next to their baselines (e.g. test_mse and pca_mse)
        out |= trainer.ask("report")
    except RequestError:
        pass
    return trainer, out


def summary(snap: Snapshot, cfg: RunConfig, seconds: float) -> dict[str, Any]:
    """The JSON contract of `python -m playground train`."""
    out: dict[str, Any] = {
        "status": snap.status.value,
        "message": snap.message,
        "steps": snap.step,
        "epochs": snap.epoch,
        "seconds": round(seconds, 3),
        "steps_per_s": round(snap.step / seconds, 1) if seconds > 0 else 0.0,
        "train_loss": _num(snap.train_loss),
        "test_loss": _num(snap.test_loss),
    }
    if cfg.data.task == Task.CLASSIFICATION and "test_accuracy" in snap.history:
        out["train_accuracy"] = _num(snap.train_accuracy)  # learners that measure accuracy
        out["test_accuracy"] = _num(snap.test_accuracy)
    return out


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def save_run(trainer: Trainer, out_dir: str | Path) -> list[Path]:
    """Write config.json, history.csv and model.safetensors into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "config.json", out / "history.csv", out / "model.safetensors"]
    paths[0].write_text(trainer.cfg.to_json() + "\n")
    write_history_csv(trainer.latest().history, paths[1])
    state = {k: v.contiguous() for k, v in trainer.ask("weights").items()}
    save_file(state, str(paths[2]))
    return paths


def write_history_csv(history: dict[str, Any], path: Path) -> None:
    """One row per recorded point, one column per series."""
    cols = list(history)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        n = len(history[cols[0]]) if cols else 0
        for i in range(n):
            w.writerow([_cell(history[c][i]) for c in cols])


def _cell(v: float) -> str:
    if not math.isfinite(v):
        return ""
    return str(int(v)) if float(v).is_integer() else repr(float(v))
