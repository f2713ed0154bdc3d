"""The rbf layer: Gaussian units against their formula, k-means centres against scikit-learn and
Lloyd's fixed point written out here, its place in the config, the probes and the exports."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans

from playground.config import (
    ConfigError,
    DataConfig,
    DatasetName,
    Init,
    LayerKind,
    LayerSpec,
    ModelConfig,
    ModelKind,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.data.datasets import make_dataset
from playground.explain.probes import layer_names
from playground.export.codegen import generate_script
from playground.export.experiment import experiment_from_trainer, load_experiment
from playground.nn.engine import forward_with_activations, grid_points
from playground.nn.model import RBF, build_model, output_head
from playground.presets import get_preset
from playground.train import headless
from playground.train.kinds import learner_factory
from playground.train.trainer import Trainer
from ui.layer_tokens import layers_from_url, layers_to_url
from ui.live.payload import decode, encode


def rbf_cfg(units: int = 5, init: Init = Init.KMEANS, *more: LayerSpec, **data: object):
    data = {"name": DatasetName.CIRCLE, "n_samples": 120} | data
    return RunConfig(
        data=DataConfig(**data),
        model=ModelConfig(layers=(LayerSpec(kind=LayerKind.RBF, units=units, init=init), *more)),
        train=TrainConfig(optimizer=Optimizer.ADAM, lr=0.03),
    )


def built(cfg: RunConfig) -> tuple[torch.nn.Sequential, torch.Tensor]:
    data = make_dataset(cfg.data)
    head = output_head(cfg, data.n_classes)
    model = build_model(cfg.model, data.input_shape, head, cfg.train.seed, inputs=data.X_train)
    return model, data.X_train


def gaussians(X: np.ndarray, C: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """exp(-||x - c_j||^2 / (2 sigma_j^2)), one loop per unit and input, by hand."""
    out = np.zeros((len(X), len(C)))
    for n, x in enumerate(X):
        for j, c in enumerate(C):
            out[n, j] = np.exp(-np.sum((x - c) ** 2) / (2 * sigma[j] ** 2))
    return out


def test_unit_output_is_the_gaussian_of_the_distance() -> None:
    model, X = built(rbf_cfg(4, Init.UNIFORM, LayerSpec(units=3)))
    rbf = model[0]
    assert isinstance(rbf, RBF)
    with torch.no_grad():
        rbf.log_width.copy_(torch.tensor([0.1, -0.5, 0.7, 0.0]))
    _, acts = forward_with_activations(model, X[:20])
    C, s = rbf.weight.detach().double().numpy(), rbf.log_width.detach().double().exp().numpy()
    want = gaussians(X[:20].double().numpy(), C, s)
    np.testing.assert_allclose(acts[0].numpy(), want, rtol=1e-5, atol=1e-7)
    assert layer_names(model) == ["rbf 1", "dense 2", "output"]


def test_centres_and_widths_learn() -> None:
    learner = learner_factory(rbf_cfg(4))()
    rbf = learner.model[0]
    c0, w0 = rbf.weight.detach().clone(), rbf.log_width.detach().clone()
    for _ in range(5):
        learner.train_step()
    assert not torch.equal(rbf.weight, c0) and not torch.equal(rbf.log_width, w0)


def test_kmeans_places_centres_at_the_centroids() -> None:
    cfg = rbf_cfg(6)
    model, X = built(cfg)
    C = model[0].weight.detach().double().numpy()
    Xn = X.double().numpy()
    ref = KMeans(6, n_init=4, random_state=cfg.train.seed).fit(Xn).cluster_centers_
    np.testing.assert_allclose(C, ref, atol=1e-6)
    # Lloyd's fixed point, by hand: every centre is the mean of the inputs nearest to it
    nearest = np.argmin(((Xn[:, None] - C[None]) ** 2).sum(axis=2), axis=1)
    for j in range(6):
        np.testing.assert_allclose(C[j], Xn[nearest == j].mean(axis=0), atol=1e-6)
    # each width: the distance to the nearest other centre
    d = np.sqrt(((C[:, None] - C[None]) ** 2).sum(axis=2)) + np.diag([np.inf] * 6)
    np.testing.assert_allclose(model[0].widths.detach().numpy(), d.min(axis=1), rtol=1e-5)


def test_uniform_centres_are_random_in_the_inputs_box() -> None:
    model, X = built(rbf_cfg(30, Init.UNIFORM))
    C = model[0].weight.detach()
    assert (C >= X.min(dim=0).values).all() and (C <= X.max(dim=0).values).all()
    again, _ = built(rbf_cfg(30, Init.UNIFORM))
    assert torch.equal(again[0].weight, model[0].weight)  # seeded


def test_rbf_on_digits_takes_the_flattened_pixels() -> None:
    cfg = rbf_cfg(10, Init.KMEANS, name=DatasetName.DIGITS, n_samples=200)
    model, X = built(cfg)
    ref = KMeans(10, n_init=4, random_state=0).fit(X.reshape(len(X), -1).double().numpy())
    np.testing.assert_allclose(model[1].weight.detach().numpy(), ref.cluster_centers_, atol=1e-5)


@pytest.mark.parametrize(
    ("layers", "kind", "message"),
    [
        ([{"units": 4}, {"kind": "rbf", "units": 4, "init": "kmeans"}], "supervised",
         "model.layers[1]: an rbf layer must be the first layer"),
        ([{"kind": "rbf", "units": 4, "init": "xavier_uniform"}], "supervised",
         "model.layers[0].init: an rbf layer's centres start at 'kmeans'"),
        ([{"kind": "rbf", "units": 4}], "supervised", "model.layers[0].init: an rbf layer's"),
        ([{"units": 4, "init": "kmeans"}], "supervised", "model.layers[0].init: kmeans places"),
        ([{"kind": "rbf", "units": 0, "init": "kmeans"}], "supervised",
         "model.layers[0].units: must be between"),
        ([{"kind": "rbf", "units": 4, "init": "kmeans"}], "som",
         "model.layers[0]: rbf layers belong to supervised networks"),
    ],
)  # fmt: skip
def test_config_refuses_misplaced_rbf_layers(layers: list, kind: str, message: str) -> None:
    d = RunConfig().to_dict() | {"kind": kind}
    d["model"]["layers"] = layers
    with pytest.raises(ConfigError) as e:
        RunConfig.from_dict(d)
    assert str(e.value).startswith(message)


def test_config_and_url_round_trip() -> None:
    cfg = rbf_cfg(7, Init.UNIFORM, LayerSpec(units=3))
    assert RunConfig.from_json(cfg.to_json()) == cfg
    assert layers_to_url(cfg.model.layers).startswith("rbf:7:uniform,")
    rebuilt = layers_from_url(layers_to_url(cfg.model.layers))
    assert RunConfig.from_dict(cfg.to_dict() | {"model": {"layers": rebuilt}}) == cfg


def test_kmeans_needs_enough_inputs() -> None:
    cfg = rbf_cfg(30, Init.KMEANS, n_samples=40)  # 20 training inputs
    with pytest.raises(ConfigError, match=r"^model.layers\[0\]: kmeans needs at least 30"):
        built(cfg)


def test_probes_show_rbf_units_on_the_plane_and_in_the_network() -> None:
    learner = learner_factory(rbf_cfg(4), grid_resolution=20)()
    probes = learner.probes()
    rbf = learner.model[0]
    grid = grid_points(6.0, 20).astype(np.float64)
    C, s = rbf.weight.detach().double().numpy(), rbf.widths.detach().double().numpy()
    want = gaussians(grid, C, s).T.reshape(4, 20, 20)
    np.testing.assert_allclose(probes["neuron_grids"][0], want, rtol=1e-4, atol=1e-6)
    centres = probes["rbf_centres"]
    np.testing.assert_allclose(centres, np.c_[C, s], rtol=1e-6)
    assert probes["layers"][0].name == "rbf 1" and probes["layers"][0].weights.shape == (4, 2)


def test_live_payload_carries_the_centres() -> None:
    trainer = Trainer(rbf_cfg(4), idle_pause_s=None, capped=False)
    try:
        snap = trainer.step(3).snapshot
        msg = decode(encode(snap, trainer.info).data)
        np.testing.assert_allclose(msg["arrays"]["rbf"], snap.extra["rbf_centres"])
        assert msg["layers"][0] == "rbf 1"
    finally:
        trainer.close(wait=True)


def test_no_centres_on_the_plane_when_the_inputs_are_not_x1_x2() -> None:
    learner = learner_factory(rbf_cfg(3, features=("x1", "x2", "x1^2")), grid_resolution=10)()
    assert "rbf_centres" not in learner.probes()


def test_exports_refuse_or_carry_rbf_layers(tmp_path) -> None:
    cfg = rbf_cfg(4)
    with pytest.raises(ConfigError, match=r"^model.layers\[0\]: the exported script has no rbf"):
        generate_script(cfg)
    trainer = Trainer(cfg, with_probes=False, idle_pause_s=None, capped=False)
    try:
        trainer.step(5)
        loaded = load_experiment(experiment_from_trainer(trainer))
        assert torch.equal(loaded.state_dict["0.weight"], trainer.ask("weights")["0.weight"])
    finally:
        trainer.close(wait=True)


def test_set_weight_by_hand_moves_a_centre_and_refuses_a_bias() -> None:
    trainer = Trainer(rbf_cfg(3), idle_pause_s=None, capped=False)
    try:
        assert trainer.set_param(0, 1, 0, 2.5).ok
        assert float(trainer.ask("weights")["0.weight"][1, 0]) == 2.5
        assert "rbf 1 has no biases" in trainer.set_param(0, 1, None, 1.0).error
    finally:
        trainer.close(wait=True)


@pytest.mark.slow
def test_rbf_circle_preset_reaches_its_accuracy() -> None:
    cfg = get_preset("rbf-circle")
    assert cfg.kind == ModelKind.SUPERVISED and cfg.model.layers[0].kind == LayerKind.RBF
    trainer, result = headless.run(cfg)
    trainer.close()
    print(json.dumps(result))
    assert result["status"] == "done" and result["test_accuracy"] >= 0.95
