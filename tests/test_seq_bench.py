"""The sequence benchmark: its bare loop takes the Trainer's very steps, and its JSON row."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import torch

from playground.cli import main
from playground.config import with_value
from playground.data.sequences import make_sequences
from playground.train.bench import KIND_RUNS
from playground.train.sequence_bench import MODES, RUNS, BareSeqLoop, bench_config
from playground.train.trainer import Trainer
from tests.engine_fixtures import one_torch_thread


@pytest.fixture(autouse=True)
def _keep_threads() -> Iterator[None]:
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_bare_loop_and_trainer_take_the_same_steps() -> None:
    cfg = with_value(bench_config("seq-copy-lstm"), "data.n_samples", 80)  # 40 train: 2 epochs
    data = make_sequences(cfg.data, cfg.seq)
    trainer = Trainer(cfg, dataset=data, with_probes=False, idle_pause_s=None)
    try:
        trainer.step(3)
        state = trainer.ask("weights")
    finally:
        trainer.close()
    loop = BareSeqLoop(cfg, data, torch.device("cpu"))
    with one_torch_thread():  # as the Trainer thread: the same sums in the same order
        for _ in range(3):
            loop.step()
    for k, v in loop.model.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_bench_command_times_a_sequence_preset(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "--run", "seq-sine-lstm", "--json", "--seconds", "0.05", "--rounds", "1"]
    assert main(args) == 0
    run = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["runs"]["seq-sine-lstm"]
    assert set(run["examples_per_s"]) == set(MODES) and run["trainer_vs_bare_cpu"] > 0
    assert {"probes", "internals", "examples", "evaluate_train_test"} <= set(run["probe_ms"])
    assert set(RUNS) == set(KIND_RUNS)  # `bench --run` accepts each of them
