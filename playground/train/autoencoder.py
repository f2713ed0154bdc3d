"""The autoencoder learner: plain, denoising or variational, on digits or a 2-D set."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from playground.config import (
    Activation,
    DatasetName,
    LayerKind,
    ModelConfig,
    RunConfig,
    Schedule,
)
from playground.data.datasets import Dataset, make_dataset
from playground.explain.autoencoder_probes import (
    grid_latents,
    latent_extent,
    pca_mse,
    shown_examples,
)
from playground.nn.engine import make_optimizer, scheduled_lr, train_step, weight_params
from playground.nn.model import Head, build_model
from playground.nn.modes import eval_mode
from playground.settings.ae import AeVariant
from playground.train.learner import ModelLearner, RequestError
from playground.train.runinfo import RunInfo, frozen, frozen_or_none
from playground.train.supervised import resolve_device

GRID_SIDE = 10  # digits decoded per side of the latent-plane grid
POINT_GRID_SIDE = {1: 64, 2: 20}  # 2-D data, by latent units: points along the decoded line/mesh
MAX_DECODE = 4096  # latent points one "decode" request may ask for


def learner(
    cfg: RunConfig,
    *,
    dataset: Dataset | None = None,
    with_probes: bool = True,
    grid_resolution: int = 100,
    initial_state: dict[str, torch.Tensor] | None = None,
) -> Callable[[], AutoencoderLearner]:
    """The Trainer's learner factory for cfg: the data is made once, the model on every Reset."""
    data = dataset if dataset is not None else make_dataset(cfg.data)
    device = resolve_device(cfg.train.device)
    return lambda: AutoencoderLearner(
        cfg, data, device, with_probes=with_probes, initial_state=initial_state
    )


