"""Presets of gan runs (merged into playground.presets.PRESETS)."""

from __future__ import annotations

from playground.config import (
    Activation,
    DataConfig,
    DatasetName,
    Init,
    LayerSpec,
    ModelConfig,
    ModelKind,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.settings.gan import GanConfig

SMILE = ((-2.5, 2.0), (2.5, 2.0), (-3.5, -1.0), (-1.5, -2.5), (1.5, -2.5), (3.5, -1.0))


def _dense(n: int, units: int) -> tuple[LayerSpec, ...]:
    spec = LayerSpec(units=units, activation=Activation.LEAKY_RELU, init=Init.KAIMING_UNIFORM)
    return (spec,) * n


def gan_run(
    name: DatasetName = DatasetName.RING,
    steps: int = 2000,
    g_lr: float = 0.001,
    d_lr: float = 0.001,
    points: tuple[tuple[float, float], ...] = (),
) -> RunConfig:
    """A GAN on a point set: G noise(2) -> 3 x 64 leaky ReLU -> (x1, x2); D 2 x 64 -> logit;
    Adam with beta1 0.5 (the DCGAN paper's), batch 128, non-saturating loss, k = 1."""
    return RunConfig(
        kind=ModelKind.GAN,
        data=DataConfig(name=name, n_samples=2000),
        model=ModelConfig(layers=_dense(3, 64)),
        train=TrainConfig(
            optimizer=Optimizer.ADAM,
            lr=g_lr,
            beta1=0.5,
            batch_size=128,
            max_steps=steps,
            eval_every=50,
        ),
        gan=GanConfig(d_layers=_dense(2, 64), d_lr=d_lr, points=points),
    )


PRESETS: dict[str, tuple[str, RunConfig]] = {
    "gan-ring": (
        "GAN on a ring of 8 Gaussians: covers >= 6 of the 8 modes (Adam, both lr 0.001)",
        gan_run(),
    ),
    "gan-ring-collapse": (
        (
            "the same GAN with the generator 100x faster than the discriminator (lr 0.01 vs "
            "0.0001): mode collapse, 0-2 of 8 modes covered"
        ),
        gan_run(g_lr=0.01, d_lr=0.0001),
    ),
    "gan-moons": (
        "GAN on two moons (no modes: compare the samples by eye)",
        gan_run(DatasetName.MOONS),
    ),
    "gan-line": ("GAN on a noisy line segment", gan_run(DatasetName.LINE)),
    "gan-points": (
        "GAN on 6 drawn points (a smile): each point is a mode to cover",
        gan_run(DatasetName.POINTS, points=SMILE),
    ),
}
