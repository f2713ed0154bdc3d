"""Tests for export.experiment: .nnpg round trips, bad files, run folders, continuing."""

from __future__ import annotations

import io
import json
import math
import pickle
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save as save_tensors

from playground.config import (
    DataConfig,
    DatasetName,
    Device,
    LayerKind,
    LayerSpec,
    ModelConfig,
    RunConfig,
    Task,
    TrainConfig,
    with_value,
)
from playground.export.experiment import (
    FORMAT,
    Experiment,
    ExperimentError,
    experiment_bytes,
    experiment_from_trainer,
    load_experiment,
    load_run,
    save_experiment,
)
from playground.train import headless
from playground.train.trainer import Trainer

CFG = RunConfig(
    data=DataConfig(n_samples=100),
    model=ModelConfig(layers=(LayerSpec(units=3), LayerSpec(kind=LayerKind.DROPOUT, p=0.2))),
    train=TrainConfig(device=Device.CPU, batch_size=10),
)


@pytest.fixture(scope="module")
def trained() -> Iterator[tuple[Trainer, bytes]]:
    """A trainer paused after 12 steps, and its experiment bytes."""
    trainer = Trainer(CFG, with_probes=False, idle_pause_s=None)
    try:
        trainer.step(12)
        yield trainer, experiment_from_trainer(trainer)
    finally:
        trainer.close()


def _assert_same(exp: Experiment, trainer: Trainer) -> None:
    snap = trainer.latest()
    assert exp.cfg == trainer.cfg
    assert (exp.step, exp.epoch) == (snap.step, snap.epoch) == (12, 2)
    model = trainer.ask("weights")
    assert list(exp.state_dict) == list(model)
    assert all(torch.equal(exp.state_dict[k], v) for k, v in model.items())
    assert set(exp.history) == set(snap.history)
    for column, values in snap.history.items():
        assert exp.history[column].dtype == np.float64
        np.testing.assert_array_equal(exp.history[column], values)


def test_round_trip_from_trainer(trained) -> None:
    trainer, data = trained
    _assert_same(load_experiment(data), trainer)


def test_round_trip_through_a_file(trained, tmp_path: Path) -> None:
    trainer, _ = trained
    snap, path = trainer.latest(), tmp_path / "run.nnpg"
    state = trainer.ask("weights")
    save_experiment(path, trainer.cfg, state, snap.history, snap.step, snap.epoch)
    _assert_same(load_experiment(path), trainer)
    _assert_same(load_experiment(str(path)), trainer)


def test_loaded_weights_continue_in_a_new_trainer(trained) -> None:
    exp = load_experiment(trained[1])
    again = Trainer(exp.cfg, with_probes=False, idle_pause_s=None, initial_state=exp.state_dict)
    try:
        model = again.ask("weights")
        assert all(torch.equal(exp.state_dict[k], v) for k, v in model.items())
        assert again.step(3).snapshot.step == 3  # it trains on (its step count starts at 0)
    finally:
        again.close()


def test_csv_experiment_loads_without_its_csv_file(tmp_path: Path) -> None:
    csv_path = tmp_path / "d.csv"
    rows = [f"{i % 7},{i % 5},{i % 3},{'abc'[i % 3]}" for i in range(40)]
    csv_path.write_text("a,b,c,label\n" + "\n".join(rows) + "\n")
    data = DataConfig(name=DatasetName.CSV, csv_path=str(csv_path), csv_task=Task.CLASSIFICATION)
    cfg = RunConfig(data=data, model=ModelConfig(layers=(LayerSpec(units=4),)))
    trainer = Trainer(cfg, with_probes=False, idle_pause_s=None)
    try:
        blob = experiment_from_trainer(trainer)
    finally:
        trainer.close()
    csv_path.unlink()
    exp = load_experiment(blob)
    assert exp.state_dict["0.weight"].shape == (4, 3) and exp.state_dict["2.weight"].shape[0] == 3


def test_run_folder_loads_as_an_experiment(tmp_path: Path) -> None:
    cfg = with_value(CFG, "train.max_steps", 15)
    trainer, _ = headless.run(cfg, poll_s=0.02)
    try:
        headless.save_run(trainer, tmp_path)
        exp = load_run(tmp_path)
        model = trainer.ask("weights")
        history = trainer.latest().history
    finally:
        trainer.close()
    assert exp.cfg == cfg and exp.step == 15
    assert all(torch.equal(exp.state_dict[k], v) for k, v in model.items())
    np.testing.assert_allclose(exp.history["test_loss"], history["test_loss"], rtol=1e-15)


# --- bad files: every one is an ExperimentError with a one-line message ------------------------


def _tensors(data: bytes) -> dict[str, torch.Tensor]:
    from safetensors.torch import load

    return load(data)


def _with_metadata(data: bytes, **changes: str) -> bytes:
    """The same tensors with metadata fields replaced."""
    header_len = int.from_bytes(data[:8], "little")
    meta = json.loads(data[8 : 8 + header_len])["__metadata__"] | changes
    return save_tensors(_tensors(data), metadata=meta)


