"""Snapshot (immutable copy of progress) and a bounded History."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.data.plane import DOMAIN

if TYPE_CHECKING:
    from playground.train.learner import Learner

HISTORY_POINTS = 2_000
PROBE_HISTORY_POINTS = 200  # layer probes (histograms) kept over time for scrubbing


class Status(str, Enum):
    IDLE = "idle"
    RUNNING = "running"
    WAITING = "waiting"  # asked to run, waiting for a free slot on the server
    PAUSED = "paused"
    DONE = "done"
    DIVERGED = "diverged"
    FAILED = "failed"
    CLOSED = "closed"


class History:
    """Bounded series: when full, every other point is dropped and the keep-stride doubles.

    Memory stays at `capacity` rows whatever the run length; recent and old parts of the run
    keep the same resolution, so a long curve still looks like the run.
    """

    def __init__(self, columns: tuple[str, ...], capacity: int = HISTORY_POINTS) -> None:
        self.columns = columns
        self.capacity = capacity
        self._rows = np.full((capacity, len(columns)), np.nan, dtype=np.float64)
        self._n = 0
        self._stride = 1
        self._offered = 0

    def append(self, row: list[float]) -> None:
        """Offer one row; it is kept if it falls on the current stride."""
        self._offered += 1
        if (self._offered - 1) % self._stride:
            return
        if self._n == self.capacity:
            kept = self._rows[: self._n : 2].copy()
            self._n = len(kept)
            self._rows[: self._n] = kept
            self._rows[self._n :] = np.nan
            self._stride *= 2
            if (self._offered - 1) % self._stride:
                return
        self._rows[self._n] = row
        self._n += 1

    def __len__(self) -> int:
        return self._n

    def arrays(self) -> Mapping[str, np.ndarray]:
        """Private read-only float64 copies of every column, oldest first."""
        data = self._rows[: self._n].T.copy()  # (columns, n): each column contiguous
        data.setflags(write=False)
        return MappingProxyType({c: data[i] for i, c in enumerate(self.columns)})

    def last(self, column: str) -> float:
        """The newest value of a column (nan when empty)."""
        return float(self._rows[self._n - 1, self.columns.index(column)]) if self._n else math.nan


@dataclass(frozen=True)
class LayerProbe:
    """One trainable layer at publishing time (arrays are float32 copies)."""

    name: str  # "dense 1", "conv 2", "output"
    activation: str
    weights: np.ndarray  # (out, in) or (out, in, k, k)
    bias: np.ndarray  # (out,)
    grad_norm: float  # L2 norm of the weight gradient of the last step
    update_ratio: float  # |delta w| / |w| of the last measured step
    weight_hist: tuple[np.ndarray, np.ndarray]  # (counts (B,), edges (B+1,))
    grad_hist: tuple[np.ndarray, np.ndarray]
    act_hist: tuple[np.ndarray, np.ndarray]  # outputs of its activation on a probe batch
    dead_fraction: float  # ReLU units silent on the whole probe batch; nan if not ReLU
    saturated_fraction: float  # tanh/sigmoid outputs near their limits; nan otherwise


@dataclass(frozen=True)
class Snapshot:
    """What the UI may read: plain numbers and private NumPy copies, never live tensors."""

    seq: int  # the last command applied; the UI waits for this echo
    step: int
    epoch: int
    status: Status
    message: str = ""
    device: str = "cpu"
    lr: float = math.nan
    train_loss: float = math.nan
    test_loss: float = math.nan
    train_accuracy: float = math.nan
    test_accuracy: float = math.nan
    steps_per_s: float = 0.0
    examples_per_s: float = 0.0
    history: Mapping[str, np.ndarray] = field(default_factory=lambda: MappingProxyType({}))
    layers: tuple[LayerProbe, ...] = ()
    grid: np.ndarray | None = None  # (K, R, R) output over the 2-D domain; None for non-2-D data
    neuron_grids: tuple[np.ndarray, ...] = ()  # per hidden layer (units, R, R)
    grid_bound: float = DOMAIN  # the grid spans [-grid_bound, grid_bound]^2
    test_output: np.ndarray | None = None  # (N_test, K) displayed output on the test set
    probe_error: str = ""  # a probe that failed; the run goes on without it
    probe_history: tuple[tuple[int, tuple[LayerProbe, ...]], ...] = ()  # (step, layers), bounded
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # other probes

    @property
    def is_active(self) -> bool:
        """True while the run is moving on its own (the page should keep refreshing)."""
        return self.status in (Status.RUNNING, Status.WAITING)

    def nbytes(self) -> int:
        """Bytes of array data held (the snapshot's size)."""
        arrays = [*self.history.values(), *self.neuron_grids]
        arrays += [a for a in (self.grid, self.test_output) if a is not None]
        for layer in self.layers:
            arrays += [layer.weights, layer.bias, *layer.weight_hist, *layer.grad_hist]
            arrays += [*layer.act_hist]
        return int(sum(a.nbytes for a in arrays))


def seal(value: Any) -> Any:
    """Make every NumPy array inside value (tuples, lists, dicts, dataclasses) read-only, in
    place, and return value. The arrays must be private copies already."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, (tuple, list)):
        for v in value:
            seal(v)
    elif isinstance(value, Mapping):
        for v in value.values():
            seal(v)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            seal(getattr(value, f.name))
    return value


def progress_snapshot(
    learner: Learner,
    history: History,
    probes: dict[str, Any],
    *,
    seq: int,
    status: Status,
    message: str,
    steps_per_s: float,
) -> Snapshot:
    """A Snapshot of a learner now: progress numbers, history, and its probes (sealed); probe
    keys that are not Snapshot fields go into Snapshot.extra."""
    probes = {k: v if k == "probe_history" else seal(v) for k, v in probes.items()}
    extra = {k: probes.pop(k) for k in list(probes) if k not in _FIELDS}
    cols = history.columns

    def last(column: str) -> float:
        return history.last(column) if column in cols else math.nan

    return Snapshot(
        seq=seq,
        step=learner.step_count,
        epoch=learner.epoch,
        status=status,
        message=message,
        device=learner.device.type,
        lr=learner.lr,
        train_loss=last("train_loss"),
        test_loss=last("test_loss"),
        train_accuracy=last("train_accuracy"),
        test_accuracy=last("test_accuracy"),
        steps_per_s=steps_per_s,
        examples_per_s=steps_per_s * learner.cfg.train.batch_size,
        history=history.arrays(),
        grid_bound=learner.info.grid_bound,
        extra=MappingProxyType(extra),
        **probes,
    )


_FIELDS = frozenset(f.name for f in fields(Snapshot))