def mirrored(layers: tuple[Any, ...]) -> tuple[Any, ...]:
    """The decoder's hidden layers when none are given: the encoder's dense layers, reversed."""
    return tuple(s for s in reversed(layers) if s.kind == LayerKind.DENSE)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp logvar)) || N(0, I)) per example: (N, L) -> (N,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


class Autoencoder(nn.Module):
    """Encoder (the run's layers, then the bottleneck) and decoder (back to the input's size).

    The encoder's output is the latent point z (plain, denoising), or mu and log var side by
    side (vae: 2 * latent units). forward(x) returns, per example, the reconstruction's D values
    followed by the KL term (0 for the plain kinds): one tensor, so the engine's train_step
    (penalties, clipping) takes it like any model.
    """

    def __init__(self, cfg: RunConfig, input_shape: tuple[int, ...], seed: int) -> None:
        super().__init__()
        ae = cfg.ae
        self.latent, self.is_vae = ae.latent, ae.variant == AeVariant.VAE
        self.input_shape = tuple(input_shape)
        self.n_inputs = math.prod(input_shape)
        out_act = cfg.model.output_activation
        if out_act == "auto":  # digits are ink in [0, 1]; points are anywhere on the plane
            image = cfg.data.name == DatasetName.DIGITS
            out_act = Activation.SIGMOID if image else Activation.LINEAR
        bottleneck = Head(2 * ae.latent if self.is_vae else ae.latent, Activation.LINEAR)
        self.encoder = build_model(cfg.model, input_shape, bottleneck, seed)
        dec_layers = ae.decoder or mirrored(cfg.model.layers)
        self.decoder = build_model(
            ModelConfig(layers=dec_layers), (ae.latent,), Head(self.n_inputs, Activation(out_act)),
            seed + 7919,
        )  # fmt: skip
        self.eps_gen = torch.Generator().manual_seed(seed + 1)  # the vae's samples

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(N, *shape) -> latent means (N, L) and, for the vae, log variances (N, L)."""
        h = self.encoder(x)
        if self.is_vae:
            return h[:, : self.latent], h[:, self.latent :]
        return h, None

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, L) -> reconstructions (N, D), flat."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encode(x)
        if logvar is None:
            return torch.cat([self.decode(mu), mu.new_zeros(len(mu), 1)], dim=1)
        z = mu
        if self.training:  # the reparameterisation: z = mu + sigma * eps, eps ~ N(0, I)
            eps = torch.randn(mu.shape, generator=self.eps_gen).to(mu)
            z = mu + torch.exp(0.5 * logvar) * eps
        return torch.cat([self.decode(z), kl_divergence(mu, logvar)[:, None]], dim=1)


class AutoencoderLearner(ModelLearner):
    """Inputs -> bottleneck -> reconstruction, trained on squared error summed over the inputs
    (plus beta * KL for the vae); the curves show the mean squared error per input value."""

    def __init__(
        self,
        cfg: RunConfig,
        data: Dataset,
        device: torch.device,
        *,
        with_probes: bool = True,
        initial_state: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.cfg, self.data, self.device, self.with_probes = cfg, data, device, with_probes
        self.model = Autoencoder(cfg, data.input_shape, cfg.train.seed)
        if initial_state is not None:
            self.model.load_state_dict(initial_state)
        self.model.to(device).train()
        self.weights = weight_params(self.model.encoder) + weight_params(self.model.decoder)
        self.optimizer = make_optimizer(self.model, cfg.train)
        self.X_train, self.X_test = data.X_train.to(device), data.X_test.to(device)
        self.T_train = self.X_train.reshape(len(self.X_train), -1)  # (N, D) targets
        self.T_test = self.X_test.reshape(len(self.X_test), -1)
        self.noise_gen = torch.Generator().manual_seed(cfg.train.seed + 2)
        self._batch_gen = torch.Generator().manual_seed(cfg.train.seed)
        self._pos = len(self.X_train)
        self.shown = shown_examples(data.y_test.numpy(), data.n_classes)
        self.pca_mse = pca_mse(data.X_train.numpy(), data.X_test.numpy(), cfg.ae.latent)
        self.info = self._run_info()

    def _run_info(self) -> RunInfo:
        d = self.data
        images = d.X_test if len(d.input_shape) == 3 else None
        names = ("encoder", "decoder")
        return RunInfo(
            config=self.cfg, kind="autoencoder", task=d.task, n_classes=d.n_classes,
            feature_names=d.feature_names, input_shape=d.input_shape,
            output_units=self.model.n_inputs, layer_names=names,
            n_train=int(d.X_train.shape[0]), n_test=int(d.X_test.shape[0]),
            y_train=frozen(d.y_train), y_test=frozen(d.y_test),
            points_train=frozen_or_none(d.points_train), points_test=frozen_or_none(d.points_test),
            images_test=frozen_or_none(images), device=self.device.type,
        )  # fmt: skip

    # ---- training ---------------------------------------------------------------------------

    @property
    def history_columns(self) -> tuple[str, ...]:
        kl = ("train_kl", "test_kl") if self.model.is_vae else ()
        return ("step", "epoch", "train_loss", "test_loss", *kl, "lr")

    def _objective(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Squared error summed over the D inputs, plus beta * KL, averaged over the batch."""
        sse = (out[:, :-1] - target).pow(2).sum(dim=1)
        return (sse + self.cfg.ae.beta * out[:, -1]).mean()

    def train_step(self) -> bool:
        tc, n = self.cfg.train, len(self.X_train)
        if self._pos >= n:  # a new epoch: reshuffle once
            self._perm, self._pos = torch.randperm(n, generator=self._batch_gen), 0
        idx = self._perm[self._pos : self._pos + tc.batch_size].to(self.device)
        self._pos = min(self._pos + tc.batch_size, n)
        if tc.schedule != Schedule.CONSTANT:
            for group in self.optimizer.param_groups:
                group["lr"] = scheduled_lr(tc, self.step_count)
        x = self.X_train[idx]
        if self.cfg.ae.variant == AeVariant.DENOISING:  # the clean x stays the target
            noise = torch.randn(x.shape, generator=self.noise_gen).to(x)
            x = x + self.cfg.ae.noise * noise
        train_step(self.model, self.optimizer, x, self.T_train[idx], self._objective,
                   self.weights, tc.l1, tc.l2, tc.grad_clip)  # fmt: skip
        self.step_count += 1
        if self._pos >= n:
            self.epoch += 1
            return True
        return False

    def measure(self, X: torch.Tensor) -> tuple[float, float]:
        """Reconstruction MSE per input value and mean KL per example, with z = the latent mean
        and clean inputs (eval mode)."""
        with eval_mode(self.model), torch.no_grad():
            out = self.model(X)
        target = X.reshape(len(X), -1)
        return float((out[:, :-1] - target).pow(2).mean()), float(out[:, -1].mean())

    def evaluate(self) -> dict[str, float]:
        (tr, tr_kl), (te, te_kl) = self.measure(self.X_train), self.measure(self.X_test)
        kl = (tr_kl, te_kl) if self.model.is_vae else ()
        return dict(zip(self.history_columns, (self.step_count, self.epoch, tr, te, *kl, self.lr)))

    # ---- weights ----------------------------------------------------------------------------

    # ---- probes and requests ----------------------------------------------------------------

    def _latent_means(self, X: torch.Tensor) -> torch.Tensor:
        with eval_mode(self.model), torch.no_grad():
            return self.model.encode(X)[0]

    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, L) -> (N, *input_shape), in eval mode."""
        with eval_mode(self.model), torch.no_grad():
            return self.model.decode(z).reshape(len(z), *self.data.input_shape)

    def probes(self) -> dict[str, Any]:
        """The test set's latent means, reconstructions of the shown examples (every test point
        on 2-D data; for the denoising variant, of the shown digits with noise added) and the
        decodings of a grid over the latent points' range."""
        if not self.with_probes:
            return {}
        z = self._latent_means(self.X_test)  # (N, L)
        recon_of = self.X_test if self.data.is_2d else self.X_test[self.shown]
        out: dict[str, Any] = {}
        if self.cfg.ae.variant == AeVariant.DENOISING and not self.data.is_2d:
            g = torch.Generator().manual_seed(self.cfg.train.seed + 3)  # the same noise each time
            noise = torch.randn(recon_of.shape, generator=g).to(recon_of)
            recon_of = out["noisy"] = recon_of + self.cfg.ae.noise * noise  # what it must clean
        extent = latent_extent(z.cpu().numpy())
        side = POINT_GRID_SIDE[min(z.shape[1], 2)] if self.data.is_2d else GRID_SIDE
        grid_z = grid_latents(extent, side, z.mean(dim=0).cpu().numpy())
        return {k: frozen(v) for k, v in out.items()} | {
            "latent": frozen(z),  # (N_test, L)
            "reconstructions": frozen(self._decode(self._latent_means(recon_of))),
            "shown": frozen(self.shown),  # (K,) test indices of the reconstructions (images)
            "decoded_grid": frozen(self._decode(torch.from_numpy(grid_z).to(self.device))),
            "grid_extent": frozen(extent),  # (4,) lo1, hi1, lo2, hi2
            "grid_side": side,  # decodings per side of the grid
            "pca_mse": self.pca_mse,  # the baseline: PCA with as many components as latent units
        }

    def answer(self, name: str, **kwargs: Any) -> Any:
        handler = REQUESTS.get(name)
        if handler is None:
            raise RequestError(f"no request named {name!r}; there are: {', '.join(REQUESTS)}")
        return handler(self, **kwargs)


