"""The GAN learner against oracles: losses written out by hand, the arrows by torch.autograd.grad,
the heatmap by a forward pass of the discriminator, mode coverage recounted from the samples."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from playground.config import (
    ConfigError,
    DataConfig,
    DatasetName,
    LayerKind,
    LayerSpec,
    ModelConfig,
    ModelKind,
    Optimizer,
    RunConfig,
    TrainConfig,
    with_value,
)
from playground.data.plane import DOMAIN
from playground.data.points import (
    RING_MODES,
    RING_SIGMA,
    make_points,
    parse_points,
    ring_centres,
)
from playground.settings.gan import POINT_BOUND, GanConfig, GanLoss
from playground.train.gan import GanLearner, d_loss, g_losses, gan_learner
from playground.train.trainer import Trainer
from tests.engine_fixtures import wait_for


def _cfg(**gan: object) -> RunConfig:
    small = (LayerSpec(units=8, activation="leaky_relu"),)
    return RunConfig(
        kind=ModelKind.GAN,
        data=DataConfig(name=DatasetName.RING, n_samples=200),
        model=ModelConfig(layers=small),
        train=TrainConfig(optimizer=Optimizer.ADAM, lr=0.01, batch_size=16, beta1=0.5),
        gan=GanConfig(d_layers=small, **gan),
    )


def _learner(cfg: RunConfig | None = None, resolution: int = 12) -> GanLearner:
    return gan_learner(cfg or _cfg(), grid_resolution=resolution)()


def _bce_by_hand(logits: torch.Tensor, target: float) -> torch.Tensor:
    p = 1 / (1 + torch.exp(-logits.double()))
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p))


def test_losses_match_their_equations() -> None:
    real, fake = torch.randn(7, 1) * 3, torch.randn(5, 1) * 3
    expected = _bce_by_hand(real, 1.0).mean() + _bce_by_hand(fake, 0.0).mean()
    assert torch.allclose(d_loss(real, fake).double(), expected, atol=1e-5)
    p = 1 / (1 + torch.exp(-fake.double().reshape(-1)))
    ns, mm = g_losses(fake, GanLoss.NON_SATURATING), g_losses(fake, GanLoss.MINIMAX)
    assert torch.allclose(ns.double(), -torch.log(p), atol=1e-5)
    assert torch.allclose(mm.double(), torch.log(1 - p), atol=1e-5)


@pytest.mark.parametrize("loss", list(GanLoss))
def test_arrows_are_autograds_gradient_of_the_generator_loss(loss: GanLoss) -> None:
    learner = _learner(_cfg(loss=loss))
    for _ in range(5):
        learner.train_step()
    probes = learner.probes()
    x = torch.tensor(np.array(probes["fake"]), requires_grad=True)
    p = torch.sigmoid(learner.D(x)).reshape(-1)
    per_sample = -torch.log(p) if loss == GanLoss.NON_SATURATING else torch.log(1 - p)
    (expected,) = torch.autograd.grad(per_sample.sum(), x)
    assert np.allclose(probes["g_grad"], expected.numpy(), atol=1e-5)
    assert np.abs(probes["g_grad"]).sum() > 0
    with torch.no_grad():  # the samples are the generator's output on its fixed noise
        assert np.allclose(probes["fake"], learner.G(learner.z_eval).numpy(), atol=1e-6)


def test_heatmap_is_the_discriminators_probability_over_the_plane() -> None:
    learner, r = _learner(resolution=9), 9
    learner.train_step()
    heat = learner.probes()["d_prob"]
    assert heat.shape == (r, r)
    centres = -DOMAIN + (np.arange(r) + 0.5) * 2 * DOMAIN / r  # cell centres of one axis
    i, j = 2, 7  # row i is x2 = centres[i], column j is x1 = centres[j]
    with torch.no_grad():
        logit = learner.D(torch.tensor([[centres[j], centres[i]]], dtype=torch.float32))
    assert heat[i, j] == pytest.approx(float(1 / (1 + torch.exp(-logit))), abs=1e-6)


def test_mode_coverage_recounted_from_the_samples() -> None:
    learner = _learner()
    for _ in range(30):
        learner.train_step()
    probes = learner.probes()
    fake = np.array(probes["fake"], dtype=np.float64)
    angle = 2 * np.pi * np.arange(RING_MODES) / RING_MODES
    centres = 4.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    counts = np.zeros(RING_MODES, int)
    for x in fake:  # each sample goes to its nearest centre if within 3 sigma of it
        d = np.hypot(*(centres - x).T)
        if d.min() <= 3 * RING_SIGMA:
            counts[d.argmin()] += 1
    covered = int((counts >= len(fake) / (4 * RING_MODES)).sum())
    assert list(probes["mode_counts"]) == list(counts)
    assert probes["modes_covered"] == covered
    assert learner.evaluate()["modes_covered"] == covered
    assert learner.answer("report") | {"high_quality": 0} == {
        "modes_covered": covered,
        "modes": RING_MODES,
        "high_quality": 0,
    }


def test_one_step_is_k_discriminator_updates_then_one_generator_update() -> None:
    learner = _learner(_cfg(k_steps=3))
    learner.train_step()
    learner.train_step()
    d_steps = {int(s["step"]) for s in learner.d_opt.state.values()}
    g_steps = {int(s["step"]) for s in learner.g_opt.state.values()}
    assert d_steps == {6} and g_steps == {2} and learner.step_count == 2


def test_history_row_and_separate_learning_rates() -> None:
    learner = _learner(_cfg(d_lr=0.003))
    row = learner.evaluate()
    assert tuple(row) == learner.history_columns
    assert {"step", "epoch", "train_loss", "test_loss", "d_loss", "g_loss", "modes_covered"} <= set(
        row
    )
    assert row["lr"] == 0.01 and row["d_lr"] == 0.003
    assert row["train_loss"] == row["g_loss"]
    learner.set_hparams(dataclasses.replace(learner.cfg.train, lr=0.02))
    assert learner.lr == 0.02 and learner.d_opt.param_groups[0]["lr"] == 0.003


def test_checkpoint_restore_and_weights() -> None:
    learner = _learner()
    saved = learner.checkpoint()
    for _ in range(3):
        learner.train_step()
    learner.restore(saved)
    assert all(torch.equal(saved[k], v) for k, v in learner.checkpoint().items())
    weights = learner.answer("weights")
    assert {k.split(".")[0] for k in weights} == {"generator", "discriminator"}
    assert learner.is_finite()


def test_point_sets_are_seeded_and_inside_the_plane() -> None:
    for name in (DatasetName.RING, DatasetName.MOONS, DatasetName.LINE):
        cfg = DataConfig(name=name, n_samples=300)
        a, b = make_points(cfg), make_points(cfg)
        assert np.array_equal(a.train, b.train) and len(a.train) + len(a.test) == 300
        assert np.abs(a.train).max() <= DOMAIN
    ring = make_points(DataConfig(name=DatasetName.RING, n_samples=2000))
    assert np.allclose(ring.centres, ring_centres())
    assert abs(np.hypot(*ring.train.T).mean() - 4.0) < 0.1
    drawn = make_points(DataConfig(name=DatasetName.POINTS, n_samples=100), ((1.0, 2.0),))
    assert np.allclose(drawn.train.mean(axis=0), (1.0, 2.0), atol=0.1)


def test_drawn_points_are_bounded_by_the_plane() -> None:
    assert POINT_BOUND == DOMAIN


def test_typed_points_parse_and_bad_ones_name_the_point() -> None:
    assert parse_points("1, 2\n\n-3.5,4 \n0;0") == ((1.0, 2.0), (-3.5, 4.0), (0.0, 0.0))
    with pytest.raises(ConfigError, match=r"^gan\.points\[1\]: line 2 'a, 1'"):
        parse_points("1,2\na, 1")
    with pytest.raises(ConfigError, match=r"^gan\.points\[0\]: x1 and x2 must be between"):
        parse_points("7, 0")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("gan.k_steps", 0, r"^gan\.k_steps: must be between 1 and 10, got 0"),
        ("gan.noise_dim", 0, r"^gan\.noise_dim: must be between 1 and 16"),
        ("gan.d_lr", 0, r"^gan\.d_lr: must be between"),
        ("gan.loss", "wasserstein", r"^gan\.loss: unknown value 'wasserstein'"),
        ("gan.points", [[1, 2]], r"^gan\.points: give points exactly when data\.name is 'points'"),
        ("gan.points", [[1, "x"]], r"^gan\.points\[0\]\[1\]: expected a finite number"),
        ("gan.points", [[1, 2, 3]], r"^gan\.points\[0\]: expected two numbers"),
        ("gan.points", [[9, 0]], r"^gan\.points\[0\]: x1 and x2 must be between -6 and 6"),
        ("data.name", "points", r"^gan\.points: data\.name 'points' needs at least one point"),
        ("data.name", "circle", r"^data\.name: a GAN learns a point set"),
        ("gan.d_layers", [{"kind": "lstm"}], r"^gan\.d_layers\[0\]: a GAN's networks take"),
    ],
)
def test_bad_values_are_refused_naming_the_field(path: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        with_value(_cfg(), path, value)


def test_points_belong_to_the_gan() -> None:
    with pytest.raises(ConfigError, match=r"^data\.name: 'points' are the GAN's drawn points"):
        RunConfig(kind=ModelKind.SOM, data=DataConfig(name=DatasetName.POINTS))
    with pytest.raises(ConfigError, match=r"^gan: GAN settings need kind 'gan', got 'supervised'"):
        RunConfig(gan=GanConfig(k_steps=2))
    d = _cfg().to_dict()
    d["data"]["name"], d["gan"]["points"] = "points", [[1, 2]]
    cfg = RunConfig.from_dict(d)
    assert cfg.gan.points == ((1.0, 2.0),)
    assert RunConfig.from_json(cfg.to_json()) == cfg
    assert LayerKind.DENSE == cfg.gan.d_layers[0].kind


def test_trainer_runs_pauses_and_publishes_the_probes() -> None:
    trainer = Trainer(_cfg(), grid_resolution=10)
    try:
        trainer.start()
        snap = wait_for(trainer.latest, lambda s: s.step >= 20 and "fake" in s.extra)
        assert {"fake", "g_grad", "d_prob", "mode_counts", "modes_covered"} <= set(snap.extra)
        assert snap.extra["d_prob"].shape == (10, 10) and not snap.extra["fake"].flags.writeable
        paused = trainer.pause().snapshot
        assert trainer.latest().step == paused.step
        assert trainer.step(3).snapshot.step == paused.step + 3
        assert "modes_covered" in trainer.latest().history
    finally:
        trainer.close(wait=True)


class _Poisoned(GanLearner):
    """Puts a nan into the generator at step 8: the loss turns nan, the run must diverge."""

    def train_step(self) -> bool:
        ended = super().train_step()
        if self.step_count == 8:
            with torch.no_grad():
                next(self.G.parameters())[0, 0] = float("nan")
        return ended


def test_a_nan_diverges_and_restores_finite_weights() -> None:
    cfg = _cfg()
    cfg = cfg.replace(train=dataclasses.replace(cfg.train, eval_every=4))
    data = make_points(cfg.data)
    trainer = Trainer(learner=lambda: _Poisoned(cfg, data, torch.device("cpu"), grid_resolution=8))
    try:
        trainer.start()
        snap = wait_for(trainer.latest, lambda s: s.status.value == "diverged")
        assert "Diverged at step" in snap.message
        weights = trainer.ask("weights")
        assert all(torch.isfinite(w).all() for w in weights.values())
    finally:
        trainer.close(wait=True)
