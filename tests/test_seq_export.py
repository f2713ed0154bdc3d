"""The exported script of a sequence run trains and predicts the same model as the app."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from playground.config import with_value
from playground.data.sequences import make_sequences
from playground.export.codegen import generate_script
from playground.export.onnx import export_onnx
from playground.presets import get_preset
from playground.train import headless

ALLOWED = {"__future__", "argparse", "json", "math", "sys", "collections.abc", "numpy", "torch",
           "torch.nn.functional"}  # fmt: skip
CASES = {  # preset, steps, extra settings: every layer kind, truncated BPTT, dropout, schedules
    "copy": ("seq-copy-lstm", 30, {}),
    "sine": ("seq-sine-lstm", 30, {"train.schedule": "cosine", "train.loss": "square"}),
    "reverse": ("seq-reverse-attn", 12, {}),
    "text": ("seq-text-gru", 20, {"seq.bptt": 15, "train.grad_clip": 0.0}),
}


def _cfg(preset: str, steps: int, extra: dict):
    cfg = with_value(
        with_value(get_preset(preset), "train.max_steps", steps), "train.device", "cpu"
    )
    for key, value in extra.items():
        cfg = with_value(cfg, key, value)
    return cfg


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def test_sequence_scripts_run_alone_and_match_the_app(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cfgs = {name: _cfg(*case) for name, case in CASES.items()}
    procs = {}
    for name, cfg in cfgs.items():
        source = generate_script(cfg)
        assert _imports(source) <= ALLOWED, _imports(source)
        (tmp_path / f"{name}.py").write_text(source)
        procs[name] = subprocess.Popen(
            [sys.executable, "-I", f"{name}.py"], cwd=tmp_path, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
    for name, cfg in cfgs.items():
        out, err = procs[name].communicate(timeout=240)
        assert procs[name].returncode == 0, err
        got = json.loads(out.strip().splitlines()[-1])
        trainer, want = headless.run(cfg, poll_s=0.02)
        try:
            app = trainer.ask("internals", index=0, layer=0)["predictions"]
            symbols = trainer.info.feature_names
        finally:
            trainer.close()
        assert got["steps"] == want["steps"] == CASES[name][1]
        assert got["test_loss"] == pytest.approx(want["test_loss"], rel=1e-6), name
        assert got["train_loss"] == pytest.approx(want["train_loss"], rel=1e-6), name
        pred = got["first_predictions"]
        if name == "sine":
            assert pred == pytest.approx(app, abs=1e-6)
        else:
            assert got["test_accuracy"] == want["test_accuracy"]
            assert got["sequence_accuracy"] == want.get(
                "sequence_accuracy", got["sequence_accuracy"]
            )
            assert (pred if name != "text" else "".join(symbols[i] for i in pred)) == app


def test_sequence_script_passes_ruff(tmp_path: Path) -> None:
    for name, case in CASES.items():
        (tmp_path / f"{name}.py").write_text(generate_script(_cfg(*case)))
    cmd = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--line-length=100"]
    done = subprocess.run(
        [*cmd, "--extend-select=E501", str(tmp_path)], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stdout.decode()


@pytest.mark.parametrize("preset", ["seq-copy-lstm", "seq-reverse-attn", "seq-sine-lstm"])
def test_onnx_export_of_a_sequence_model_computes_the_same_outputs(preset, tmp_path) -> None:
    cfg = _cfg(preset, 3, {})
    trainer, _ = headless.run(cfg)
    try:
        model, info = trainer.ask("model").eval(), trainer.info
    finally:
        trainer.close()
    export_onnx(model, info.input_shape, tmp_path / "m.onnx")
    data = make_sequences(cfg.data, cfg.seq)
    x = data.X_test[:5]
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    (got,) = session.run(None, {"input": x.numpy()})
    with torch.no_grad():
        want = model(x).numpy()
    assert got.shape == want.shape and np.allclose(got, want, atol=1e-5)
