"""Which learner trains a run: RunConfig.kind -> the module that builds its learner.

Each kind's module exposes `learner(cfg, *, dataset, with_probes, grid_resolution,
initial_state)` returning the Trainer's factory (a callable that builds a fresh learner, called
again on Reset). Modules are imported on first use, so a kind costs nothing until it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import torch

from playground.choices import ModelKind
from playground.config import RunConfig
from playground.train.learner import Learner

MODULES: dict[ModelKind, str] = {
    ModelKind.SUPERVISED: "playground.train.supervised",
    ModelKind.SEQUENCE: "playground.train.sequence",
    ModelKind.AUTOENCODER: "playground.train.autoencoder",
    ModelKind.GAN: "playground.train.gan",
    ModelKind.SOM: "playground.train.som",
}


def learner_factory(
    cfg: RunConfig,
    *,
    dataset: Any = None,
    with_probes: bool = True,
    grid_resolution: int = 100,
    initial_state: dict[str, torch.Tensor] | None = None,
) -> Callable[[], Learner]:
    """The Trainer's learner factory for cfg's model kind."""
    module = importlib.import_module(MODULES[cfg.kind])
    return module.learner(
        cfg, dataset=dataset, with_probes=with_probes, grid_resolution=grid_resolution,
        initial_state=initial_state,
    )  # fmt: skip
