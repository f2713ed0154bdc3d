"""Variants of one setup along an axis, and CompareRun: one Trainer per variant, side by side."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from playground.config import (
    Activation,
    ConfigError,
    Init,
    LayerKind,
    LayerSpec,
    Optimizer,
    RunConfig,
)
from playground.data.datasets import make_dataset
from playground.train.snapshot import Snapshot
from playground.train.trainer import Trainer

MIN_VARIANTS, MAX_VARIANTS = 2, 6
AXES = ("optimizer", "lr", "batch_size", "activation", "init", "regularization", "depth")
DEFAULT_WIDTH = 4  # units per hidden layer for depth variants of a network with no hidden layer
# Variants train side by side or the comparison is unfair: they don't queue on the server cap.
COMPARE_TRAINER_OPTIONS: dict[str, Any] = {
    "publish_hz": 5.0,
    "grid_resolution": 40,
    "capped": False,
}

PRESETS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "SGD vs momentum vs Adam": ("optimizer", ("sgd", "momentum", "adam")),
    "learning rates 0.001 to 3": ("lr", (0.001, 0.01, 0.03, 0.3, 3.0)),
    "inits": ("init", ("zeros", "normal", "xavier_uniform", "kaiming_uniform")),
    "activations": ("activation", ("tanh", "relu", "sigmoid", "linear")),
}

Variant = tuple[str, RunConfig]


def make_variants(base: RunConfig, axis: str, values: Sequence[Any]) -> list[Variant]:
    """(label, config) per value: `base` with one thing changed; seed and data stay the same.

    Axes: optimizer (name), lr, batch_size, activation (every hidden layer), init (every
    trainable layer), regularization (a float = L2 rate, or "l1:0.01", "l2:0.001", "none"),
    depth (number of hidden dense layers, all like the first; layers before it, such as
    convolutions, stay, and dropout or batch norm after it go).
    """
    if axis not in AXES:
        raise ConfigError(f"compare.axis: unknown {axis!r}; one of {list(AXES)}")
    if not MIN_VARIANTS <= len(values) <= MAX_VARIANTS:
        raise ConfigError(
            f"compare.values: {MIN_VARIANTS} to {MAX_VARIANTS} values, got {len(values)}"
        )
    try:
        variants = [_VARIANT_MAKERS[axis](base, v) for v in values]
    except ConfigError:
        raise
    except ValueError as e:  # an unknown enum name or a number that isn't one
        raise ConfigError(f"compare.values: {e}") from None
    labels = [label for label, _ in variants]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"compare.values: repeated value in {labels}")
    return variants


def _train(base: RunConfig, **changes: Any) -> RunConfig:
    return base.replace(train=dataclasses.replace(base.train, **changes))


def _layers(base: RunConfig, layers: Sequence[LayerSpec]) -> RunConfig:
    return base.replace(model=dataclasses.replace(base.model, layers=tuple(layers)))


def _optimizer(base: RunConfig, value: Any) -> Variant:
    opt = Optimizer(value)
    return opt.value, _train(base, optimizer=opt)


def _lr(base: RunConfig, value: Any) -> Variant:
    lr = float(value)
    return f"lr {lr:g}", _train(base, lr=lr)


def _batch_size(base: RunConfig, value: Any) -> Variant:
    n = int(value)
    return f"batch {n}", _train(base, batch_size=n)


def _activation(base: RunConfig, value: Any) -> Variant:
    act = Activation(value)
    layers = [dataclasses.replace(s, activation=act) if s.is_trainable else s
              for s in base.model.layers]  # fmt: skip
    return act.value, _layers(base, layers)


def _init(base: RunConfig, value: Any) -> Variant:
    init = Init(value)
    layers = [dataclasses.replace(s, init=init) if s.is_trainable else s for s in base.model.layers]
    if not any(s.is_trainable for s in layers):  # the output layer takes the last hidden init
        raise ConfigError("compare.axis: init variants need at least one hidden layer")
    return init.value, _layers(base, layers)


def _regularization(base: RunConfig, value: Any) -> Variant:
    kind, rate = _parse_regularization(value)
    l1, l2 = (rate, 0.0) if kind == "l1" else (0.0, rate)
    label = "no regularization" if rate == 0 else f"{kind.upper()} {rate:g}"
    return label, _train(base, l1=l1, l2=l2)


def _parse_regularization(value: Any) -> tuple[str, float]:
    """("l1" | "l2", rate) from 0.001 (L2), "l1:0.01", "l2 0.001" or "none"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "l2", float(value)
    text = str(value).strip().lower().replace(":", " ").replace("=", " ")
    if text in ("none", "0", ""):
        return "l2", 0.0
    parts = text.split()
    try:
        if len(parts) == 2 and parts[0] in ("l1", "l2"):
            return parts[0], float(parts[1])
        return "l2", float(text)
    except ValueError:
        raise ConfigError(f"compare.values: bad regularization {value!r}; e.g. l2:0.001") from None


