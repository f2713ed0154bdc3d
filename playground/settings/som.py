"""Settings of self-organising map runs: RunConfig.som."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from playground.choices import POINT_SETS, TWO_D_SETS, DatasetName, ModelKind
from playground.settings.base import check_range, fail
from playground.settings.section import Section

SOM_SETS = TWO_D_SETS | POINT_SETS | {DatasetName.DIGITS}  # 2-D points, or 8x8 images
MAX_SIDE = 40  # units per side of the map


class Topology(str, Enum):
    SQUARE = "square"  # 4 neighbours per unit
    HEXAGONAL = "hexagonal"  # 6 neighbours: odd rows shifted by half a unit


class SomInit(str, Enum):
    UNIFORM = "uniform"  # prototypes uniform over the training data's bounding box
    SAMPLE = "sample"  # prototypes at randomly chosen training points


@dataclass(frozen=True)
class SomConfig(Section):
    width: int = 10  # units per row
    height: int = 10  # rows
    topology: Topology = Topology.HEXAGONAL
    lr: float = 0.5  # learning rate at step 0 ...
    lr_end: float = 0.01  # ... decaying exponentially to this at decay_steps, then held
    radius: float = 0.0  # neighbourhood radius sigma at step 0, in grid units; 0 = max(w, h) / 2
    radius_end: float = 0.5  # sigma at decay_steps and after
    decay_steps: int = 5000  # steps (one training example each) over which lr and sigma decay
    init: SomInit = SomInit.UNIFORM

    def __post_init__(self) -> None:
        check_range("som.width", self.width, 1, MAX_SIDE)
        check_range("som.height", self.height, 1, MAX_SIDE)
        if self.width * self.height < 2:
            fail("som.width", "a map needs at least 2 units (width x height)")
        check_range("som.lr", self.lr, 1e-6, 1.0)
        check_range("som.lr_end", self.lr_end, 1e-6, 1.0)
        check_range("som.radius", self.radius, 0.0, 2.0 * MAX_SIDE)
        check_range("som.radius_end", self.radius_end, 0.01, 2.0 * MAX_SIDE)
        check_range("som.decay_steps", self.decay_steps, 1, 10**9)

    @property
    def radius_start(self) -> float:
        """sigma at step 0 (the default: half the map's longer side)."""
        return self.radius or max(self.width, self.height) / 2

    def check_run(self, run: Any) -> None:
        if run.kind != ModelKind.SOM:
            return
        if run.data.name not in SOM_SETS:
            fail("data.name", f"a self-organising map trains on 2-D points or digits, got "
                 f"{run.data.name.value!r}")  # fmt: skip
        if self.radius and self.radius_end > self.radius:
            fail("som.radius_end", f"must not exceed som.radius ({self.radius}), "
                 f"got {self.radius_end}")  # fmt: skip
