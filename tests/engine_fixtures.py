"""Small shared helpers for the engine tests: tiny configs, a fake clock, polling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import torch

from playground.config import (
    DataConfig,
    DatasetName,
    Device,
    LayerSpec,
    ModelConfig,
    RunConfig,
    TrainConfig,
)
from playground.train import headless

T = TypeVar("T")


def tiny_config(name: DatasetName = DatasetName.CIRCLE, **train: object) -> RunConfig:
    """A 200-sample 2-D run with a 4-2 tanh network on CPU; train fields as keywords."""
    return RunConfig(
        data=DataConfig(name=name, n_samples=200),
        model=ModelConfig(layers=(LayerSpec(units=4), LayerSpec(units=2))),
        train=TrainConfig(device=Device.CPU, **train),
    )


def wait_for(read: Callable[[], T], ok: Callable[[T], bool], timeout_s: float = 5.0) -> T:
    """Poll read() until ok(value) holds; the last value, or AssertionError after timeout_s."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while not ok(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s; last value {value!r}")
        time.sleep(0.01)
        value = read()
    return value


class FakeClock:
    """A clock that moves only when a test advances it."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        """Move time forward by dt seconds."""
        self.t += dt


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread (tiny tensors on 2 shared cores run faster), restored on exit."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_scripts_and_app(sources: dict, configs: dict, tmp_path) -> dict:
    """{name: (the exported script's JSON, the headless run's summary)}: each generated script
    runs as its own program (all at once: importing torch dominates), each config headless."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    procs = {}
    for name, source in sources.items():
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        procs[name] = subprocess.Popen(
            [sys.executable, "-I", str(path)], cwd=tmp_path, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
    results = {}
    for name, cfg in configs.items():
        out, err = procs[name].communicate(timeout=240)
        assert procs[name].returncode == 0, err
        trainer, want = headless.run(cfg, poll_s=0.02)
        trainer.close()
        results[name] = (json.loads(out.strip().splitlines()[-1]), want)
    return results


def burn_cpu(seconds: float) -> None:
    """Keep this thread busy for `seconds` of its own CPU time (the trainer's budgets count
    CPU time: a sleep would cost them nothing)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
