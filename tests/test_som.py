"""The self-organising map learner against the textbook rule, written out here by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.config import (
    ConfigError,
    DataConfig,
    DatasetName,
    ModelKind,
    RunConfig,
    TrainConfig,
)
from playground.settings.som import SomConfig, SomInit, Topology
from playground.train.kinds import learner_factory
from playground.train.learner import RequestError
from playground.train.som import SomLearner
from playground.train.trainer import Trainer
from tests.engine_fixtures import wait_for

TOPOLOGIES = [Topology.SQUARE, Topology.HEXAGONAL]


def som_cfg(topology: Topology = Topology.HEXAGONAL, **som: object) -> RunConfig:
    som = {"width": 4, "height": 3, "decay_steps": 50} | som
    return RunConfig(
        kind=ModelKind.SOM,
        data=DataConfig(name=DatasetName.MOONS, n_samples=60),
        som=SomConfig(topology=topology, **som),
        train=TrainConfig(max_steps=0),
    )


def make(cfg: RunConfig) -> SomLearner:
    return learner_factory(cfg)()


def grid_xy(k: int, width: int, topology: Topology) -> tuple[float, float]:
    """Unit k's place on the map: square rows, or hexagonal rows with odd rows shifted by 1/2."""
    row, col = k // width, k % width
    if topology == Topology.SQUARE:
        return float(col), float(row)
    return col + 0.5 * (row % 2), row * math.sqrt(3) / 2


def neighbours(k: int, width: int, height: int, topology: Topology) -> set[int]:
    """Unit k's neighbours, from the offset-coordinate rules (not from distances)."""
    row, col = k // width, k % width
    cand = [(row, col - 1), (row, col + 1), (row - 1, col), (row + 1, col)]
    if topology == Topology.HEXAGONAL:
        shift = 1 if row % 2 else -1  # odd rows sit half a unit right
        cand += [(row - 1, col + shift), (row + 1, col + shift)]
    return {r * width + c for r, c in cand if 0 <= r < height and 0 <= c < width}


def textbook_step(W: np.ndarray, x: np.ndarray, lr: float, sigma: float, cfg: RunConfig):
    s = cfg.som
    K = W.shape[0]
    bmu = min(range(K), key=lambda k: sum((W[k, d] - x[d]) ** 2 for d in range(len(x))))
    bx, by = grid_xy(bmu, s.width, s.topology)
    out = W.copy()
    for k in range(K):
        kx, ky = grid_xy(k, s.width, s.topology)
        h = math.exp(-((kx - bx) ** 2 + (ky - by) ** 2) / (2 * sigma**2))
        out[k] = W[k] + lr * h * (x - W[k])
    return out


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_a_step_is_the_textbook_update(topology: Topology) -> None:
    cfg = som_cfg(topology, lr=0.4, lr_end=0.05, radius=2.0, radius_end=0.3, decay_steps=7)
    learner = make(cfg)
    X = learner.X_train.numpy().astype(np.float64)
    for t in range(10):  # through the decay and past its end
        frac = min(t, 7) / 7
        lr = 0.4 * (0.05 / 0.4) ** frac
        sigma = 2.0 * (0.3 / 2.0) ** frac
        assert learner.lr == pytest.approx(lr) and learner.radius == pytest.approx(sigma)
        before = learner.W.numpy().astype(np.float64)
        learner.train_step()
        after = learner.W.numpy().astype(np.float64)
        # the step took one training example: the textbook update for one of them is `after`
        errs = [np.abs(textbook_step(before, x, lr, sigma, cfg) - after).max() for x in X]
        assert min(errs) < 1e-5
        assert learner.step_count == t + 1


def test_an_epoch_visits_every_example_once() -> None:
    learner = make(som_cfg())
    n = learner.X_train.shape[0]
    ends = [learner.train_step() for _ in range(n)]
    assert ends == [False] * (n - 1) + [True] and learner.epoch == 1
    assert sorted(learner._perm.tolist()) == list(range(n))


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_errors_and_u_matrix_recomputed(topology: Topology) -> None:
    cfg = som_cfg(topology)
    learner = make(cfg)
    for _ in range(40):
        learner.train_step()
    W = learner.W.numpy().astype(np.float64)
    s = cfg.som
    nb = [neighbours(k, s.width, s.height, topology) for k in range(len(W))]

    def qe_te(X: np.ndarray) -> tuple[float, float]:
        dist = np.sqrt(((X[:, None, :] - W[None]) ** 2).sum(axis=2))  # (N, K)
        order = np.argsort(dist, axis=1)
        qe = dist[np.arange(len(X)), order[:, 0]].mean()
        te = np.mean([order[i, 1] not in nb[order[i, 0]] for i in range(len(X))])
        return float(qe), float(te)

    row = learner.evaluate()
    qe_train, te_train = qe_te(learner.X_train.numpy().astype(np.float64))
    qe_test, _ = qe_te(learner.X_test.numpy().astype(np.float64))
    assert row["train_loss"] == pytest.approx(qe_train, rel=1e-5)
    assert row["test_loss"] == pytest.approx(qe_test, rel=1e-5)
    assert row["topographic_error"] == pytest.approx(te_train, abs=1e-6)
    assert set(learner.history_columns) == set(row)

    u = [np.mean([np.linalg.norm(W[k] - W[j]) for j in nb[k]]) for k in range(len(W))]
    probes = learner.probes()
    assert probes["umatrix"].shape == (s.height, s.width)
    np.testing.assert_allclose(probes["umatrix"].ravel(), u, rtol=1e-5)
    links = {tuple(p) for p in probes["som_links"].tolist()}
    assert links == {(k, j) for k in range(len(W)) for j in nb[k] if k < j}
    assert not probes["prototypes"].flags.writeable


