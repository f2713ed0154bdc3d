"""The GAN learner: a generator and a discriminator on 2-D points, two optimizers, k D steps per
G step; probes for the live view (samples, D's probability over the plane, G's gradient).

One train_step is one round: `gan.k_steps` discriminator updates on a real batch and a fake
batch, then one generator update. History columns: train_loss is the generator's loss and
test_loss the discriminator's loss on held-out real points and samples from held-out noise.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.config import Activation, ModelConfig, RunConfig, Task, TrainConfig
from playground.data.plane import DOMAIN
from playground.data.points import PointSet, covered_modes, make_points, mode_counts
from playground.explain.probes import layer_names
from playground.nn.engine import grid_points, make_optimizer
from playground.nn.model import Head, build_model
from playground.settings.gan import GanLoss
from playground.train.learner import Learner, RequestError
from playground.train.runinfo import RunInfo, frozen
from playground.train.supervised import resolve_device

N_EVAL = 1000  # generated samples measured (coverage, losses) and drawn; fixed noise
COLUMNS = ("step", "epoch", "train_loss", "test_loss", "d_loss", "g_loss", "modes_covered",
           "d_real", "d_fake", "lr", "d_lr")  # fmt: skip


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss -mean log D(x) - mean log(1 - D(G(z))), from logits (N, 1).

    log sigmoid(l) = -softplus(-l) and log(1 - sigmoid(l)) = -softplus(l), stable for any l.
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_losses(fake_logits: torch.Tensor, loss: GanLoss) -> torch.Tensor:
    """(N,) the generator's loss per sample: -log D(G(z)), or log(1 - D(G(z))) for minimax."""
    logits = fake_logits.reshape(-1)
    return F.softplus(-logits) if loss == GanLoss.NON_SATURATING else -F.softplus(logits)


def generator_gradient(d: nn.Module, samples: torch.Tensor, loss: GanLoss) -> torch.Tensor:
    """(N, 2) d loss_i / d x_i: each sample's own loss differentiated w.r.t. its position.

    A generator step moves G's weights so that, to first order, samples move along minus this.
    """
    x = samples.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(g_losses(d(x), loss).sum(), x)
    return grad


@contextmanager
def evaluating(*models: nn.Module) -> Iterator[None]:
    """Models in eval mode (dropout off, batchnorm on running stats), restored on exit."""
    modes = [m.training for m in models]
    for m in models:
        m.eval()
    try:
        yield
    finally:
        for m, mode in zip(models, modes):
            m.train(mode)


def gan_learner(
    cfg: RunConfig,
    dataset: PointSet | None = None,
    with_probes: bool = True,
    grid_resolution: int = 100,
    initial_state: dict[str, torch.Tensor] | None = None,
) -> Callable[[], GanLearner]:
    """The Trainer's learner factory: the points are made once, the networks on every Reset."""
    data = dataset if dataset is not None else make_points(cfg.data, cfg.gan.points)
    device = resolve_device(cfg.train.device)
    return lambda: GanLearner(
        cfg, data, device, with_probes=with_probes, grid_resolution=grid_resolution,
        initial_state=initial_state,
    )  # fmt: skip


learner = gan_learner  # the name train/kinds.py looks for


