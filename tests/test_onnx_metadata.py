"""ONNX exports carry their config, feature names, class names and the playground version as
metadata_props (issue 19, F7), from `python -m playground export --onnx` and export_onnx."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import onnx
import pytest

from playground.cli import main
from playground.config import RunConfig, Task
from playground.data.datasets import make_dataset
from playground.export import onnx as onnx_export
from playground.nn.model import build_model, output_head
from playground.presets import get_preset


def _props(path: Path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def _export(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, str]:
    path = tmp_path / "m.onnx"
    assert main(["export", *args, "--steps", "5", "--onnx", str(path)]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["files"]["onnx"] == str(path)
    return _props(path)


def _version() -> str:
    try:
        return importlib.metadata.version("nn-playground")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def test_cli_onnx_of_a_classifier_has_its_metadata(tmp_path: Path, capsys) -> None:
    props = _export(tmp_path, capsys, "--preset", "circle", "--set", 'data.features=["x1"]')
    cfg = RunConfig.from_json(props["config"])
    assert cfg.data.name.value == "circle" and cfg.train.max_steps == 5
    assert cfg.data.features == ("x1",)
    assert json.loads(props["feature_names"]) == ["x1"]
    assert json.loads(props["class_names"]) == ["0", "1"]
    assert props["playground_version"] == _version() != ""


def test_cli_onnx_of_digits_and_regression(tmp_path: Path, capsys) -> None:
    props = _export(tmp_path, capsys, "--preset", "digits-mlp")
    assert json.loads(props["class_names"]) == [str(k) for k in range(10)]
    names = json.loads(props["feature_names"])
    assert len(names) == 64 and names[0] == "pixel_0_0"
    props = _export(tmp_path, capsys, "--preset", "reg-plane")
    assert json.loads(props["class_names"]) == []  # regression: no classes
    assert json.loads(props["feature_names"]) == ["x1", "x2"]
    assert RunConfig.from_json(props["config"]).data.name.value == "reg-plane"


def test_cli_onnx_of_a_csv_classifier(tmp_path: Path, capsys) -> None:
    csv_path = tmp_path / "d.csv"
    rows = [f"{i % 7},{(i * 3) % 5},{'abc'[i % 3]}" for i in range(60)]
    csv_path.write_text("width,height,kind\n" + "\n".join(rows) + "\n")
    data = RunConfig().data.to_csv(str(csv_path), "kind", Task.CLASSIFICATION)
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps({"data": data}))
    props = _export(tmp_path, capsys, "--config", str(cfg_path))
    assert json.loads(props["feature_names"]) == ["width", "height"]
    assert len(json.loads(props["class_names"])) == 3


def test_export_onnx_writes_the_metadata_it_is_given_and_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = get_preset("gauss")
    data = make_dataset(cfg.data)
    model = build_model(cfg.model, data.input_shape, output_head(cfg, data.n_classes), 0)
    meta = onnx_export.onnx_metadata(cfg, data.feature_names, ["neg", "pos"])
    onnx_export.export_onnx(model, data.input_shape, tmp_path / "a.onnx", metadata=meta)
    props = _props(tmp_path / "a.onnx")
    assert RunConfig.from_json(props["config"]) == cfg
    assert json.loads(props["class_names"]) == ["neg", "pos"]

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert onnx_export.playground_version() == "unknown"
    assert onnx_export.onnx_metadata(cfg, (), [])["playground_version"] == "unknown"
