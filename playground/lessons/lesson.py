"""A lesson (setup, text, controls, the change to try next, the check) and its headless runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from playground.config import RunConfig, with_value
from playground.train.headless import FINAL
from playground.train.snapshot import Snapshot
from playground.train.trainer import Trainer

GRID = 20  # grid resolution of the checks' runs: neuron maps are compared on 20 x 20 points
POLL_S = 0.02


@dataclass(frozen=True)
class Change:
    """The one change a lesson offers next: config fields by dotted path, and page settings."""

    label: str  # the button's text, e.g. "Add a hidden layer of 4 neurons"
    values: Mapping[str, Any] = field(default_factory=dict)  # "train.lr" -> 0.03 (plain JSON)
    settings: Mapping[str, Any] = field(default_factory=dict)  # page widget key -> value

    def apply(self, cfg: RunConfig) -> RunConfig:
        """cfg with every changed field set (each validated)."""
        for path, value in self.values.items():
            cfg = with_value(cfg, path, value)
        return cfg


@dataclass(frozen=True)
class Result:
    """A check's outcome: the claim held or not, and the figures it measured."""

    passed: bool
    figures: Mapping[str, float | int | str | bool]
    summary: str  # the claim with the measured numbers, one line

    def to_dict(self) -> dict[str, Any]:
        return {"pass": self.passed, "figures": dict(self.figures), "summary": self.summary}


@dataclass(frozen=True)
class Lesson:
    """One idea: a setup on one page, what to do, what to notice, why, and the next change."""

    name: str  # the `?lesson=NAME` of its link
    title: str
    page: str  # "playground", "compare", "images", ...
    do: str
    notice: str
    why: str
    claim: str  # what the check measures, with its thresholds, as the class reads it
    config: RunConfig
    controls: tuple[str, ...]  # widget keys to highlight ("units_" : every key starting so)
    try_next: Change
    check: Callable[[Lesson], Result]
    settings: Mapping[str, Any] = field(default_factory=dict)  # the page's own widgets

    @property
    def next_config(self) -> RunConfig:
        return self.try_next.apply(self.config)


def on_cpu(cfg: RunConfig) -> RunConfig:
    """cfg on the CPU: there its fixed seeds give the same numbers on every machine (a GPU's
    kernels may not; these networks are small enough for the CPU)."""
    return with_value(cfg, "train.device", "cpu")


@contextmanager
def trained(
    cfg: RunConfig, grid_resolution: int = GRID, with_probes: bool = True
) -> Iterator[tuple[Trainer, Snapshot]]:
    """Train cfg to its stop on a real Trainer thread (fixed seeds); yields the trainer (for
    requests) and its final snapshot, then closes it."""
    if not (cfg.train.max_steps or cfg.train.max_epochs):
        raise ValueError("a lesson's setup needs train.max_steps or max_epochs")
    trainer = Trainer(
        on_cpu(cfg), with_probes=with_probes, idle_pause_s=None, capped=False,
        grid_resolution=grid_resolution,
    )  # fmt: skip
    try:
        snap = trainer.start().snapshot
        while snap.status not in FINAL:
            time.sleep(POLL_S)
            snap = trainer.latest()
        yield trainer, snap
    finally:
        trainer.close()


def final(cfg: RunConfig) -> Snapshot:
    """The final snapshot of cfg trained to its stop."""
    with trained(cfg) as (_, snap):
        return snap


def run_checks(lessons: Mapping[str, Lesson], names: list[str] | None = None) -> dict[str, Any]:
    """Every lesson's check (or those named): one JSON-ready object, `pass` for all of them."""
    out: dict[str, Any] = {}
    t0 = time.monotonic()
    for name in names or list(lessons):
        start = time.monotonic()
        result = lessons[name].check(lessons[name])
        out[name] = result.to_dict() | {"seconds": round(time.monotonic() - start, 2)}
    passed = all(r["pass"] for r in out.values())
    return {"pass": passed, "seconds": round(time.monotonic() - t0, 2), "lessons": out}
