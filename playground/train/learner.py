"""The Learner protocol: one model kind (its models, optimizers, data, probes) behind the Trainer.

The Trainer thread is generic: it applies commands, paces and counts steps, decides when to
evaluate, detects divergence, keeps the bounded history and publishes snapshots. A learner knows
its model kind: how to take one step, evaluate, probe, and answer the UI's requests. A new model
kind (a GAN with two models and two optimizers, an autoencoder, a sequence model, a
self-organising map with no gradient at all) is one subclass of `Learner`; the thread is not
touched. The Trainer calls a learner from its own thread only, one call at a time.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import torch

from playground.config import RunConfig, TrainConfig
from playground.nn.engine import make_optimizer, scheduled_lr
from playground.train.runinfo import RunInfo


class RequestError(ValueError):
    """A request the learner cannot answer (unknown, bad arguments, or it failed)."""


class Learner(ABC):
    """One model kind, driven step by step by the Trainer thread.

    Subclasses set `cfg`, `info` and `device` when built; the Trainer keeps `step_count` and
    `epoch` in sync by calling `train_step`. Everything a snapshot carries must be a private,
    read-only copy (see runinfo.frozen): the UI reads it from another thread.
    """

    cfg: RunConfig
    info: RunInfo
    device: torch.device
    step_count: int = 0
    epoch: int = 0

    @property
    @abstractmethod
    def history_columns(self) -> tuple[str, ...]:
        """The columns of `evaluate`'s row, in order; "step", "epoch", "train_loss" and
        "test_loss" are among them (the Trainer reads those)."""

    @abstractmethod
    def train_step(self) -> bool:
        """One update (one batch; or one discriminator + generator round; or one map update).
        Advances step_count (and epoch). Returns True when this step ended an epoch."""

    @abstractmethod
    def evaluate(self) -> dict[str, float]:
        """The model as it is now, measured: one history row keyed by `history_columns`."""

    @property
    @abstractmethod
    def lr(self) -> float:
        """The learning rate in use now (shown in the status line)."""

    @abstractmethod
    def checkpoint(self) -> Any:
        """A private copy of every weight (the last good weights, kept for a divergence)."""

    @abstractmethod
    def restore(self, checkpoint: Any) -> None:
        """Put a checkpoint back and start the optimizers afresh (their moments may be nan)."""

    @abstractmethod
    def is_finite(self) -> bool:
        """True while every weight is a finite number."""

    def steps_to_epoch_end(self, epochs: int = 1) -> int:
        """Steps from here to the end of this epoch and `epochs` - 1 more (for Step by epoch);
        a learner without epochs of data counts one step as one epoch."""
        return epochs

    def set_hparams(self, train: TrainConfig) -> None:
        """Apply live hyperparameters (the Trainer has validated them)."""
        self.cfg = self.cfg.replace(train=train)

    def probes(self) -> dict[str, Any]:
        """Snapshot fields beyond the progress numbers: those the Snapshot names (layers, grid,
        ...) go there, any other key into Snapshot.extra. Called about 10 times a second."""
        return {}

    def answer(self, name: str, **kwargs: Any) -> Any:
        """Answer an on-demand request (feature maps of one example, saliency, ...).

        The request "report", when a learner answers it, gives the figures a headless run
        prints in its last JSON line beside the losses: the claim and its baseline, such as
        {"test_mse": ..., "pca_mse": ...}."""
        raise RequestError(f"{self.info.kind}: no request named {name!r}")

    def set_param(self, layer: int, row: int, col: int | None, value: float) -> None:
        """Set one weight (or, with col None, one bias) by hand."""
        raise RequestError(f"{self.info.kind}: weights cannot be set by hand")

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        """Replace the weights (e.g. from an experiment file)."""
        raise RequestError(f"{self.info.kind}: weights cannot be loaded")


class ModelLearner(Learner):
    """A learner with one torch model (`self.model`) and one optimizer (`self.optimizer`, made by
    `playground.nn.engine.make_optimizer` from the train settings), trained in minibatches of
    `X_train` (`_pos`: where this epoch's order has got to). Its weights are the model's state
    dict; a restore starts the optimizer afresh (its moments may be nan)."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    X_train: torch.Tensor
    _pos: int

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def set_hparams(self, train: TrainConfig) -> None:
        super().set_hparams(train)
        for group in self.optimizer.param_groups:
            group["lr"] = scheduled_lr(train, self.step_count)

    def steps_to_epoch_end(self, epochs: int = 1) -> int:
        n, batch = self.X_train.shape[0], self.cfg.train.batch_size
        per_epoch = math.ceil(n / batch)
        left = math.ceil((n - self._pos) / batch) if self._pos < n else per_epoch
        return left + (epochs - 1) * per_epoch

    def checkpoint(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def restore(self, checkpoint: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(checkpoint)
        self.optimizer = make_optimizer(self.model, self.cfg.train)

    def is_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(state)
