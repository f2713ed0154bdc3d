"""RunInfo (what a run is, published once per build) and Ack (a command's acknowledgement)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from playground.config import RunConfig, Task
from playground.data.plane import DOMAIN
from playground.train.snapshot import Snapshot


def frozen(a: Any) -> np.ndarray:
    """A private read-only NumPy copy (of an array or a CPU tensor)."""
    arr = np.array(a.detach().cpu().numpy() if hasattr(a, "detach") else a, copy=True)
    arr.setflags(write=False)
    return arr


def frozen_or_none(a: Any) -> np.ndarray | None:
    """frozen(a), or None for None."""
    return None if a is None else frozen(a)


def read_only(mapping: dict[str, Any]) -> MappingProxyType:
    """A mapping the reader cannot change (its arrays must be frozen already)."""
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare by identity
class RunInfo:
    """Everything about a run that does not change while it trains: the UI's description of it.

    Built by the learner when the run is built (and again on Reset); arrays are read-only copies.
    """

    config: RunConfig
    kind: str  # the learner's name: "supervised", ...
    task: Task
    n_classes: int  # 0 for regression
    feature_names: tuple[str, ...]  # the network's inputs
    input_shape: tuple[int, ...]  # one example: (F,) or (1, 8, 8)
    output_units: int  # units of the output layer
    layer_names: tuple[str, ...]  # trainable layers: "dense 1", ..., "output"
    n_train: int
    n_test: int
    y_train: np.ndarray  # (N,) class index or regression target
    y_test: np.ndarray
    points_train: np.ndarray | None = None  # (N, 2) x1, x2 of a 2-D set; None otherwise
    points_test: np.ndarray | None = None
    images_test: np.ndarray | None = None  # (N, 1, 8, 8) test images; None for other data
    mean_image: np.ndarray | None = None  # (1, 8, 8) the mean training image
    resolution: int = 0  # cells per side of the output grids (2-D data); 0 without grids
    grid_bound: float = DOMAIN  # grids span [-grid_bound, grid_bound]^2
    input_grids: np.ndarray | None = None  # (F, R, R) every input feature over the plane
    device: str = "cpu"

    @property
    def is_2d(self) -> bool:
        """True for the 2-D toy sets, whose points and grids can be drawn on the plane."""
        return self.points_train is not None

    @property
    def is_classification(self) -> bool:
        return self.task == Task.CLASSIFICATION


@dataclass(frozen=True)
class Ack:
    """A command's acknowledgement: the newest snapshot when the wait ended, and how it ended.

    done: the command was applied (for step(n): its n steps were taken, or the run stopped them:
    a divergence or a stop condition); False when the bounded wait ran out first.
    error: the command failed with this message (the run goes on); "" otherwise.
    """

    snapshot: Snapshot
    done: bool
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.done and not self.error
