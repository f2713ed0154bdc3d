"""What the lessons measure, on a run's final snapshot or its learner (the project's own probes,
diagnostics, loss functions and requests; nothing re-implemented)."""

from __future__ import annotations

import math

import numpy as np
import torch

from playground.config import RunConfig
from playground.explain.diagnostics import GROWTH_WINDOW, FlagKind, snapshot_health
from playground.lessons.lesson import on_cpu
from playground.train.kinds import learner_factory
from playground.train.snapshot import Snapshot
from playground.train.trainer import Trainer


def neuron_spread(snap: Snapshot, layer: int = 0) -> float:
    """The largest difference between any neuron's output map and the first neuron's, over the
    grid, in hidden layer `layer` (0 when its neurons are identical)."""
    maps = snap.neuron_grids[layer]  # (units, R, R)
    return float(np.abs(maps - maps[:1]).max())


def gradient_ratio(snap: Snapshot) -> float:
    """First layer's weight-gradient norm over the output layer's: the median of the last
    records (the window the diagnostics use; one batch alone is noisy)."""
    names = [p.name for p in snap.layers]
    first = np.asarray(snap.history[f"grad_norm/{names[0]}"], np.float64)
    last = np.asarray(snap.history[f"grad_norm/{names[-1]}"], np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = first / last
    ratio = ratio[np.isfinite(ratio)][-GROWTH_WINDOW:]
    return float(np.median(ratio)) if len(ratio) else math.nan


def vanishing_layers(snap: Snapshot) -> list[str]:
    """The layers the diagnostics flag as vanishing (the Diagnostics view's warnings)."""
    return [f.layer for f in snapshot_health(snap) if f.kind == FlagKind.VANISHING]


def dead_share(snap: Snapshot) -> float:
    """Share of hidden ReLU units silent on every probe input (the probes' dead fraction,
    weighted by each layer's units)."""
    hidden = [p for p in snap.layers[:-1] if not math.isnan(p.dead_fraction)]
    units = np.array([p.weights.shape[0] for p in hidden], np.float64)
    dead = np.array([p.dead_fraction for p in hidden], np.float64)
    return float((units * dead).sum() / units.sum()) if len(hidden) else math.nan


def all_weights(snap: Snapshot) -> np.ndarray:
    """Every layer's weights (not biases), flattened."""
    return np.concatenate([p.weights.ravel() for p in snap.layers])


def near_zero_share(snap: Snapshot, tol: float) -> float:
    """Share of the weights within tol of 0."""
    return float(np.mean(np.abs(all_weights(snap)) < tol))


def loss_rise(snap: Snapshot) -> tuple[float, float, float]:
    """(final test loss / lowest test loss, train loss where the test loss was lowest, final
    train loss) from the run's history."""
    test = np.asarray(snap.history["test_loss"], np.float64)
    train = np.asarray(snap.history["train_loss"], np.float64)
    best = int(np.nanargmin(test))
    return float(test[-1] / test[best]), float(train[best]), float(train[-1])


def gradient_noise(cfg: RunConfig, batch_size: int, draws: int = 32, seed: int = 0) -> float:
    """How far a batch's gradient is from the full training set's, at cfg's initial weights:
    the mean of |g_batch - g| / |g| over `draws` random batches (the learner's own model, data
    and loss; the batches are drawn with a fixed seed)."""
    learner = learner_factory(on_cpu(cfg), with_probes=False)()
    model, loss_fn = learner.model, learner.loss_fn
    X, t = learner.X_train, learner.t_train
    params = [p for p in model.parameters() if p.requires_grad]

    def grad(idx: torch.Tensor) -> torch.Tensor:
        loss = loss_fn(model(X[idx]), t[idx])
        return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])

    full = grad(torch.arange(X.shape[0]))
    g = torch.Generator().manual_seed(seed)
    errors = [
        float((grad(torch.randperm(X.shape[0], generator=g)[:batch_size]) - full).norm())
        for _ in range(draws)
    ]
    return float(np.mean(errors) / float(full.norm()))


def deletion_drops(
    trainer: Trainer, method: str, n_examples: int, k: int, seed: int = 0
) -> tuple[float, float]:
    """Mean drop of the predicted class's probability when the k pixels `method` ranks highest
    are blacked out, and when k random pixels of the digit's ink are (test digits 0..n-1)."""
    images = np.asarray(trainer.info.images_test[:n_examples])  # (N, 1, 8, 8)
    rng = np.random.default_rng(seed)
    salient, random = [], []
    for x in images:
        answer = trainer.ask("saliency", x=x, methods=(method,))
        p0, target = float(answer["probs"][answer["target"]]), answer["target"]
        top = np.argsort(-np.abs(answer["maps"][method]).ravel())[:k]
        ink = np.flatnonzero(x.ravel() > 0)
        pick = rng.choice(ink, size=min(k, len(ink)), replace=False)
        for where, out in ((top, salient), (pick, random)):
            blank = x.copy().reshape(-1)
            blank[where] = 0.0
            probs = trainer.ask("predict_proba", x=blank.reshape(1, *x.shape))
            out.append(p0 - float(probs[0, target]))
    return float(np.mean(salient)), float(np.mean(random))
