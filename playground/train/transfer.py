"""The transfer demonstration (RunConfig.transfer.demo): pretrain on digits 0-4, then fine-tune on a
few labelled examples of 5-9, beside the same network trained from scratch on the same examples.

The pretrained network has its own 5-way output layer; the fine-tuned one keeps every hidden
layer's pretrained weights and gets a fresh 10-way output layer (another number of classes).
The from-scratch twin starts from the fine-tuned network's own fresh initialisation and sees the
same batches in the same order, with the same augmentation draws: the starting weights are the
only difference. Both are tested on the test split's digits 5-9.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from playground.config import ConfigError, RunConfig, TrainConfig
from playground.data.datasets import Dataset
from playground.nn.engine import evaluate
from playground.settings.images import TransferConfig
from playground.train.supervised import SupervisedLearner, resolve_device

PRETRAIN_DIGITS = (0, 1, 2, 3, 4)
FINETUNE_DIGITS = (5, 6, 7, 8, 9)
SCRATCH_COLUMNS = ("scratch_train_loss", "scratch_test_loss", "scratch_test_accuracy")


def _subset(data: Dataset, train: np.ndarray, test: np.ndarray, n_classes: int) -> Dataset:
    return dataclasses.replace(
        data, X_train=data.X_train[train], y_train=data.y_train[train],
        X_test=data.X_test[test], y_test=data.y_test[test], n_classes=n_classes,
    )  # fmt: skip


def split(data: Dataset, per_class: int, seed: int) -> tuple[Dataset, Dataset]:
    """(digits 0-4, every example; digits 5-9, per_class training examples of each digit)."""
    y_train, y_test = data.y_train.numpy(), data.y_test.numpy()
    pre = _subset(data, np.flatnonzero(y_train < 5), np.flatnonzero(y_test < 5), 5)
    rng = np.random.default_rng([seed, 5])
    chosen = []
    for digit in FINETUNE_DIGITS:
        have = np.flatnonzero(y_train == digit)
        if len(have) < per_class:
            raise ConfigError(
                f"transfer.per_class: the training split has only {len(have)} examples of "
                f"digit {digit}; lower it or raise data.n_samples"
            )
        chosen.append(rng.permutation(have)[:per_class])
    fine = _subset(data, np.sort(np.concatenate(chosen)), np.flatnonzero(y_test >= 5), 10)
    return pre, fine


def pretrain(cfg: RunConfig, data: Dataset, device: torch.device) -> tuple[dict, float]:
    """Train cfg's network on digits 0-4 for transfer.pretrain_steps steps: (weights, accuracy)."""
    plain = cfg.replace(transfer=TransferConfig())
    learner = SupervisedLearner(plain, data, device, with_probes=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the Trainer's thread: small networks, per-op overhead
    try:
        for _ in range(cfg.transfer.pretrain_steps):
            learner.train_step()
    finally:
        torch.set_num_threads(threads)
    return learner.checkpoint(), test_accuracy(learner)


def test_accuracy(learner: SupervisedLearner) -> float:
    """The learner's accuracy on its test set, now."""
    m = learner
    return evaluate(m.model, m.X_test, m.t_test, m.y_test, m.loss_fn, True).accuracy


def transfer_learner(
    cfg: RunConfig, data: Dataset, *, with_probes: bool = True, initial_state: Any = None
) -> Callable[[], TransferLearner]:
    """The Trainer's factory: split and pretrain once (first call), a fresh fine-tune each call."""
    if initial_state is not None:  # never ignored in silence
        raise ConfigError("transfer.demo: the demonstration pretrains its own starting weights; "
                          "turn it off to start from given ones")  # fmt: skip
    device = resolve_device(cfg.train.device)
    pre, fine = split(data, cfg.transfer.per_class, cfg.train.seed)
    kept: list[tuple[dict, float]] = []

    def make() -> TransferLearner:
        if not kept:
            kept.append(pretrain(cfg, pre, device))
        state, accuracy = kept[0]
        return TransferLearner(cfg, fine, device, state, accuracy, with_probes=with_probes)

    return make


class TransferLearner(SupervisedLearner):
    """The fine-tuned network (the page's model) and its from-scratch twin, stepped together."""

    def __init__(
        self,
        cfg: RunConfig,
        data: Dataset,
        device: torch.device,
        pretrained: dict[str, torch.Tensor],
        pretrain_accuracy: float,
        *,
        with_probes: bool = True,
    ) -> None:
        super().__init__(cfg, data, device, with_probes=with_probes, initial_state=pretrained)
        self.pretrain_accuracy = pretrain_accuracy
        plain = cfg.replace(transfer=TransferConfig())
        self.scratch = SupervisedLearner(plain, data, device, with_probes=False)

    @property
    def history_columns(self) -> tuple[str, ...]:
        return (*super().history_columns, *SCRATCH_COLUMNS)

    def set_hparams(self, train: TrainConfig) -> None:
        super().set_hparams(train)
        self.scratch.set_hparams(train)

    def train_step(self) -> bool:
        self.scratch.train_step()
        return super().train_step()

    def evaluate(self) -> dict[str, float]:
        s = self.scratch.evaluate()
        return super().evaluate() | {
            "scratch_train_loss": s["train_loss"], "scratch_test_loss": s["test_loss"],
            "scratch_test_accuracy": s["test_accuracy"],
        }  # fmt: skip

    def checkpoint(self) -> dict[str, Any]:
        return {"model": super().checkpoint(), "scratch": self.scratch.checkpoint()}

    def restore(self, checkpoint: dict[str, Any]) -> None:
        super().restore(checkpoint["model"])
        self.scratch.restore(checkpoint["scratch"])

    def is_finite(self) -> bool:
        return super().is_finite() and self.scratch.is_finite()

    def report(self) -> dict[str, Any]:
        """The claim and its baseline: fine-tuned vs from-scratch accuracy on the test 5-9."""
        return {
            "transfer_accuracy": test_accuracy(self),
            "scratch_accuracy": test_accuracy(self.scratch),
            "pretrain_accuracy": self.pretrain_accuracy,  # the pretrained network on 0-4
            "per_class": self.cfg.transfer.per_class,
            "fresh_output_layer": list(self.fresh_head),
        }

    def probes(self) -> dict[str, Any]:
        out = super().probes()
        return out | {"transfer": self.report()} if self.with_probes else out

    def answer(self, name: str, **kwargs: Any) -> Any:
        if name == "report":
            return self.report()
        return super().answer(name, **kwargs)