def test_init_options_place_prototypes() -> None:
    X = make(som_cfg()).X_train.numpy()
    W = make(som_cfg(init=SomInit.UNIFORM)).W.numpy()
    assert (W >= X.min(axis=0) - 1e-6).all() and (W <= X.max(axis=0) + 1e-6).all()
    W = make(som_cfg(init=SomInit.SAMPLE)).W.numpy()
    assert all(np.isclose(X, w).all(axis=1).any() for w in W)
    np.testing.assert_array_equal(W, make(som_cfg(init=SomInit.SAMPLE)).W.numpy())  # seeded


def test_digits_prototypes_are_images() -> None:
    cfg = RunConfig(
        kind=ModelKind.SOM,
        data=DataConfig(name=DatasetName.DIGITS, n_samples=100),
        som=SomConfig(width=3, height=2),
    )
    learner = make(cfg)
    learner.train_step()
    assert learner.probes()["prototypes"].shape == (6, 64)
    assert learner.info.images_test.shape[1:] == (1, 8, 8)
    report = learner.answer("report")
    assert set(report) >= {"quantisation_error", "random_quantisation_error"}


def test_report_baseline_is_random_box_prototypes() -> None:
    learner = make(som_cfg())
    report = learner.answer("report")
    assert report["quantisation_error"] == pytest.approx(learner.evaluate()["test_loss"])
    g = torch.Generator().manual_seed(learner.cfg.train.seed + 2)
    X = learner.X_train
    lo, hi = X.min(dim=0).values, X.max(dim=0).values
    R = (lo + (hi - lo) * torch.rand(learner.W.shape[0], 2, generator=g)).numpy()
    Xt = learner.X_test.numpy()
    qe = np.sqrt(((Xt[:, None] - R[None]) ** 2).sum(axis=2)).min(axis=1).mean()
    assert report["random_quantisation_error"] == pytest.approx(qe, rel=1e-5)


@pytest.mark.parametrize(
    ("som", "message"),
    [
        ({"width": 0}, "som.width: must be between 1 and 40, got 0"),
        ({"height": 41}, "som.height: must be between 1 and 40, got 41"),
        ({"width": 1, "height": 1}, "som.width: a map needs at least 2 units"),
        ({"lr": 0}, "som.lr: must be between"),
        ({"radius_end": 0}, "som.radius_end: must be between"),
        ({"radius": 1.0, "radius_end": 2.0}, "som.radius_end: must not exceed som.radius"),
        ({"decay_steps": 0}, "som.decay_steps: must be between"),
        ({"topology": "triangle"}, "som.topology: unknown value 'triangle'"),
        ({"init": "pca"}, "som.init: unknown value 'pca'"),
    ],
)
def test_bad_values_are_refused_naming_the_field(som: dict, message: str) -> None:
    d = som_cfg().to_dict()
    d["som"] |= som
    with pytest.raises(ConfigError) as e:
        RunConfig.from_dict(d)
    assert str(e.value).startswith(message)


def test_som_refuses_data_it_cannot_map() -> None:
    d = som_cfg().to_dict()
    d["data"] |= {"name": "csv", "csv_path": "x.csv"}
    with pytest.raises(ConfigError, match="^data.name: a self-organising map trains on"):
        RunConfig.from_dict(d)


def test_config_round_trips() -> None:
    cfg = som_cfg(Topology.SQUARE, width=5, init=SomInit.SAMPLE)
    assert RunConfig.from_json(cfg.to_json()) == cfg


def test_trainer_runs_pauses_and_closes() -> None:
    trainer = Trainer(som_cfg(), idle_pause_s=None, capped=False)
    try:
        trainer.start()
        wait_for(lambda: trainer.latest().step, lambda s: s > 100)
        ack = trainer.pause()
        held = ack.snapshot.step
        assert trainer.latest().step == held
        assert trainer.step(5).snapshot.step == held + 5
        snap = trainer.latest()
        assert "umatrix" in snap.extra and snap.extra["prototypes"].shape == (12, 2)
        assert not math.isnan(snap.train_loss)
        assert set(snap.history) == {"step", "epoch", "train_loss", "test_loss",
                                     "topographic_error"}  # fmt: skip
    finally:
        trainer.close(wait=True)


def test_exports_refuse_a_map_with_a_message() -> None:
    from playground.export.codegen import generate_script

    with pytest.raises(ConfigError, match="^kind: the exported script trains supervised"):
        generate_script(som_cfg())
    with pytest.raises(RequestError, match="no network to export"):
        make(som_cfg()).answer("model")
    state = make(som_cfg()).answer("weights")
    learner = make(som_cfg(init=SomInit.SAMPLE))
    learner.load_state(state)
    torch.testing.assert_close(learner.W, state["prototypes"])
