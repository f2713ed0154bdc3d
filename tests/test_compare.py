"""Tests for train.compare: variants per axis, shared weights and data order, CompareRun."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from playground.config import (
    Activation,
    ConfigError,
    DataConfig,
    DatasetName,
    LayerKind,
    LayerSpec,
    ModelConfig,
    RunConfig,
    TrainConfig,
)
from playground.train.compare import (
    AXES,
    PRESETS,
    CompareRun,
    make_variants,
    parse_values,
)
from tests.engine_fixtures import one_torch_thread

BASE = RunConfig(
    model=ModelConfig(layers=(LayerSpec(units=5), LayerSpec(kind=LayerKind.DROPOUT, p=0.1))),
    train=TrainConfig(seed=3, eval_every=1),
)
FAST = {"grid_resolution": 10, "idle_pause_s": None}

AXIS_CASES = {
    "optimizer": (["sgd", "adam"], lambda c: c.train.optimizer.value, ["sgd", "adam"]),
    "lr": ([0.01, 0.3], lambda c: c.train.lr, [0.01, 0.3]),
    "batch_size": ([1, 25], lambda c: c.train.batch_size, [1, 25]),
    "activation": (
        ["relu", "sigmoid"],
        lambda c: c.model.layers[0].activation.value,
        ["relu", "sigmoid"],
    ),
    "init": (
        ["zeros", "orthogonal"],
        lambda c: c.model.layers[0].init.value,
        ["zeros", "orthogonal"],
    ),
    "regularization": (
        ["none", "l1:0.01", 0.002],
        lambda c: (c.train.l1, c.train.l2),
        [(0.0, 0.0), (0.01, 0.0), (0.0, 0.002)],
    ),
    "depth": ([0, 3], lambda c: len(c.model.layers), [0, 3]),
}


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


@pytest.fixture
def runs() -> Iterator[list[CompareRun]]:
    """CompareRuns made by a test; every one is closed afterwards."""
    made: list[CompareRun] = []
    yield made
    for run in made:
        run.close()


def _run(runs: list[CompareRun], variants) -> CompareRun:
    run = CompareRun(variants, **FAST)
    runs.append(run)
    return run


def _without(cfg: RunConfig, axis: str) -> dict:
    """The config as a dict with the fields an axis may change removed."""
    d = cfg.to_dict()
    if axis in ("activation", "init", "depth"):
        d["model"].pop("layers")
    elif axis == "regularization":
        d["train"].pop("l1"), d["train"].pop("l2")
    else:
        d["train"].pop(axis)
    return d


def test_axes_cover_every_case():
    assert set(AXIS_CASES) == set(AXES)


@pytest.mark.parametrize("axis", list(AXIS_CASES))
def test_make_variants_changes_only_the_axis(axis):
    values, read, expected = AXIS_CASES[axis]
    variants = make_variants(BASE, axis, values)
    assert [read(cfg) for _, cfg in variants] == expected
    assert len({label for label, _ in variants}) == len(values)
    for _, cfg in variants:
        assert _without(cfg, axis) == _without(BASE, axis)
        assert cfg.train.seed == BASE.train.seed and cfg.data == BASE.data


def test_activation_and_init_reach_every_hidden_layer_and_depth_copies_the_first():
    base = BASE.replace(model=ModelConfig(layers=(LayerSpec(units=5), LayerSpec(units=3))))
    (_, relu), _ = make_variants(base, "activation", ["relu", "tanh"])
    assert {s.activation for s in relu.model.layers} == {Activation.RELU}
    (_, deep), _ = make_variants(base, "depth", [4, 1])
    assert deep.model.layers == (base.model.layers[0],) * 4


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_make_valid_variants(name):
    axis, values = PRESETS[name]
    assert len(make_variants(RunConfig(), axis, values)) == len(values)


@pytest.mark.parametrize(
    ("axis", "values"),
    [
        ("colour", [1, 2]),
        ("lr", [0.1]),
        ("lr", [0.1] * 7),
        ("lr", [0.1, 0.1]),
        ("optimizer", ["sgd", "newton"]),
        ("regularization", ["l3:1", "none"]),
        ("depth", [1, 99]),
    ],
)
def test_bad_variants_are_rejected_with_a_message(axis, values):
    with pytest.raises(ConfigError, match="compare|layers"):
        make_variants(RunConfig(), axis, values)


def test_parse_values_converts_for_the_axis():
    assert parse_values("lr", "0.1, 1e-3") == [0.1, 0.001]
    assert parse_values("depth", "1,2,") == [1, 2]
    assert parse_values("optimizer", " sgd , adam") == ["sgd", "adam"]
    with pytest.raises(ConfigError):
        parse_values("batch_size", "ten")


def _state(run: CompareRun, i: int) -> dict[str, torch.Tensor]:
    return run.trainers[i].ask("weights")


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("axis", ["optimizer", "lr", "batch_size", "regularization", "activation"])
def test_variants_of_one_architecture_start_from_the_same_weights(runs, axis):
    run = _run(runs, make_variants(BASE, axis, AXIS_CASES[axis][0]))
    first = _state(run, 0)
    assert all(_same(first, _state(run, i)) for i in range(1, len(run.trainers)))


def test_different_inits_start_from_different_weights(runs):
    run = _run(runs, make_variants(BASE, "init", ["xavier_uniform", "kaiming_uniform"]))
    assert not _same(_state(run, 0), _state(run, 1))


def test_variants_see_the_same_first_batch(runs):
    """Same weights and the same batch give the same first gradient, whatever the lr."""
    run = _run(runs, make_variants(BASE, "lr", [0.001, 0.3, 1.0]))
    run.step(1)
    snaps = run.snapshots()
    assert all(s.step == 1 for s in snaps)
    names = [p.name for p in snaps[0].layers]
    grads = [[s.history[f"grad_norm/{n}"][-1] for n in names] for s in snaps]
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], grads[2])


def test_identical_configs_train_identically(runs):
    """Same seed: the same weights, the same data order, so the same loss history."""
    run = _run(runs, [("a", BASE), ("b", BASE)])
    run.step(40)
    a, b = run.snapshots()
    assert a.step == b.step == 40
    np.testing.assert_array_equal(a.history["train_loss"], b.history["train_loss"])


def _wait(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_start_pause_reset_close(runs):
    run = _run(runs, make_variants(RunConfig(), "lr", [0.03, 0.3]))
    run.start()
    assert _wait(lambda: all(s.step > 20 for s in run.snapshots()))
    assert run.is_active
    run.pause()
    steps = [s.step for s in run.snapshots()]
    time.sleep(0.2)
    assert [s.step for s in run.snapshots()] == steps and not run.is_active
    run.reset()
    assert [s.step for s in run.snapshots()] == [0, 0]
    run.close()
    assert not any(t.is_alive for t in run.trainers)


def test_table_has_one_row_per_variant(runs):
    run = _run(runs, make_variants(RunConfig(), "optimizer", ["sgd", "adam"]))
    run.step(5)
    rows = run.table()
    assert [r["variant"] for r in rows] == ["sgd", "adam"]
    assert all(r["steps"] == 5 and r["status"] == "paused" for r in rows)
    assert set(rows[0]) == {
        "variant", "steps", "train loss", "test loss", "train accuracy", "test accuracy", "status"
    }  # fmt: skip


def test_max_steps_stops_every_variant_at_the_same_step(runs):
    base = RunConfig(train=TrainConfig(max_steps=30))
    run = _run(runs, make_variants(base, "optimizer", ["sgd", "adam"]))
    run.start()
    assert _wait(lambda: all(s.status.value == "done" for s in run.snapshots()))
    assert [r["steps"] for r in run.table()] == [30, 30]


def test_compare_run_checks_its_variants():
    with pytest.raises(ConfigError, match="2 to 6"):
        CompareRun([("a", BASE)])
    other = BASE.replace(data=DataConfig(name=DatasetName.XOR))
    with pytest.raises(ConfigError, match="same data"):
        CompareRun([("a", BASE), ("b", other)])