# ---- requests -------------------------------------------------------------------------------


def decode(learner: AutoencoderLearner, z: Any) -> np.ndarray:
    """What the decoder makes of latent points z: (L,) or (N, L) -> (N, *input_shape)."""
    t = torch.from_numpy(np.array(z, dtype=np.float32, ndmin=2))
    L = learner.model.latent
    if t.ndim != 2 or t.shape[1] != L or not 0 < len(t) <= MAX_DECODE:
        raise RequestError(f"decode: z of shape {tuple(t.shape)}, expected ({L},) or (N, {L})")
    if not torch.isfinite(t).all():
        raise RequestError("decode: z must be finite numbers")
    return frozen(learner._decode(t.to(learner.device)))


def encode(learner: AutoencoderLearner, x: Any) -> np.ndarray:
    """The latent means of inputs x (N, *input_shape) -> (N, L)."""
    t = torch.from_numpy(np.array(x, dtype=np.float32))
    if tuple(t.shape[1:]) != tuple(learner.data.input_shape):
        raise RequestError(f"encode: x of shape {tuple(t.shape)}, expected (N, "
                           f"{', '.join(map(str, learner.data.input_shape))})")  # fmt: skip
    return frozen(learner._latent_means(t.to(learner.device)))


def report(learner: AutoencoderLearner) -> dict[str, float]:
    """The headless run's claim and its baseline: test MSE against PCA with as many components
    as latent units (and the KL term of the vae)."""
    mse, kl = learner.measure(learner.X_test)
    out = {"test_mse": mse, "pca_mse": learner.pca_mse}
    return out | ({"test_kl": kl} if learner.model.is_vae else {})


def weights(learner: AutoencoderLearner) -> dict[str, torch.Tensor]:
    """A private CPU copy of the model's state."""
    return {k: v.detach().cpu().clone() for k, v in learner.model.state_dict().items()}


REQUESTS: dict[str, Callable[..., Any]] = {
    "decode": decode,
    "encode": encode,
    "report": report,
    "weights": weights,
}
