"""Tests for train.bench: the `bench` command's JSON, and the bare loop against the Trainer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import torch

from playground.cli import main
from playground.config import DatasetName, Optimizer
from playground.data.datasets import Dataset, make_dataset
from playground.nn.engine import evaluate
from playground.nn.fastpath import FastStep
from playground.train.bench import MODES, RUNS, BareLoop, FastLoop, bench_config
from playground.train.trainer import Trainer
from tests.engine_fixtures import tiny_config, wait_for

CPU = torch.device("cpu")
STEPS = 60  # more than two epochs of the tiny set at batch 10
RUN_KEYS = {
    "device", "batch_size", "fast_path", "examples_per_s", "examples_per_cpu_s",
    "trainer_vs_bare", "trainer_probes_vs_bare", "bare_fast_vs_bare", "trainer_vs_bare_fast",
    "trainer_vs_bare_cpu", "trainer_probes_vs_bare_cpu", "bare_fast_vs_bare_cpu",
    "trainer_vs_bare_fast_cpu", "probe_ms", "snapshot_bytes",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _keep_threads() -> Iterator[None]:
    """The benchmark sets torch's thread count for the whole process: put it back."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_bench_command_prints_the_documented_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--json", "--seconds", "0.05", "--rounds", "1"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"torch", "cpu_count", "load_avg_1m", "torch_threads", "runs", "total_s"} <= set(result)
    assert set(result["runs"]) == set(RUNS)
    for name, run in result["runs"].items():
        assert RUN_KEYS <= set(run), name
        modes = set(MODES) if run["fast_path"] else set(MODES) - {"bare_fast"}
        assert set(run["examples_per_s"]) == modes == set(run["examples_per_cpu_s"])
        assert all(v > 0 for v in run["examples_per_s"].values())
        assert run["snapshot_bytes"] > 0
        assert "layer_probes" in run["probe_ms"]
    assert result["runs"]["spiral"]["fast_path"] and not result["runs"]["digits-cnn"]["fast_path"]
    assert {"boundary_grid", "grids"} <= set(result["runs"]["circle"]["probe_ms"])


def test_bench_table_names_every_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--run", "circle", "--seconds", "0.05", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert all(f"circle      {mode}" in out for mode in MODES)


def _trainer_run(cfg, data: Dataset) -> tuple[dict[str, torch.Tensor], list[float]]:
    """Weights after STEPS steps of a Trainer, and its full-set train loss after every step."""
    trainer = Trainer(cfg, dataset=data, with_probes=False, idle_pause_s=None)
    try:
        trainer.step(STEPS)
        snap = wait_for(trainer.latest, lambda s: s.step == STEPS, timeout_s=10.0)
        return trainer.ask("weights"), list(snap.history["train_loss"])
    finally:
        trainer.close()


def _loop_run(loop: BareLoop, data: Dataset) -> tuple[dict[str, torch.Tensor], list[float]]:
    """The same for one of the benchmark's loops."""

    def loss() -> float:
        return evaluate(loop.model, loop.X, loop.t, data.y_train, loop.loss_fn, True).loss

    losses = [loss()]
    for _ in range(STEPS):
        loop.step()
        losses.append(loss())
    return loop.model.state_dict(), losses


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_bare_loop_and_trainer_take_the_same_steps_with_autograd() -> None:
    cfg = tiny_config(optimizer=Optimizer.ADAM, eval_every=1)  # Adam: both use autograd
    data = make_dataset(cfg.data)
    state, losses = _trainer_run(cfg, data)
    loop_state, loop_losses = _loop_run(BareLoop(cfg, data, CPU), data)
    assert _same(state, loop_state)
    assert losses == loop_losses


def test_fast_loop_and_trainer_take_the_same_steps() -> None:
    cfg = tiny_config(eval_every=1)  # SGD on a small dense net: the Trainer takes FastStep
    data = make_dataset(cfg.data)
    assert FastStep.supports(BareLoop(cfg, data, CPU).model, cfg, CPU)
    state, losses = _trainer_run(cfg, data)
    fast_state, fast_losses = _loop_run(FastLoop(cfg, data, CPU), data)
    assert _same(state, fast_state)
    # The same weights at every step; the Trainer may evaluate them another way (in NumPy on
    # the fast path), so its recorded losses need only agree to float32 rounding.
    assert losses == pytest.approx(fast_losses, rel=1e-6)
    # Autograd sums in another order in float32: the same run, equal to rounding only.
    bare_state, bare_losses = _loop_run(BareLoop(cfg, data, CPU), data)
    for k in state:
        torch.testing.assert_close(state[k], bare_state[k], rtol=1e-4, atol=1e-5)
    assert losses == pytest.approx(bare_losses, rel=1e-4)


def test_bench_config_turns_every_stop_off() -> None:
    for name in RUNS:
        t = bench_config(name).train
        assert (t.max_steps, t.max_epochs, t.target_test_loss) == (0, 0, 0.0)
    assert bench_config("spiral").data.name == DatasetName.SPIRAL
