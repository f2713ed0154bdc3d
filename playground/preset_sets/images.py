"""Presets of images runs (merged into playground.presets.PRESETS): augmentation and transfer."""

from __future__ import annotations

import dataclasses

from playground.config import (
    Activation,
    DataConfig,
    DatasetName,
    Init,
    LayerSpec,
    Loss,
    ModelConfig,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.settings.images import AugmentConfig, TransferConfig

_DIGITS = DataConfig(name=DatasetName.DIGITS, n_samples=1797, train_ratio=0.7)
_MLP = ModelConfig(layers=(LayerSpec(units=64, activation=Activation.RELU,
                                     init=Init.KAIMING_UNIFORM),))  # fmt: skip
_TRAIN = TrainConfig(
    loss=Loss.CROSS_ENTROPY, optimizer=Optimizer.ADAM, lr=0.003, batch_size=32, max_steps=2000
)
_SHIFTED_TEST = AugmentConfig(test_shift=1.0)

PRESETS: dict[str, tuple[str, RunConfig]] = {
    "digits-augment": (
        ("8x8 digits, MLP 64 ReLU trained on shifted, turned, zoomed copies (1 px, 10 deg, "
         "10%); tested on the plain and on a 1-pixel-shifted test set"),
        RunConfig(data=_DIGITS, model=_MLP, train=_TRAIN,
                  augment=dataclasses.replace(_SHIFTED_TEST, shift=1.0, rotate=10.0, scale=0.1)),
    ),
    "digits-augment-off": (
        "digits-augment's baseline: the same run without augmentation",
        RunConfig(data=_DIGITS, model=_MLP, train=_TRAIN, augment=_SHIFTED_TEST),
    ),
    "digits-transfer": (
        ("8x8 digits, MLP 64 ReLU pretrained on 0-4 (1000 steps), fine-tuned on 10 labelled "
         "examples of each of 5-9 (200 steps) vs the same network from scratch"),
        RunConfig(data=_DIGITS, model=_MLP,
                  train=dataclasses.replace(_TRAIN, max_steps=200),
                  transfer=TransferConfig(demo=True, per_class=10, pretrain_steps=1000)),
    ),
}  # fmt: skip