class _Evil:
    """Unpickling this creates a marker file: a stand-in for running arbitrary code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _bad_files(good: bytes, tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, a phrase the message must contain)."""
    other = RunConfig(data=DataConfig(n_samples=100), model=ModelConfig(layers=(LayerSpec(),)))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("a.txt", "hello")
    plain_weights = save_tensors({"0.weight": torch.zeros(3, 2)})
    state = {k: v for k, v in _tensors(good).items() if not k.startswith("history/")}
    return {
        "empty": (b"", "empty"),
        "one byte": (b"\x00", "not an experiment file"),
        "truncated header": (good[:40], "truncated"),
        "truncated data": (good[: len(good) - 20], "truncated"),
        "corrupted header": (good[:9] + b"\xff\xfe" + good[11:], "corrupted"),
        "zip": (zipped.getvalue(), "ZIP"),
        "pickle": (pickle.dumps({"weights": [1, 2]}), "pickle"),
        "json config": (CFG.to_json().encode(), "JSON"),
        "random": (np.random.default_rng(0).bytes(5000), "not an experiment file"),
        "bare safetensors": (plain_weights, "tag"),
        "wrong tag": (_with_metadata(good, format="something-else"), "tag"),
        "wrong version": (_with_metadata(good, version="99"), "version"),
        "bad config": (_with_metadata(good, config='{"train": {"lr": -1}}'), "train.lr"),
        "config not json": (_with_metadata(good, config="{"), "not valid JSON"),
        "bad step": (_with_metadata(good, step="-3"), "step"),
        "other model": (experiment_bytes(other, state, {}, 1, 1), "do not fit"),
        "missing weight": (
            experiment_bytes(CFG, {k: v for k, v in state.items() if k != "3.bias"}, {}, 1, 1),
            "missing ['3.bias']",
        ),
        "history ragged": (
            experiment_bytes(CFG, state, {"a": np.zeros(3), "b": np.zeros(4)}, 1, 1),
            "history",
        ),
    }


def test_bad_files_give_one_line_errors(trained, tmp_path: Path) -> None:
    for name, (data, phrase) in _bad_files(trained[1], tmp_path).items():
        path = tmp_path / f"{name}.nnpg"
        path.write_bytes(data)
        for source in (data, path):
            with pytest.raises(ExperimentError) as info:
                load_experiment(source)
                pytest.fail(f"{name}: loaded")
            message = str(info.value)
            assert phrase in message and "\n" not in message, (name, message)
    assert issubclass(ExperimentError, ValueError)


def test_missing_path_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="does not exist"):
        load_experiment(tmp_path / "nope.nnpg")
    with pytest.raises(ExperimentError, match="not a file"):
        load_experiment(tmp_path)
    with pytest.raises(ExperimentError, match="cannot read"):
        load_run(tmp_path)


def test_malicious_pickles_are_never_run(tmp_path: Path) -> None:
    oracle = tmp_path / "oracle"
    pickle.loads(pickle.dumps(_Evil(oracle)))  # the payload does run when unpickled...
    assert oracle.exists()
    marker = tmp_path / "marker"
    raw = pickle.dumps(_Evil(marker))
    pt = io.BytesIO()
    torch.save({"weights": _Evil(marker)}, pt)  # a PyTorch .pt file carrying the payload
    for data in (raw, pt.getvalue()):
        (tmp_path / "evil.pt").write_bytes(data)
        for source in (data, tmp_path / "evil.pt"):
            with pytest.raises(ExperimentError):
                load_experiment(source)
        with pytest.raises(ExperimentError):
            load_run(_run_folder_with_weights(tmp_path, data))
    assert not marker.exists()  # ...and never did here


def _run_folder_with_weights(tmp_path: Path, weights: bytes) -> Path:
    folder = tmp_path / "run"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(CFG.to_json())
    (folder / "model.safetensors").write_bytes(weights)
    return folder


def test_metadata_is_what_the_format_promises(trained) -> None:
    data = trained[1]
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    meta = header["__metadata__"]
    assert meta["format"] == FORMAT and meta["version"] == "1"
    assert RunConfig.from_json(meta["config"]) == CFG
    assert (meta["step"], meta["epoch"]) == ("12", "2")
    assert header["history/test_loss"]["dtype"] == "F64"


# --- non-finite weights (issue 19, B2): refused, naming the tensor ------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_weights_are_refused_naming_the_tensor(trained, bad: float) -> None:
    state = {k: v.clone() for k, v in trained[0].ask("weights").items()}
    state["3.bias"][0] = bad
    data = experiment_bytes(CFG, state, {}, 1, 1)
    with pytest.raises(ExperimentError, match=r"3\.bias") as info:
        load_experiment(data)
    assert "finite" in str(info.value) and "\n" not in str(info.value)


def test_cli_refuses_an_experiment_with_nan_weights(
    trained, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from playground.cli import main

    state = {k: v.clone() for k, v in trained[0].ask("weights").items()}
    state["0.weight"][1, 0] = math.nan
    path, out = tmp_path / "nan.nnpg", tmp_path / "out.onnx"
    save_experiment(path, CFG, state, {}, 1, 1)
    for steps in ([], ["--steps", "3"]):  # written as is, or trained on
        assert main(["export", "--experiment-in", str(path), "--onnx", str(out), *steps]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, captured.err
        assert "0.weight" in captured.err and "finite" in captured.err
    assert not out.exists()


def test_run_folder_with_inf_weights_is_refused(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    state = {k: v.clone() for k, v in _fresh_weights().items()}
    state["0.bias"][2] = math.inf
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "config.json").write_text(CFG.to_json())
    save_file(state, str(folder / "model.safetensors"))
    with pytest.raises(ExperimentError, match=r"0\.bias"):
        load_run(folder)


def _fresh_weights() -> dict[str, torch.Tensor]:
    trainer = Trainer(CFG, with_probes=False, idle_pause_s=None)
    try:
        return trainer.ask("weights")
    finally:
        trainer.close()