def _depth(base: RunConfig, value: Any) -> Variant:
    n = int(value)
    layers = base.model.layers
    first = next((i for i, s in enumerate(layers) if s.kind == LayerKind.DENSE), len(layers))
    template = layers[first] if first < len(layers) else LayerSpec(units=DEFAULT_WIDTH)
    return f"{n} hidden", _layers(base, [*layers[:first], *[template] * n])


_VARIANT_MAKERS = {
    "optimizer": _optimizer,
    "lr": _lr,
    "batch_size": _batch_size,
    "activation": _activation,
    "init": _init,
    "regularization": _regularization,
    "depth": _depth,
}


def parse_values(axis: str, text: str) -> list[Any]:
    """Comma-separated values as typed by a user, converted for `axis`."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    kind = {"lr": float, "batch_size": int, "depth": int}.get(axis)
    if kind is None:
        return items
    values = []
    for item in items:
        if not item.isascii():  # float() takes other scripts' digits; a user meant none
            raise ConfigError(f"compare.values ({axis}): {item[:24]!r} is not a number")
        try:
            values.append(kind(item))
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise ConfigError(f"compare.values ({axis}): {item[:24]!r} is not {what}") from None
    return values


class CompareRun:
    """One Trainer per variant, all on the same data; commands go to every trainer."""

    def __init__(self, variants: Sequence[Variant], **trainer_options: Any) -> None:
        if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
            raise ConfigError(
                f"compare: {MIN_VARIANTS} to {MAX_VARIANTS} variants, got {len(variants)}"
            )
        if len({cfg.data for _, cfg in variants}) != 1:
            raise ConfigError("compare: every variant must use the same data")
        data = make_dataset(variants[0][1].data)  # built once, shared: the same examples for all
        options = COMPARE_TRAINER_OPTIONS | trainer_options
        self.labels = [label for label, _ in variants]
        self.configs = [cfg for _, cfg in variants]
        self.data = data
        self.trainers: list[Trainer] = []
        try:
            for cfg in self.configs:
                self.trainers.append(Trainer(cfg, dataset=data, **options))
        except Exception:
            self.close()
            raise

    def start(self) -> None:
        """Run every variant."""
        for t in self.trainers:
            t.start()

    def pause(self) -> None:
        for t in self.trainers:
            t.pause()

    def reset(self) -> None:
        """Every variant back to step 0, with its initial weights and data order."""
        for t in self.trainers:
            t.reset()

    def step(self, n: int = 1) -> None:
        """Every variant takes exactly n steps."""
        for t in self.trainers:
            t.step(n)

    def set_hparams(self, **changes: Any) -> None:
        """Change live hyperparameters (such as max_steps) of every variant."""
        for t in self.trainers:
            t.set_hparams(**changes)

    def close(self, wait: bool = True) -> None:
        """Stop every thread; with wait=False only signal them (safe from an event loop)."""
        for t in self.trainers:
            t.close(wait=wait)

    def snapshots(self) -> list[Snapshot]:
        """The newest snapshot of every variant, in variant order."""
        return [t.latest() for t in self.trainers]

    @property
    def is_active(self) -> bool:
        """True while any variant is still running."""
        return any(s.is_active for s in self.snapshots())

    def table(self) -> list[dict[str, Any]]:
        """One row per variant: steps, train and test loss and accuracy, status."""
        rows = []
        for label, snap in zip(self.labels, self.snapshots()):
            rows.append(
                {
                    "variant": label,
                    "steps": snap.step,
                    "train loss": _num(snap.train_loss),
                    "test loss": _num(snap.test_loss),
                    "train accuracy": _num(snap.train_accuracy),
                    "test accuracy": _num(snap.test_accuracy),
                    "status": snap.status.value,
                }
            )
        return rows


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None
