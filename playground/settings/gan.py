"""Settings of GAN runs on 2-D points: RunConfig.gan.

The generator's hidden layers are the run's `model.layers` (noise -> layers -> 2 linear outputs);
the discriminator's hidden layers are `gan.d_layers` (x1, x2 -> layers -> 1 logit). The
generator learns at `train.lr` (changeable live), the discriminator at `gan.d_lr`; both use
`train.optimizer` and its betas / momentum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

from playground.choices import (
    MAX_LAYERS,
    POINT_SETS,
    Activation,
    DatasetName,
    Init,
    LayerKind,
    ModelKind,
)
from playground.settings.base import LayerSpec, check_range, fail
from playground.settings.section import Section

POINT_BOUND = 6.0  # drawn points lie in the plane [-6, 6]^2 (data.plane.DOMAIN; a test checks)
MAX_POINTS = 64  # drawn points: each is a mode the generator should cover
MAX_NOISE_DIM = 16
GAN_LAYERS = frozenset({LayerKind.DENSE, LayerKind.DROPOUT, LayerKind.BATCHNORM})


class GanLoss(str, Enum):
    NON_SATURATING = "non_saturating"  # G minimises -log D(G(z)) (Goodfellow et al. 2014, §3)
    MINIMAX = "minimax"  # G minimises log(1 - D(G(z))): the game's value; its gradient vanishes
    # where D rejects the fakes confidently, which is how training starts


@dataclass(frozen=True)
class GanConfig(Section):
    d_layers: tuple[LayerSpec, ...] = (
        LayerSpec(units=32, activation=Activation.LEAKY_RELU, init=Init.KAIMING_UNIFORM),
        LayerSpec(units=32, activation=Activation.LEAKY_RELU, init=Init.KAIMING_UNIFORM),
    )  # the discriminator's hidden layers
    d_lr: float = 0.001  # the discriminator's learning rate (the generator's is train.lr)
    k_steps: int = 1  # discriminator updates per generator update
    loss: GanLoss = GanLoss.NON_SATURATING
    noise_dim: int = 2  # the generator's input: z ~ N(0, I) of this many dimensions
    points: tuple[tuple[float, float], ...] = ()  # data.name "points": the drawn (x1, x2) modes

    def __post_init__(self) -> None:
        check_range("gan.d_lr", self.d_lr, 1e-7, 10.0)
        check_range("gan.k_steps", self.k_steps, 1, 10)
        check_range("gan.noise_dim", self.noise_dim, 1, MAX_NOISE_DIM)
        if len(self.d_layers) > MAX_LAYERS:
            fail("gan.d_layers", f"at most {MAX_LAYERS} layers, got {len(self.d_layers)}")
        _check_layers("gan.d_layers", self.d_layers)
        check_points(self.points)

    def check_run(self, run: Any) -> None:
        """GAN settings only with kind 'gan'; kind 'gan' only on a point set."""
        name = run.data.name
        if run.kind != ModelKind.GAN:
            if self != GanConfig():
                fail("gan", f"GAN settings need kind 'gan', got {run.kind.value!r}")
            if name == DatasetName.POINTS:
                fail("data.name", "'points' are the GAN's drawn points; train them with kind 'gan'")
            return
        if name not in POINT_SETS:
            fail("data.name", f"a GAN learns a point set {sorted(s.value for s in POINT_SETS)}, "
                 f"got {name.value!r}")  # fmt: skip
        if (name == DatasetName.POINTS) != bool(self.points):
            fail("gan.points", "give points exactly when data.name is 'points'" if self.points
                 else "data.name 'points' needs at least one point")  # fmt: skip
        _check_layers("model.layers", run.model.layers)


def _check_layers(path: str, layers: tuple[LayerSpec, ...]) -> None:
    """A GAN's networks map flat vectors: dense, dropout and batchnorm layers only."""
    for i, spec in enumerate(layers):
        if spec.kind not in GAN_LAYERS:
            allowed = sorted(k.value for k in GAN_LAYERS)
            fail(f"{path}[{i}]", f"a GAN's networks take {allowed} layers, got {spec.kind.value}")


def check_points(points: tuple[tuple[float, ...], ...]) -> None:
    """Each point is two finite numbers inside the plane [-POINT_BOUND, POINT_BOUND]^2."""
    if len(points) > MAX_POINTS:
        fail("gan.points", f"at most {MAX_POINTS} points, got {len(points)}")
    for i, p in enumerate(points):
        if len(p) != 2:
            fail(f"gan.points[{i}]", f"expected two numbers (x1, x2), got {len(p)}")
        if not all(math.isfinite(v) and -POINT_BOUND <= v <= POINT_BOUND for v in p):
            bound = f"{-POINT_BOUND:g} and {POINT_BOUND:g}"
            fail(f"gan.points[{i}]", f"x1 and x2 must be between {bound}, got {tuple(p)}")
