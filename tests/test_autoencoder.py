"""The autoencoder learner against oracles: forward hooks on its encoder and decoder, the KL
term written out by hand (and torch.distributions), the reparameterisation, the denoising input,
a real Trainer thread, and the config's refusals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from playground.config import (
    ConfigError,
    DataConfig,
    DatasetName,
    Device,
    LayerSpec,
    ModelConfig,
    ModelKind,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.data.datasets import make_dataset
from playground.settings.ae import AeVariant, AutoencoderConfig
from playground.train.autoencoder import AutoencoderLearner, learner
from playground.train.learner import RequestError
from playground.train.snapshot import Status
from playground.train.trainer import Trainer
from tests.engine_fixtures import wait_for


def ae_config(
    variant: AeVariant = AeVariant.PLAIN, name: DatasetName = DatasetName.DIGITS, **ae: Any
) -> RunConfig:
    """A small run: 300 digits (or 200 points), 16-unit encoder, Adam, CPU."""
    return RunConfig(
        kind=ModelKind.AUTOENCODER,
        data=DataConfig(name=name, n_samples=300 if name == DatasetName.DIGITS else 200),
        model=ModelConfig(layers=(LayerSpec(units=16),)),
        train=TrainConfig(optimizer=Optimizer.ADAM, lr=0.01, batch_size=32, device=Device.CPU),
        ae=AutoencoderConfig(variant=variant, **ae),
    )


def make(cfg: RunConfig) -> AutoencoderLearner:
    return learner(cfg)()


def hooked(module: torch.nn.Module, calls: list) -> Any:
    """Record (input, output) of every call of module."""
    return module.register_forward_hook(lambda _m, i, o: calls.append((i[0].detach(), o.detach())))


def train(lrn: AutoencoderLearner, steps: int) -> None:
    for _ in range(steps):
        lrn.train_step()


# ---- truth of the views -----------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(AeVariant))
def test_latent_points_are_the_encoders_outputs(variant: AeVariant) -> None:
    lrn = make(ae_config(variant))
    train(lrn, 20)
    calls: list = []
    handle = hooked(lrn.model.encoder, calls)
    probes = lrn.probes()
    handle.remove()
    L = lrn.cfg.ae.latent
    on_test = [o for i, o in calls if i.shape == lrn.X_test.shape and torch.equal(i, lrn.X_test)]
    assert on_test, "the encoder never saw the test set"
    assert probes["latent"].shape == (lrn.info.n_test, L)
    np.testing.assert_array_equal(probes["latent"], on_test[0][:, :L].numpy())  # mu for the vae


def test_reconstructions_are_the_decoders_outputs_of_the_encoded_examples() -> None:
    lrn = make(ae_config())
    train(lrn, 20)
    enc, dec = [], []
    handles = [hooked(lrn.model.encoder, enc), hooked(lrn.model.decoder, dec)]
    probes = lrn.probes()
    for h in handles:
        h.remove()
    shown = probes["shown"].copy()
    assert sorted(lrn.info.y_test[shown]) == list(range(10))  # one digit of each class
    z_shown = next(o for i, o in enc if torch.equal(i, lrn.X_test[shown]))
    out = next(o for i, o in dec if torch.equal(i, z_shown))  # (K, 64)
    np.testing.assert_array_equal(probes["reconstructions"], out.reshape(-1, 1, 8, 8).numpy())
    assert (probes["reconstructions"] >= 0).all() and (probes["reconstructions"] <= 1).all()


def test_denoising_shows_the_rebuilding_of_the_noisy_digits() -> None:
    lrn = make(ae_config(AeVariant.DENOISING, noise=0.4))
    train(lrn, 20)
    enc, dec = [], []
    handles = [hooked(lrn.model.encoder, enc), hooked(lrn.model.decoder, dec)]
    probes = lrn.probes()
    for h in handles:
        h.remove()
    clean = lrn.X_test[probes["shown"].copy()]
    noisy = torch.from_numpy(probes["noisy"].copy())
    assert abs(float((noisy - clean).std()) - 0.4) < 0.06
    z = next(o for i, o in enc if torch.equal(i, noisy))  # the encoder saw the noisy digits
    out = next(o for i, o in dec if torch.equal(i, z))
    np.testing.assert_array_equal(probes["reconstructions"], out.reshape(-1, 1, 8, 8).numpy())
    np.testing.assert_array_equal(lrn.probes()["noisy"], probes["noisy"])  # steady noise


def test_the_decode_request_and_the_grid_are_the_decoders_outputs() -> None:
    lrn = make(ae_config())
    train(lrn, 10)
    z = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    with torch.no_grad():
        expected = lrn.model.decoder(torch.from_numpy(z)).reshape(2, 1, 8, 8).numpy()
    np.testing.assert_allclose(lrn.answer("decode", z=z), expected, rtol=1e-6)
    np.testing.assert_allclose(lrn.answer("decode", z=z[0])[0], expected[0], rtol=1e-6)
    probes = lrn.probes()
    np.testing.assert_array_equal(lrn.answer("encode", x=lrn.X_test.numpy()), probes["latent"])
    lo1, hi1, lo2, hi2 = probes["grid_extent"]
    latent = probes["latent"]
    assert lo1 < latent[:, 0].min() and latent[:, 0].max() < hi1  # follows the points
    assert lo2 < latent[:, 1].min() and latent[:, 1].max() < hi2
    top_left = lrn.answer("decode", z=[lo1, hi2])[0]  # the grid's first decoding
    bottom_right = lrn.answer("decode", z=[hi1, lo2])[0]
    np.testing.assert_allclose(probes["decoded_grid"][0], top_left, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probes["decoded_grid"][-1], bottom_right, rtol=1e-5, atol=1e-6)
    for bad in ([1.0], [[1.0, 2.0, 3.0]], [math.nan, 0.0]):
        with pytest.raises(RequestError, match="decode"):
            lrn.answer("decode", z=bad)


def test_the_vae_kl_term_equals_the_closed_form() -> None:
    lrn = make(ae_config(AeVariant.VAE))
    train(lrn, 30)
    calls: list = []
    handle = hooked(lrn.model.encoder, calls)
    row = lrn.evaluate()
    handle.remove()
    L = lrn.cfg.ae.latent
    h = next(o for i, o in calls if torch.equal(i, lrn.X_test)).double()
    mu, logvar = h[:, :L], h[:, L:]
    sigma2 = logvar.exp()
    # KL(N(mu, sigma^2) || N(0, 1)) = log(1/sigma) + (sigma^2 + mu^2) / 2 - 1/2, per dimension
    by_hand = (-0.5 * logvar + (sigma2 + mu**2) / 2 - 0.5).sum(dim=1).mean()
    library = kl_divergence(Normal(mu, sigma2.sqrt()), Normal(0.0, 1.0)).sum(dim=1).mean()
    assert row["test_kl"] == pytest.approx(float(by_hand), rel=1e-5)
    assert row["test_kl"] == pytest.approx(float(library), rel=1e-5)
    assert lrn.answer("report")["test_kl"] == pytest.approx(float(by_hand), rel=1e-5)
    assert row["test_kl"] > 0


def test_the_vae_decodes_mu_plus_sigma_times_eps_while_training() -> None:
    lrn = make(ae_config(AeVariant.VAE))
    x = lrn.X_train[:8]
    eps = torch.randn((8, 2), generator=torch.Generator().set_state(lrn.model.eps_gen.get_state()))
    enc, dec = [], []
    handles = [hooked(lrn.model.encoder, enc), hooked(lrn.model.decoder, dec)]
    lrn.model.train()(x)
    for h in handles:
        h.remove()
    mu, logvar = enc[0][1][:, :2], enc[0][1][:, 2:]
    torch.testing.assert_close(dec[0][0], mu + torch.exp(logvar / 2) * eps)


def test_the_training_loss_is_the_summed_squared_error_plus_beta_kl() -> None:
    lrn = make(ae_config(AeVariant.VAE, beta=0.3))
    out = torch.tensor([[0.2, 0.4, 1.5], [0.0, 1.0, 0.5]])  # two examples: D = 2 values, then KL
    target = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    by_hand = ((0.04 + 0.16 + 0.3 * 1.5) + (1.0 + 0.0 + 0.3 * 0.5)) / 2
    assert float(lrn._objective(out, target)) == pytest.approx(by_hand)


def test_the_denoising_encoder_sees_noisy_inputs_and_is_scored_on_clean_ones() -> None:
    cfg = ae_config(AeVariant.DENOISING, noise=0.5)
    lrn = make(cfg)
    enc: list = []
    handle = hooked(lrn.model.encoder, enc)
    lrn.train_step()
    handle.remove()
    perm = torch.randperm(lrn.info.n_train, generator=torch.Generator().manual_seed(0))
    clean = lrn.X_train[perm[:32]]
    noise = enc[0][0] - clean
    assert abs(float(noise.std()) - 0.5) < 0.05 and abs(float(noise.mean())) < 0.05
    enc.clear()
    handle = hooked(lrn.model.encoder, enc)
    lrn.evaluate()  # evaluation: the clean test set
    handle.remove()
    assert any(torch.equal(i, lrn.X_test) for i, _ in enc)


def test_training_beats_the_mean_and_the_report_gives_pca_with_as_many_components() -> None:
    lrn = make(ae_config())
    first = lrn.evaluate()["test_loss"]
    train(lrn, 60)
    rep = lrn.answer("report")
    assert rep["test_mse"] == pytest.approx(lrn.evaluate()["test_loss"])
    assert rep["test_mse"] < first
    data = make_dataset(lrn.cfg.data)
    A, B = data.X_train.reshape(len(data.X_train), -1), data.X_test.reshape(len(data.X_test), -1)
    mean = A.mean(0)
    V = torch.linalg.svd(A - mean, full_matrices=False).Vh[:2].T
    assert rep["pca_mse"] == pytest.approx(float(((B - mean) @ V @ V.T + mean - B).pow(2).mean()))


def test_a_2d_set_reconstructs_every_test_point_in_the_plane() -> None:
    lrn = make(ae_config(name=DatasetName.MOONS, latent=1))
    train(lrn, 30)
    probes = lrn.probes()
    n = lrn.info.n_test
    assert probes["latent"].shape == (n, 1)
    assert probes["reconstructions"].shape == (n, 2)
    side = probes["grid_side"]
    assert probes["decoded_grid"].shape == (side, 2)  # a 1-D latent: points along z1
    lo, hi = probes["grid_extent"][:2]
    ends = lrn.answer("decode", z=[[lo], [hi]])
    np.testing.assert_allclose(probes["decoded_grid"][[0, -1]], ends, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(probes["reconstructions"], lrn.model(lrn.X_test)[:, :2], 1e-5)


def test_reset_rebuilds_the_same_initial_weights() -> None:
    factory = learner(ae_config(AeVariant.VAE))
    a, b = factory(), factory()
    for (k, v), w in zip(a.checkpoint().items(), b.checkpoint().values()):
        assert torch.equal(v, w), k


# ---- the real thread --------------------------------------------------------------------------


def test_a_trainer_thread_trains_pauses_and_answers_decode() -> None:
    cfg = ae_config(AeVariant.VAE).replace(train=TrainConfig(
        optimizer=Optimizer.ADAM, lr=0.01, batch_size=32, device=Device.CPU, max_steps=60
    ))  # fmt: skip
    trainer = Trainer(cfg, idle_pause_s=None)
    try:
        assert trainer.info.kind == "autoencoder"
        trainer.start()
        snap = wait_for(trainer.latest, lambda s: s.status == Status.DONE, 30)
        assert snap.step == 60 and np.all(np.diff(snap.history["step"]) > 0)
        assert np.isfinite(snap.history["test_kl"]).all()
        assert snap.extra["latent"].shape == (trainer.info.n_test, 2)
        assert trainer.ask("decode", z=[0.0, 0.0]).shape == (1, 1, 8, 8)
        with pytest.raises(RequestError, match="no request named 'nope'"):
            trainer.ask("nope")
        assert set(trainer.ask("report")) == {"test_mse", "pca_mse", "test_kl"}
    finally:
        trainer.close()
    assert not trainer.is_alive


def test_pause_holds_the_step_count() -> None:
    trainer = Trainer(ae_config(), idle_pause_s=None)
    try:
        trainer.start()
        wait_for(trainer.latest, lambda s: s.step > 5, 30)
        held = trainer.pause().snapshot.step
        assert trainer.latest().step == held
        wait_for(trainer.latest, lambda s: s.status == Status.PAUSED, 5)
        assert trainer.latest().step == held
    finally:
        trainer.close()


def test_a_diverging_run_stops_and_keeps_its_last_good_weights() -> None:
    cfg = ae_config(AeVariant.VAE).replace(
        train=TrainConfig(optimizer=Optimizer.SGD, lr=50.0, batch_size=32, device=Device.CPU)
    )
    trainer = Trainer(cfg, idle_pause_s=None)
    try:
        trainer.start()
        snap = wait_for(trainer.latest, lambda s: not s.is_active, 30)
        assert snap.status == Status.DIVERGED, snap.message
        weights = trainer.ask("weights")
        assert all(torch.isfinite(w).all() for w in weights.values())
    finally:
        trainer.close()


# ---- the config -------------------------------------------------------------------------------


def test_the_ae_section_round_trips_through_json() -> None:
    cfg = ae_config(AeVariant.DENOISING, noise=0.2, latent=3)
    cfg = cfg.replace(ae=AutoencoderConfig(
        variant=AeVariant.DENOISING, noise=0.2, latent=3, decoder=(LayerSpec(units=5),)
    ))  # fmt: skip
    assert RunConfig.from_json(cfg.to_json()) == cfg
    assert RunConfig.from_json(cfg.to_json()).to_json() == cfg.to_json()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ae": {"beta": -1}}, r"^ae\.beta: must be between 0.0 and 100.0, got -1"),
        ({"ae": {"latent": 0}}, r"^ae\.latent: must be between 1 and 16"),
        ({"ae": {"noise": 5}}, r"^ae\.noise: must be between"),
        ({"ae": {"variant": "denoising", "noise": 0}}, r"^ae\.noise: the denoising variant"),
        ({"ae": {"variant": "sparse"}}, r"^ae\.variant: unknown value 'sparse'"),
        ({"ae": {"decoder": [{"kind": "conv2d"}]}}, r"^ae\.decoder\[0\]: conv2d cannot follow"),
        ({"ae": {"decoder": [{"units": 0}]}}, r"^ae\.decoder\[0\]\.units: must be between"),
        ({"ae": {"wide": 1}}, r"^ae\.wide: unknown field"),
        ({"data": {"name": "ring"}}, r"^data\.name: an autoencoder trains on digits or a 2-D"),
        ({"data": {"name": "moons", "features": ["x1", "x1^2"]}}, r"^data\.features: an auto"),
        ({"kind": "supervised", "ae": {"beta": 2}}, r"^ae: autoencoder settings need kind"),
    ],
)
def test_bad_values_are_refused_naming_the_field(change: dict, message: str) -> None:
    d = ae_config().to_dict()
    for section, value in change.items():
        if isinstance(value, dict):
            d[section] |= value
        else:
            d[section] = value
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(d)
