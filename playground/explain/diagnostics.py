"""Gradient-health flags and activation statistics per layer, read from a run's history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from playground.train.snapshot import LayerProbe, Snapshot

VANISH_RELATIVE = 1e-3  # an early layer's gradient below this fraction of the output layer's
VANISH_ABSOLUTE = 1e-7  # a gradient norm below this is gone, whatever the other layers do
EXPLODE_ABSOLUTE = 1e3  # a gradient norm above this is exploding
EXPLODE_GROWTH = 100.0  # growth over the last few records that counts as exploding
GROWTH_WINDOW = 5  # records looked back for growth and for the median shrink
EXPLODE_MIN_NORM = 1.0  # growth counts as exploding only once the norm is this large
RATIO_TOO_LARGE = 0.1  # |delta w| / |w| per step; about 1e-3 is the usual healthy value
RATIO_JUMP = 1.0  # a past step that moved the weights by more than their own size
RATIO_TOO_SLOW = 1e-5
CONVERGED_LOSS = 0.01  # below this train loss, tiny updates are expected, not a problem

History = dict[str, np.ndarray]


class FlagKind(str, Enum):
    VANISHING = "vanishing"
    EXPLODING = "exploding"
    TOO_LARGE = "too_large"
    TOO_SLOW = "too_slow"


@dataclass(frozen=True)
class Flag:
    """One problem with one layer, explained in a line a student can act on."""

    layer: str
    kind: FlagKind
    message: str


def gradient_health(history: History, names: Sequence[str] = ()) -> list[Flag]:
    """Flags for vanishing or exploding gradients and too large or too small updates, per layer.

    Args:
        history: columns "step", "train_loss", "grad_norm/<layer>" and "update_ratio/<layer>",
            one row per record (Snapshot.history). Step 0 (no gradient yet) is ignored.
        names: layer names, the output layer last; by default read from the columns.
    """
    names = list(names) or [c.split("/", 1)[1] for c in history if c.startswith("grad_norm/")]
    steps = np.asarray(history.get("step", np.empty(0)))
    rows = np.flatnonzero(steps > 0)  # (M,) records after at least one update
    if not len(rows) or not names:
        return []
    norms = {n: _column(history, f"grad_norm/{n}", rows) for n in names}
    ratios = {n: _column(history, f"update_ratio/{n}", rows) for n in names}
    loss = _column(history, "train_loss", rows)
    converged = bool(len(loss)) and math.isfinite(loss[-1]) and loss[-1] < CONVERGED_LOSS
    flags: list[Flag] = []
    for k, name in enumerate(names):
        vanish = _vanishing(name, norms[name], norms[names[-1]], k == len(names) - 1)
        flags += [f for f in (vanish, _exploding(name, norms[name])) if f]
        flags += _update_flags(name, ratios[name], converged or vanish is not None)
    return flags


def snapshot_health(snap: Snapshot) -> list[Flag]:
    """gradient_health over the history plus the snapshot's own, newer per-layer probes."""
    history = dict(snap.history)
    names = [p.name for p in snap.layers]
    last = history.get("step", np.empty(0))
    if snap.layers and snap.step > 0 and (not len(last) or last[-1] < snap.step):
        row: dict[str, float] = {"step": snap.step, "train_loss": snap.train_loss}
        for p in snap.layers:
            row[f"grad_norm/{p.name}"], row[f"update_ratio/{p.name}"] = p.grad_norm, p.update_ratio
        history = {c: np.append(history.get(c, np.full(len(last), np.nan)), v)
                   for c, v in row.items()}  # fmt: skip
    return gradient_health(history, names)


def _column(history: History, name: str, rows: np.ndarray) -> np.ndarray:
    """(M,) float64 values of a column at `rows` (all nan when the column is missing)."""
    col = history.get(name)
    return np.full(len(rows), np.nan) if col is None else np.asarray(col, np.float64)[rows]


def _latest(values: np.ndarray) -> float:
    """The newest non-nan value (inf counts), or nan."""
    keep = values[~np.isnan(values)]
    return float(keep[-1]) if len(keep) else math.nan


