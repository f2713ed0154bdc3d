"""CUDA runs equal CPU runs (marker `gpu`: tests/conftest.py skips them without CUDA).

Run them with `python -m pytest -m gpu`. SGD presets only: Adam's normalised step can turn a
last-bit difference into a difference of lr, and cuDNN convolutions may use TF32.
"""

from __future__ import annotations

import json
import time

import pytest
import torch

from playground.cli import main
from playground.config import with_value
from playground.presets import get_preset
from playground.train.trainer import Trainer

pytestmark = pytest.mark.gpu

STEPS = 25


def _weights_after(name: str, device: str) -> tuple[str, dict[str, torch.Tensor]]:
    """(the device the run used, its weights on the CPU) after STEPS steps of a preset."""
    cfg = with_value(get_preset(name), "train.device", device)
    trainer = Trainer(cfg, with_probes=False, idle_pause_s=None)
    try:
        trainer.step(STEPS)
        deadline = time.monotonic() + 120  # the first CUDA call initialises the device
        while trainer.latest().step < STEPS and time.monotonic() < deadline:
            time.sleep(0.05)
        assert trainer.latest().step == STEPS, trainer.latest().message
        state = trainer.ask("weights", timeout=60)
        return trainer.info.device, {k: v.detach().cpu() for k, v in state.items()}
    finally:
        trainer.close()


@pytest.mark.parametrize("name", ["circle", "spiral", "reg-plane"])
def test_a_cuda_run_trains_and_equals_the_cpu_run(name: str) -> None:
    on_cuda, gpu = _weights_after(name, "cuda")
    on_cpu, cpu = _weights_after(name, "cpu")
    assert (on_cuda, on_cpu) == ("cuda", "cpu")
    assert list(gpu) == list(cpu)
    for key, value in cpu.items():
        torch.testing.assert_close(gpu[key], value, rtol=0, atol=1e-4, msg=key)
    assert any(not torch.equal(v, w) for v, w in zip(cpu.values(), _initial(name).values()))


def _initial(name: str) -> dict[str, torch.Tensor]:
    trainer = Trainer(with_value(get_preset(name), "train.device", "cpu"), with_probes=False)
    try:
        return {k: v.detach().cpu() for k, v in trainer.ask("weights").items()}
    finally:
        trainer.close()


def test_cli_trains_on_cuda(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["train", "--preset", "circle", "--steps", "200", "--set", "train.device=cuda"]
    assert main([*argv, "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result["status"] == "done" and result["steps"] == 200
