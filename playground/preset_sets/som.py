"""Presets of som runs (merged into playground.presets.PRESETS).

Each one's last JSON line carries `quantisation_error` (on the test set) and
`random_quantisation_error` (as many prototypes drawn uniformly over the training data's
bounding box): the map's is less than half of it.
"""

from __future__ import annotations

from playground.config import DataConfig, DatasetName, ModelKind, RunConfig, TrainConfig
from playground.settings.som import SomConfig

PRESETS: dict[str, tuple[str, RunConfig]] = {
    "som-2d": (
        "self-organising map, 10 x 10 hexagonal, on two moons (an elastic net over the points)",
        RunConfig(
            kind=ModelKind.SOM,
            data=DataConfig(name=DatasetName.MOONS),
            som=SomConfig(width=10, height=10, decay_steps=10_000),
            train=TrainConfig(max_steps=10_000),
        ),
    ),
    "som-digits": (
        "self-organising map, 12 x 12 hexagonal, on 8x8 digits (each prototype an image)",
        RunConfig(
            kind=ModelKind.SOM,
            data=DataConfig(name=DatasetName.DIGITS, n_samples=1797, train_ratio=0.7),
            som=SomConfig(width=12, height=12, decay_steps=20_000),
            train=TrainConfig(max_steps=20_000),
        ),
    ),
}
