"""Presets of autoencoder runs (merged into playground.presets.PRESETS)."""

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
from playground.settings.ae import AeVariant, AutoencoderConfig

_ENCODER = ModelConfig(
    layers=tuple(
        LayerSpec(units=u, activation=Activation.ELU, init=Init.KAIMING_UNIFORM) for u in (64, 32)
    )
)  # the decoder mirrors it: 32-64, then 64 sigmoid pixels
_DIGITS = DataConfig(name=DatasetName.DIGITS, n_samples=1797, train_ratio=0.7)  # every digit
_TRAIN = TrainConfig(optimizer=Optimizer.ADAM, lr=0.003, batch_size=64, max_steps=3000)


def _digits(variant: AeVariant) -> RunConfig:
    return RunConfig(
        kind=ModelKind.AUTOENCODER, data=_DIGITS, model=_ENCODER, train=_TRAIN,
        ae=AutoencoderConfig(variant=variant),
    )  # fmt: skip


PRESETS: dict[str, tuple[str, RunConfig]] = {
    "ae-digits": (
        "autoencoder on digits, 64-32-2-32-64 ELU, Adam: test MSE below PCA with 2 components",
        _digits(AeVariant.PLAIN),
    ),
    "vae-digits": (
        "variational autoencoder on digits, 2-D latent, beta 0.05: test MSE and KL",
        _digits(AeVariant.VAE),
    ),
}