def _vanishing(name: str, norm: np.ndarray, out_norm: np.ndarray, is_output: bool) -> Flag | None:
    g = _latest(norm)
    if math.isnan(g):
        return None
    if g == 0.0:
        return Flag(
            name,
            FlagKind.VANISHING,
            f"No gradient reaches {name} (exactly 0): all-zero "
            "weights, or every unit dead or saturated. Try a random init (Xavier, He).",
        )
    if g < VANISH_ABSOLUTE:
        return Flag(
            name,
            FlagKind.VANISHING,
            f"The gradient of {name} has all but vanished "
            f"({g:.1e}): its units are saturated or dead. Try ReLU, He init or a lower lr.",
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = _recent_median(norm / out_norm)  # one batch is noisy: the median of a few
    if not is_output and 0 < shrink < VANISH_RELATIVE:
        return Flag(
            name,
            FlagKind.VANISHING,
            f"Gradients shrink by {1 / shrink:,.0f}x from output"
            f" to {name}: deep sigmoid/tanh stacks saturate; try ReLU or He init.",
        )
    return None


def _recent_median(values: np.ndarray, n: int = GROWTH_WINDOW) -> float:
    """Median of the last n finite values, or nan."""
    finite = values[np.isfinite(values)][-n:]
    return float(np.median(finite)) if len(finite) else math.nan


def _exploding(name: str, norm: np.ndarray) -> Flag | None:
    g = _latest(norm)
    if math.isnan(g):
        return None
    if not math.isfinite(g) or g > EXPLODE_ABSOLUTE:
        return Flag(
            name,
            FlagKind.EXPLODING,
            f"The gradient of {name} explodes ({g:.1e}): lower "
            "the learning rate, or clip gradients.",
        )
    finite = norm[np.isfinite(norm)]
    w = GROWTH_WINDOW // 2 + 1  # compare the medians of two windows: single batches are noisy
    if len(finite) < 2 * w:
        return None
    now, before = float(np.median(finite[-w:])), float(np.median(finite[-2 * w : -w]))
    if now > EXPLODE_MIN_NORM and now > EXPLODE_GROWTH * before:
        return Flag(
            name,
            FlagKind.EXPLODING,
            f"The gradient of {name} grew {now / before:,.0f}x "
            "over the last records: training is becoming unstable; lower the learning rate.",
        )
    return None


def _update_flags(name: str, ratio: np.ndarray, quiet_ok: bool) -> list[Flag]:
    r = _latest(ratio)
    finite = ratio[np.isfinite(ratio)]
    jump = float(finite.max()) if len(finite) else math.nan
    if math.isfinite(r) and r > RATIO_TOO_LARGE:
        return [
            Flag(
                name,
                FlagKind.TOO_LARGE,
                f"Updates too large: each step changes {name}'s "
                f"weights by {r:.0%} of their size (healthy ~0.1%); lower the learning rate.",
            )
        ]
    flags = []
    if jump > RATIO_JUMP:
        flags.append(Flag(name, FlagKind.TOO_LARGE, f"One update moved {name}'s weights by "
                          f"{jump:.1f}x their size: a jump like that saturates or kills units; "
                          "lower the learning rate and reset."))  # fmt: skip
    if math.isfinite(r) and r < RATIO_TOO_SLOW and not quiet_ok:
        flags.append(
            Flag(
                name,
                FlagKind.TOO_SLOW,
                f"Learning too slow: {name}'s weights change "
                f"by only {r:.0e} of their size per step; raise the learning rate.",
            )
        )
    return flags


def activation_summary(layers: Sequence[LayerProbe]) -> list[dict[str, Any]]:
    """One table row per layer: activation, dead %, saturated % and the mean and spread of its
    outputs on the probe batch (estimated from the activation histogram)."""
    rows = []
    for p in layers:
        mean, std = _hist_moments(*p.act_hist)
        rows.append(
            {
                "layer": p.name,
                "activation": p.activation,
                "dead %": _percent(p.dead_fraction),
                "saturated %": _percent(p.saturated_fraction),
                "mean": mean,
                "std": std,
            }
        )
    return rows


def _percent(fraction: float) -> float | None:
    return None if math.isnan(fraction) else 100.0 * fraction


def _hist_moments(counts: np.ndarray, edges: np.ndarray) -> tuple[float, float]:
    """(mean, standard deviation) of values binned as counts (B,) over edges (B+1,)."""
    total = float(np.sum(counts))
    if total <= 0:
        return math.nan, math.nan
    centres = (edges[:-1] + edges[1:]).astype(np.float64) / 2  # (B,)
    mean = float(np.sum(counts * centres) / total)
    var = float(np.sum(counts * (centres - mean) ** 2) / total)
    return mean, math.sqrt(max(var, 0.0))
