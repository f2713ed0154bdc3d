"""Tests for explain.diagnostics, its figures and the diagnostics panel (AppTest)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from streamlit.testing.v1 import AppTest

from playground.config import (
    Activation,
    Init,
    LayerSpec,
    Loss,
    ModelConfig,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.explain import probes
from playground.explain.diagnostics import (
    FlagKind,
    activation_summary,
    gradient_health,
    snapshot_health,
)
from playground.figures import diagnostics as figs
from playground.nn.engine import make_optimizer, train_step, weight_params
from playground.nn.model import LOSSES, Head, build_model, trainable_layers
from playground.train.snapshot import Snapshot
from playground.train.trainer import Trainer
from tests.engine_fixtures import one_torch_thread, wait_for

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


def _run(cfg: RunConfig, steps: int) -> tuple[Trainer, Snapshot]:
    """A real trainer that took `steps` steps, recording every step; closed by the caller."""
    cfg = cfg.replace(train=dataclasses.replace(cfg.train, eval_every=1))
    trainer = Trainer(cfg, idle_pause_s=None, grid_resolution=10)
    return trainer, trainer.step(steps).snapshot


def _flags(cfg: RunConfig, steps: int = 12) -> set[tuple[str, FlagKind]]:
    trainer, snap = _run(cfg, steps)
    try:
        names = [p.name for p in snap.layers]
        return {(f.layer, f.kind) for f in gradient_health(snap.history, names)}
    finally:
        trainer.close()


def _sigmoid_stack(depth: int = 8) -> RunConfig:
    layers = tuple(LayerSpec(units=8, activation=Activation.SIGMOID) for _ in range(depth))
    return RunConfig(model=ModelConfig(layers=layers))


# ---- flags on real runs -------------------------------------------------------------------------


def test_deep_sigmoid_stack_flags_vanishing_gradients_in_early_layers():
    flags = _flags(_sigmoid_stack())
    assert ("dense 1", FlagKind.VANISHING) in flags
    assert not {kind for layer, kind in flags if layer == "output"} & {FlagKind.VANISHING}


def test_lr_10_flags_updates_too_large():
    flags = _flags(RunConfig(train=TrainConfig(lr=10.0)))
    assert FlagKind.TOO_LARGE in {kind for _, kind in flags}


def test_default_network_is_healthy():
    assert _flags(RunConfig(), steps=30) == set()


def test_zero_init_flags_that_no_gradient_flows():
    layers = (LayerSpec(units=4, init=Init.ZEROS), LayerSpec(units=2, init=Init.ZEROS))
    flags = _flags(RunConfig(model=ModelConfig(layers=layers)))
    assert ("dense 1", FlagKind.VANISHING) in flags


def test_snapshot_health_uses_the_newest_probes_between_records():
    # a budget that is never due by time: while running, no record after the first
    trainer = Trainer(_sigmoid_stack(), idle_pause_s=None, grid_resolution=10, eval_budget=1e-9)
    try:
        trainer.start()
        snap = wait_for(trainer.latest, lambda s: s.step >= 3 and s.layers)
        assert snap.history["step"][-1] == 0  # only the layer probes know the newer numbers
        assert gradient_health(snap.history) == []
        assert snapshot_health(snap)  # the probes' newer numbers already show the problem
    finally:
        trainer.close()


# ---- flags on synthetic histories (known answers) -----------------------------------------------


def _history(**columns: list[float]) -> dict[str, np.ndarray]:
    n = len(next(iter(columns.values())))
    base = {"step": np.arange(1, n + 1, dtype=float), "train_loss": np.ones(n)}
    return base | {k.replace("__", "/"): np.asarray(v, float) for k, v in columns.items()}


def test_large_gradient_norm_is_exploding():
    h = _history(grad_norm__output=[1.0, 5e3], update_ratio__output=[1e-3, 1e-3])
    assert [(f.layer, f.kind) for f in gradient_health(h)] == [("output", FlagKind.EXPLODING)]


def test_growing_gradient_norm_is_exploding():
    norms = [1.0, 1.1, 0.9, 1.0, 200.0, 300.0]
    h = _history(grad_norm__output=norms, update_ratio__output=[1e-3] * 6)
    assert {f.kind for f in gradient_health(h)} == {FlagKind.EXPLODING}


def test_update_ratio_thresholds():
    h = _history(
        grad_norm__a=[1.0],
        grad_norm__output=[1.0],
        update_ratio__a=[0.5],
        update_ratio__output=[1e-7],
    )
    kinds = {(f.layer, f.kind) for f in gradient_health(h)}
    assert kinds == {("a", FlagKind.TOO_LARGE), ("output", FlagKind.TOO_SLOW)}


def test_step_zero_and_empty_history_raise_no_flags():
    assert gradient_health({}) == []
    h = _history(grad_norm__output=[0.0], update_ratio__output=[math.nan])
    h["step"] = np.zeros(1)
    assert gradient_health(h) == []


def test_every_flag_explains_itself_in_one_line():
    trainer, snap = _run(RunConfig(train=TrainConfig(lr=10.0)), 12)
    trainer.close()
    for flag in snapshot_health(snap):
        assert flag.layer in flag.message and "\n" not in flag.message and len(flag.message) < 200


# ---- probes against oracles ---------------------------------------------------------------------


def _model() -> torch.nn.Sequential:
    specs = (LayerSpec(units=6, activation=Activation.RELU), LayerSpec(units=4))
    return build_model(ModelConfig(specs), (3,), Head(1, Activation.TANH), seed=3)


def _model_and_batch() -> tuple[torch.nn.Sequential, torch.Tensor, torch.Tensor]:
    model = _model()
    g = torch.Generator().manual_seed(1)
    X = torch.randn(32, 3, generator=g)
    return model, X, torch.sign(torch.randn(32, 1, generator=g))


def test_layer_probe_histograms_equal_numpy_histogram():
    model, X, t = _model_and_batch()
    train_step(model, make_optimizer(model, TrainConfig()), X, t, LOSSES[Loss.MSE], [])
    acts = probes.layer_activations(model)
    layers = probes.layer_probes(model, X, acts, [math.nan] * 3)
    for p, (k, m, _) in zip(layers, trainable_layers(model)):
        outputs = model[: k + 2].eval()(X).detach()  # this layer's activation output
        for hist, values in [(p.weight_hist, m.weight), (p.grad_hist, m.weight.grad),
                             (p.act_hist, outputs)]:  # fmt: skip
            v = values.detach().double().numpy().ravel()
            counts, edges = np.histogram(v, bins=len(hist[0]))
            np.testing.assert_array_equal(hist[0], counts)
            np.testing.assert_allclose(hist[1], edges, rtol=1e-6, atol=1e-7)


def test_probe_gradient_norms_equal_autograd():
    model, X, t = _model_and_batch()
    reference = _model()  # the same seed: the same weights
    loss = LOSSES[Loss.MSE](reference(X), t)
    expected = [float(g.norm()) for g in torch.autograd.grad(loss, weight_params(reference))]
    train_step(model, make_optimizer(model, TrainConfig()), X, t, LOSSES[Loss.MSE], [])
    layers = probes.layer_probes(model, X, probes.layer_activations(model), [])
    np.testing.assert_allclose([p.grad_norm for p in layers], expected, rtol=1e-5)


@pytest.mark.parametrize("optimizer", [Optimizer.SGD, Optimizer.ADAM])  # NumPy fast path, autograd
def test_trainer_gradient_norms_equal_autograd_on_its_first_batch(optimizer):
    cfg = RunConfig(train=TrainConfig(optimizer=optimizer, seed=5))
    trainer, snap = _run(cfg, 1)
    trainer.close()
    sup = trainer.learner  # the thread is gone: its learner is ours to read
    model = build_model(cfg.model, sup.data.input_shape, sup.head, cfg.train.seed)
    n = sup.X_train.shape[0]
    first = torch.randperm(n, generator=torch.Generator().manual_seed(5))[: cfg.train.batch_size]
    loss = sup.loss_fn(model(sup.X_train[first]), sup.t_train[first])
    expected = [float(g.norm()) for g in torch.autograd.grad(loss, weight_params(model))]
    recorded = [snap.history[f"grad_norm/{p.name}"][-1] for p in snap.layers]
    np.testing.assert_allclose(recorded, expected, rtol=1e-4)
    np.testing.assert_allclose([p.grad_norm for p in snap.layers], expected, rtol=1e-4)


def test_activation_summary_matches_probes_and_the_real_spread():
    model, X, _ = _model_and_batch()
    layers = probes.layer_probes(model, X, probes.layer_activations(model), [])
    rows = activation_summary(layers)
    assert [r["layer"] for r in rows] == [p.name for p in layers]
    assert rows[0]["dead %"] == pytest.approx(100 * layers[0].dead_fraction)
    assert rows[0]["saturated %"] is None and rows[1]["dead %"] is None  # relu / tanh
    for row, p, (k, _, _) in zip(rows, layers, trainable_layers(model)):
        out = model[: k + 2].eval()(X).detach()
        width = float(p.act_hist[1][1] - p.act_hist[1][0])
        assert row["mean"] == pytest.approx(float(out.mean()), abs=width)
        assert row["std"] == pytest.approx(float(out.std(correction=0)), abs=width)


# ---- figures ------------------------------------------------------------------------------------


def test_rebin_keeps_the_total_and_matches_numpy_on_coarser_edges():
    v = np.random.default_rng(0).normal(size=1000)
    counts, edges = np.histogram(v, bins=30)
    np.testing.assert_allclose(figs.rebin(counts, edges, edges), counts)
    coarse = edges[::3]  # every third edge: exact sums of three bins
    np.testing.assert_allclose(figs.rebin(counts, edges, coarse), np.histogram(v, coarse)[0])
    wide = np.linspace(-10, 10, 17)
    assert figs.rebin(counts, edges, wide).sum() == pytest.approx(1000)


def test_histogram_figures_have_one_panel_per_layer():
    trainer, snap = _run(_sigmoid_stack(3), 5)
    trainer.close()
    n = len(snap.layers)
    fig = figs.layer_histograms(snap.layers, "weights", reference=snap.probe_history[0][1])
    assert [type(t) for t in fig.data] == [go.Bar, go.Scatter] * n
    over_time = figs.histogram_over_time(snap.probe_history, "gradients")
    assert len(over_time.data) == n and all(isinstance(t, go.Heatmap) for t in over_time.data)
    z = np.asarray(over_time.data[0].z)
    assert z.shape == (len(snap.probe_history), figs.TIME_BINS)
    np.testing.assert_allclose(z[1:].sum(axis=1), 1.0, rtol=1e-5)  # step 0 has no gradient


def test_variant_curves_one_colour_per_run_train_solid_test_dashed():
    h = {"step": np.arange(5.0), "train_loss": np.ones(5), "test_loss": np.ones(5)}
    fig = figs.variant_curves([("a", h), ("b", h)], "loss")
    assert [t.line.dash for t in fig.data] == ["solid", "dash"] * 2
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color
    assert fig.layout.yaxis.title.text == "loss"


# ---- the panel (AppTest) ------------------------------------------------------------------------

PANEL_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from playground.config import Activation, LayerSpec, ModelConfig, RunConfig, TrainConfig
from playground.train.trainer import Trainer
from tests.engine_fixtures import wait_for
from ui.diagnostics_view import diagnostics_panel

layers = tuple(LayerSpec(units=8, activation=Activation.{act}) for _ in range(4))
cfg = RunConfig(model=ModelConfig(layers=layers), train=TrainConfig(lr={lr}, eval_every=2))
trainer = Trainer(cfg, idle_pause_s=None, publish_hz=1000, grid_resolution=10)
for _ in range(3):
    trainer.step(4)
snap = trainer.latest()
trainer.close()
diagnostics_panel(snap)
"""


@pytest.mark.parametrize(("act", "lr"), [("SIGMOID", 0.03), ("RELU", 10.0)])
def test_diagnostics_panel_renders_scrubs_and_switches_kind(tmp_path, act, lr):
    script = tmp_path / "panel.py"
    script.write_text(PANEL_SCRIPT.format(root=str(REPO_ROOT), act=act, lr=lr))
    at = AppTest.from_file(str(script), default_timeout=60).run()
    assert not at.exception, at.exception
    scrub = at.select_slider(key="diag_step")
    assert scrub.options == ["0", "4", "8", "12"] and scrub.value == 12
    if lr > 1:
        assert any("Updates" in w.value or "update" in w.value for w in at.warning)
    at.radio(key="diag_kind").set_value("activations")
    scrub.set_value(4)
    at.run()
    assert not at.exception, at.exception
    assert at.select_slider(key="diag_step").value == 4
    assert len(at.dataframe) == 2