class GanLearner(Learner):
    """Generator noise (noise_dim) -> model.layers -> (x1, x2); discriminator (x1, x2) ->
    gan.d_layers -> one logit."""

    def __init__(
        self,
        cfg: RunConfig,
        data: PointSet,
        device: torch.device,
        *,
        with_probes: bool = True,
        grid_resolution: int = 100,
        initial_state: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.cfg, self.data, self.device, self.with_probes = cfg, data, device, with_probes
        gan, seed = cfg.gan, cfg.train.seed
        linear = Activation.LINEAR
        self.G = build_model(cfg.model, (gan.noise_dim,), Head(2, linear), seed).to(device)
        d_model = ModelConfig(layers=gan.d_layers)
        self.D = build_model(d_model, (2,), Head(1, linear), seed + 1).to(device)
        if initial_state is not None:
            self.load_state(initial_state)
        self._make_optimizers()
        self._noise = torch.Generator().manual_seed(seed)
        self._batch_gen = torch.Generator().manual_seed(seed + 1)
        held = torch.Generator().manual_seed(seed + 2)  # fixed noise: a steady view of G
        self.z_eval = torch.randn(N_EVAL, gan.noise_dim, generator=held).to(device)
        self.z_test = torch.randn(N_EVAL, gan.noise_dim, generator=held).to(device)
        self.X_train = torch.from_numpy(data.train).to(device)
        self.X_test = torch.from_numpy(data.test).to(device)
        self._pos = len(data.train)  # start of an epoch: shuffle first
        self.resolution = grid_resolution
        self.X_grid = torch.from_numpy(grid_points(DOMAIN, grid_resolution)).to(device)
        self.info = self._run_info()

    def _make_optimizers(self) -> None:
        tc = self.cfg.train
        self.g_opt = make_optimizer(self.G, tc)
        self.d_opt = make_optimizer(self.D, dataclasses.replace(tc, lr=self.cfg.gan.d_lr))

    def _run_info(self) -> RunInfo:
        d = self.data
        return RunInfo(
            config=self.cfg, kind="gan", task=Task.REGRESSION, n_classes=0,
            feature_names=tuple(f"z{i + 1}" for i in range(self.cfg.gan.noise_dim)),
            input_shape=(self.cfg.gan.noise_dim,), output_units=2,
            layer_names=tuple(layer_names(self.G)), n_train=len(d.train), n_test=len(d.test),
            y_train=frozen(np.zeros(len(d.train), np.float32)),
            y_test=frozen(np.zeros(len(d.test), np.float32)),
            points_train=frozen(d.train), points_test=frozen(d.test),
            resolution=self.resolution, grid_bound=DOMAIN, device=self.device.type,
        )  # fmt: skip

    # ---- training ---------------------------------------------------------------------------

    @property
    def history_columns(self) -> tuple[str, ...]:
        return COLUMNS

    @property
    def lr(self) -> float:
        return float(self.g_opt.param_groups[0]["lr"])

    def set_hparams(self, train: TrainConfig) -> None:
        super().set_hparams(train)
        for group in self.g_opt.param_groups:
            group["lr"] = train.lr

    def _z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.gan.noise_dim, generator=self._noise).to(self.device)

    def _real_batch(self) -> tuple[torch.Tensor, bool]:
        """The next batch of real training points (N, 2), and whether it ended an epoch."""
        n, batch = len(self.X_train), self.cfg.train.batch_size
        if self._pos >= n:
            perm = torch.randperm(n, generator=self._batch_gen).to(self.device)
            self._X, self._pos = self.X_train[perm], 0
        start = self._pos
        self._pos = min(start + batch, n)
        return self._X[start : self._pos], self._pos >= n

    def steps_to_epoch_end(self, epochs: int = 1) -> int:
        n, batch, k = len(self.X_train), self.cfg.train.batch_size, self.cfg.gan.k_steps
        per_epoch = math.ceil(n / batch)
        left = math.ceil((n - self._pos) / batch) if self._pos < n else per_epoch
        return math.ceil((left + (epochs - 1) * per_epoch) / k)

    def train_step(self) -> bool:
        gan, ended = self.cfg.gan, False
        for _ in range(gan.k_steps):  # the discriminator: real -> 1, fake -> 0
            real, epoch_end = self._real_batch()
            ended |= epoch_end
            with torch.no_grad():
                fake = self.G(self._z(len(real)))
            loss = d_loss(self.D(real), self.D(fake))
            self.d_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.d_opt.step()
        fake = self.G(self._z(self.cfg.train.batch_size))  # the generator: fool D
        loss = g_losses(self.D(fake), gan.loss).mean()
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()
        self.step_count += 1
        self.epoch += ended
        return ended

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        with evaluating(self.G, self.D):
            fake, fake_test = self.G(self.z_eval), self.G(self.z_test)
            real_logits, fake_logits = self.D(self.X_train), self.D(fake)
            test = d_loss(self.D(self.X_test), self.D(fake_test[: len(self.X_test)]))
        g = float(g_losses(fake_logits, self.cfg.gan.loss).mean())
        row = {
            "step": self.step_count, "epoch": self.epoch, "train_loss": g,
            "test_loss": float(test), "d_loss": float(d_loss(real_logits, fake_logits)),
            "g_loss": g, "modes_covered": self._covered(fake.cpu().numpy())[0],
            "d_real": float(torch.sigmoid(real_logits).mean()),
            "d_fake": float(torch.sigmoid(fake_logits).mean()),
            "lr": self.lr, "d_lr": float(self.d_opt.param_groups[0]["lr"]),
        }  # fmt: skip
        return {c: float(row[c]) for c in COLUMNS}

    def _covered(self, fake: np.ndarray) -> tuple[float, np.ndarray]:
        """Modes covered by the samples (nan for a set without modes), and per-mode counts."""
        counts = mode_counts(fake, self.data.centres, self.data.sigma)
        if not len(counts):
            return math.nan, counts
        return float(covered_modes(counts, len(fake)).sum()), counts

    # ---- weights ----------------------------------------------------------------------------

    def checkpoint(self) -> dict[str, torch.Tensor]:
        return self._state()

    def _state(self) -> dict[str, torch.Tensor]:
        nets = (("generator", self.G), ("discriminator", self.D))
        return {f"{name}.{k}": v.detach().clone() for name, m in nets
                for k, v in m.state_dict().items()}  # fmt: skip

    def restore(self, checkpoint: dict[str, torch.Tensor]) -> None:
        self.load_state(checkpoint)
        self._make_optimizers()  # their moments may be nan

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        for name, m in (("generator", self.G), ("discriminator", self.D)):
            prefix = f"{name}."
            m.load_state_dict({k[len(prefix) :]: v for k, v in state.items()
                               if k.startswith(prefix)})  # fmt: skip

    def is_finite(self) -> bool:
        params = [*self.G.parameters(), *self.D.parameters()]
        return all(bool(torch.isfinite(p).all()) for p in params)

    # ---- probes and requests ----------------------------------------------------------------

    def probes(self) -> dict[str, Any]:
        """Generated samples, G's gradient on each, D's probability over the plane, coverage."""
        if not self.with_probes:
            return {}
        with evaluating(self.G, self.D):
            with torch.no_grad():
                fake = self.G(self.z_eval)  # (N_EVAL, 2)
                grid = torch.sigmoid(self.D(self.X_grid)).reshape(self.resolution, -1)  # (R, R)
            grad = generator_gradient(self.D, fake, self.cfg.gan.loss)
        fake_np = fake.cpu().numpy()
        covered, counts = self._covered(fake_np)
        return {
            "fake": frozen(fake_np), "g_grad": frozen(grad), "d_prob": frozen(grid),
            "mode_counts": frozen(counts), "modes_covered": covered,
            "centres": frozen(self.data.centres), "sigma": self.data.sigma,
        }  # fmt: skip

    def answer(self, name: str, **kwargs: Any) -> Any:
        if name == "report":
            return self._report()
        if name == "weights":
            return {k: v.cpu() for k, v in self._state().items()}
        raise RequestError(f"gan: no request named {name!r}; there are: report, weights")

    def _report(self) -> dict[str, Any]:
        """The headless run's claim: modes covered out of the set's modes (ring: 8)."""
        with torch.no_grad(), evaluating(self.G):
            fake = self.G(self.z_eval).cpu().numpy()
        covered, counts = self._covered(fake)
        near = int(counts.sum())
        return {
            "modes_covered": None if math.isnan(covered) else int(covered),
            "modes": len(counts),
            "high_quality": round(near / len(fake), 4) if len(counts) else None,
        }
