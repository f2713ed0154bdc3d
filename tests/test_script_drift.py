"""The exported script's header promise: the app's test loss to 1e-6 for MATCHED_STEPS steps.

The script runs as a separate program (as a user runs it) and the app's run is the headless
one (`python -m playground train`). spiral is the preset that drifts first (the NumPy fast
path and torch round differently, and its deep tanh net amplifies that); spiral-3 trains with
Adam through autograd, the same torch ops as the script.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from playground.config import RunConfig, with_value
from playground.data.datasets import make_dataset
from playground.export.codegen import MATCHED_STEPS, MATCHED_TOLERANCE, generate_script
from playground.nn.fastpath import FastStep
from playground.nn.model import build_model, output_head
from playground.presets import get_preset
from tests.engine_fixtures import run_scripts_and_app


def _cpu(name: str, steps: int) -> RunConfig:
    cfg = with_value(get_preset(name), "train.device", "cpu")
    return with_value(cfg, "train.max_steps", steps)


def _uses_fast_path(cfg: RunConfig) -> bool:
    data = make_dataset(cfg.data)
    model = build_model(cfg.model, data.input_shape, output_head(cfg, data.n_classes), 0)
    return FastStep.supports(model, cfg, torch.device("cpu"))


def test_header_states_the_measured_agreement() -> None:
    header = generate_script(get_preset("circle")).split('"""')[1]
    assert f"first {MATCHED_STEPS:,} steps" in " ".join(header.split())
    assert "drift" in header and "step for step" not in header


def test_script_matches_the_app_for_the_steps_the_header_promises(tmp_path: Path) -> None:
    cases = {"spiral": _cpu("spiral", MATCHED_STEPS), "spiral-3": _cpu("spiral-3", MATCHED_STEPS)}
    assert [_uses_fast_path(c) for c in cases.values()] == [True, False]
    sources = {name: generate_script(cfg) for name, cfg in cases.items()}
    for got, want in run_scripts_and_app(sources, cases, tmp_path).values():
        assert got["steps"] == want["steps"] == MATCHED_STEPS
        assert got["test_loss"] == pytest.approx(want["test_loss"], rel=0, abs=MATCHED_TOLERANCE)
