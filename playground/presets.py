"""Named RunConfigs that reach a good result headless with their default steps."""

from __future__ import annotations

from playground.config import (
    FEATURES,
    Activation,
    DataConfig,
    DatasetName,
    Init,
    LayerKind,
    LayerSpec,
    Loss,
    ModelConfig,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.preset_sets import autoencoder, gan, images, sequence, som


def _dense(*units: int, act: Activation = Activation.TANH, init: Init = Init.XAVIER_UNIFORM):
    return tuple(LayerSpec(units=u, activation=act, init=init) for u in units)


def _toy(name: DatasetName, layers, steps: int, loss: Loss = Loss.SQUARE, **data) -> RunConfig:
    """A 2-D toy with TensorFlow Playground's training: SGD lr 0.03, batch 10, square loss."""
    return RunConfig(
        data=DataConfig(name=name, **data),
        model=ModelConfig(layers=layers),
        train=TrainConfig(loss=loss, max_steps=steps),
    )


def _conv(channels: int) -> LayerSpec:
    return LayerSpec(
        kind=LayerKind.CONV2D, channels=channels, activation=Activation.RELU,
        init=Init.KAIMING_UNIFORM,
    )  # fmt: skip


_DIGITS_TRAIN = TrainConfig(
    loss=Loss.CROSS_ENTROPY, optimizer=Optimizer.ADAM, lr=0.003, batch_size=32, max_steps=3000
)

PRESETS: dict[str, tuple[str, RunConfig]] = {
    "circle": (
        "circle, 4-2 tanh on x1, x2 (TensorFlow Playground's default)",
        _toy(DatasetName.CIRCLE, _dense(4, 2), 4000),
    ),
    "xor": ("xor, 8-4 tanh on x1, x2", _toy(DatasetName.XOR, _dense(8, 4), 4000)),
    "gauss": ("two Gaussians, 4-2 tanh", _toy(DatasetName.GAUSS, _dense(4, 2), 1000)),
    "moons": (
        "two moons, 8-8 tanh, mse (not in TensorFlow Playground)",
        _toy(DatasetName.MOONS, _dense(8, 8), 4000, loss=Loss.MSE),
    ),
    "spiral": (
        "spiral, 6 x 8 tanh on all 7 features, SGD lr 0.03 batch 10 (TF Playground's hard case)",
        RunConfig(
            data=DataConfig(name=DatasetName.SPIRAL, features=FEATURES),
            model=ModelConfig(layers=_dense(8, 8, 8, 8, 8, 8, init=Init.PLAYGROUND)),
            train=TrainConfig(loss=Loss.SQUARE, max_steps=30000),
        ),
    ),
    "spiral-3": (
        "three-armed spiral, 3 classes, 8-8-8 tanh, cross-entropy, Adam",
        RunConfig(
            data=DataConfig(name=DatasetName.SPIRAL, n_classes=3, features=FEATURES),
            model=ModelConfig(layers=_dense(16, 16, 16)),
            train=TrainConfig(
                loss=Loss.CROSS_ENTROPY, optimizer=Optimizer.ADAM, lr=0.01, max_steps=8000
            ),
        ),
    ),
    "blobs": (
        "four Gaussian blobs, 4 classes, 8 tanh, cross-entropy",
        RunConfig(
            data=DataConfig(name=DatasetName.BLOBS, n_classes=4),
            model=ModelConfig(layers=_dense(8)),
            train=TrainConfig(loss=Loss.CROSS_ENTROPY, max_steps=3000),
        ),
    ),
    "rbf-circle": (
        "circle, 8 Gaussian RBF units (centres by k-means on the inputs) then the output",
        _toy(DatasetName.CIRCLE, (LayerSpec(kind=LayerKind.RBF, units=8, init=Init.KMEANS),), 2000),
    ),
    "reg-plane": (
        "regression on a plane, 4-2 tanh",
        _toy(DatasetName.REG_PLANE, _dense(4, 2), 3000),
    ),
    "reg-gauss": (
        "regression on six Gaussian bumps, 8-8 tanh",
        _toy(DatasetName.REG_GAUSS, _dense(8, 8), 8000),
    ),
    "digits-mlp": (
        "8x8 digits, MLP 64 ReLU, Adam",
        RunConfig(
            data=DataConfig(name=DatasetName.DIGITS, n_samples=1797, train_ratio=0.7),
            model=ModelConfig(layers=_dense(64, act=Activation.RELU, init=Init.KAIMING_UNIFORM)),
            train=_DIGITS_TRAIN,
        ),
    ),
    "digits-cnn": (
        "8x8 digits, CNN conv8-pool-conv16-pool-dense32, Adam",
        RunConfig(
            data=DataConfig(name=DatasetName.DIGITS, n_samples=1797, train_ratio=0.7),
            model=ModelConfig(
                layers=(
                    _conv(8),
                    LayerSpec(kind=LayerKind.MAXPOOL2D, kernel=2, stride=2),
                    _conv(16),
                    LayerSpec(kind=LayerKind.MAXPOOL2D, kernel=2, stride=2),
                    LayerSpec(units=32, activation=Activation.RELU, init=Init.KAIMING_UNIFORM),
                )
            ),
            train=_DIGITS_TRAIN,
        ),
    ),
}

for _kind in (sequence, autoencoder, gan, som, images):  # each kind's module holds its presets
    PRESETS.update(_kind.PRESETS)


def get_preset(name: str) -> RunConfig:
    """The preset's config; ValueError naming the known presets otherwise."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name][1]
