"""Bad files: CSV uploads, config and experiment files are refused with a message, never run."""

from __future__ import annotations

import json
import pathlib
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.config import MAX_SAMPLES, ConfigError, DataConfig, DatasetName, RunConfig, Task
from playground.data.datasets import (
    MAX_CSV_BYTES,
    MAX_CSV_COLUMNS,
    DataError,
    load_csv,
    validate_csv_bytes,
)
from playground.train.snapshot import Status
from playground.train.trainer import Trainer
from tests.engine_fixtures import tiny_config, wait_for

APP = str(Path(__file__).resolve().parent.parent / "app.py")
GOOD_CSV = b"a,b,label\n" + b"".join(f"{i},{i % 3},{i % 2}\n".encode() for i in range(30))


def _random_bytes(n: int) -> bytes:
    return np.random.default_rng(0).bytes(n)


# name -> (file bytes, words the message must hold)
BAD_CSV: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "empty": (b"", ("empty",)),
    "blank lines": (b"\n\n  \n", ("empty",)),
    "header only": (b"a,b,label\n", ("header", "no data rows")),
    "one data row": (b"a,label\n1,0\n", ("single data row",)),
    "non-numeric": (b"a,label\n1,0\nfoo,1\n3,0\n", ("line 3", "'a'", "not a number")),
    "empty cell": (b"a,label\n1,0\n,1\n3,0\n", ("line 3", "'a'", "empty")),
    "nan": (b"a,label\n1,0\nnan,1\n3,0\n", ("line 3", "not a finite number")),
    "inf": (b"a,label\n1,0\n-inf,1\n3,0\n", ("line 3", "not a finite number")),
    "float32 overflow": (b"a,label\n1,0\n1e39,1\n3,0\n", ("line 3", "not a finite number")),
    "one column": (b"a\n1\n2\n3\n", ("single column",)),
    "duplicate headers": (b"a,a,label\n1,2,0\n3,4,1\n5,6,0\n", ("duplicate", "a")),
    "nameless column": (b"a,,label\n1,2,0\n3,4,1\n5,6,0\n", ("column 2", "no name")),
    "numbers as header": (b"1,2\n3,0\n4,1\n", ("first line", "name")),
    "ragged rows": (b"a,label\n1,0\n2,1,7\n3,0\n", ("line 3", "3 cells", "header has 2")),
    "latin-1": ("temp,café\n1,0\n2,1\n3,0\n".encode("latin-1"), ("not UTF-8",)),
    "binary png": (b"\x89PNG\r\n\x1a\n" + _random_bytes(4096), ("binary",)),
    "control characters": (b"a,label\n1,\x07\n2,1\n", ("binary",)),
    "too many rows": (
        b"a,label\n" + b"1,0\n2,1\n" * (MAX_SAMPLES // 2 + 1),
        (str(MAX_SAMPLES), "limit"),
    ),
    "too many columns": (
        (",".join(f"c{i}" for i in range(MAX_CSV_COLUMNS + 1)) + "\n").encode()
        + (",".join("1" for _ in range(MAX_CSV_COLUMNS + 1)) + "\n").encode() * 3,
        (f"{MAX_CSV_COLUMNS + 1} columns", "limit"),
    ),
    "one huge line": (b"a,label\n" + b"1," * 200_000 + b"0\n", ("cells",)),
    "over the byte cap": (b"a,label\n" + b"1,0\n" * (MAX_CSV_BYTES // 4), ("20 MB", "limit")),
    "single class": (b"a,label\n1,0\n2,0\n3,0\n", ("single class",)),
    "too many classes": (
        b"a,label\n" + b"".join(f"{i},{i}\n".encode() for i in range(12)),
        ("12 distinct values", "regression"),
    ),
}


@pytest.mark.parametrize("name", list(BAD_CSV))
def test_bad_csv_bytes_get_a_clear_message(name: str) -> None:
    data, words = BAD_CSV[name]
    with pytest.raises(DataError) as info:
        validate_csv_bytes(data)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 400, msg
    for word in words:
        assert word in msg, (word, msg)


@pytest.mark.parametrize("name", ["empty", "non-numeric", "latin-1", "binary png", "one column"])
def test_load_csv_refuses_the_same_files(tmp_path: Path, name: str) -> None:
    data, words = BAD_CSV[name]
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    with pytest.raises(DataError, match=words[0]):
        load_csv(str(path), "", Task.CLASSIFICATION)


def test_a_200_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(200 * 2**20)  # sparse: no disk space, no time
    with pytest.raises(DataError, match="200 MB; the limit is 20 MB"):
        load_csv(str(path), "", Task.CLASSIFICATION)


@pytest.mark.parametrize(
    ("path", "words"),
    [("/nonexistent/x.csv", "cannot read"), ("/dev/zero", "not a file"), ("/", "not a file")],
)
def test_csv_paths_that_are_not_files(path: str, words: str) -> None:
    with pytest.raises(DataError, match=words):
        load_csv(path, "", Task.CLASSIFICATION)


def test_target_and_task_faults_name_the_column() -> None:
    with pytest.raises(DataError, match="no column named 'nope'"):
        validate_csv_bytes(GOOD_CSV, "nope")
    with pytest.raises(DataError, match="'a' has 30 distinct.*regression"):
        validate_csv_bytes(b"b,a\n" + b"".join(f"{i},{i}\n".encode() for i in range(30)), "a")
    assert validate_csv_bytes(GOOD_CSV) == ("a", "b", "label")  # the control: a good file passes


@pytest.fixture
def running_trainer() -> Iterator[Trainer]:
    t = Trainer(tiny_config(), grid_resolution=10)
    yield t
    t.close()


def test_bad_uploads_leave_a_running_trainer_untouched(
    running_trainer: Trainer, tmp_path: Path
) -> None:
    t = running_trainer
    cfg = t.cfg
    t.start()
    before = wait_for(t.latest, lambda s: s.step > 0, 10.0).step
    for name, (data, _) in BAD_CSV.items():
        with pytest.raises(DataError):
            validate_csv_bytes(data)
        path = tmp_path / f"{len(name)}.csv"
        path.write_bytes(data[:100_000])
        bad = DataConfig(name=DatasetName.CSV, csv_path=str(path))
        with pytest.raises(DataError):
            Trainer(RunConfig(data=bad))
    snap = wait_for(t.latest, lambda s: s.step > before, 10.0)
    assert snap.status == Status.RUNNING and t.cfg == cfg and t.is_alive


# ---- the upload widget (ui/upload.py) --------------------------------------------------------


def _upload_page() -> None:
    import streamlit as st

    from ui.upload import csv_upload

    st.session_state["path"] = csv_upload()


@pytest.fixture
def upload_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    import ui.upload

    monkeypatch.setattr(ui.upload, "UPLOAD_DIR", tmp_path / "uploads")
    return AppTest.from_function(_upload_page, default_timeout=30).run()


@pytest.mark.parametrize("name", ["empty", "non-numeric", "binary png", "too many columns"])
def test_upload_widget_refuses_bad_files_and_writes_nothing(upload_app: AppTest, name: str):
    import ui.upload

    upload_app.file_uploader(key="csv_upload").set_value(("x.csv", BAD_CSV[name][0], "text/csv"))
    upload_app.run()
    assert not upload_app.exception
    assert upload_app.session_state["path"] is None
    assert upload_app.error and "cannot be used" in upload_app.error[0].value
    assert not ui.upload.UPLOAD_DIR.exists() or not any(ui.upload.UPLOAD_DIR.iterdir())


def test_upload_widget_stores_a_good_file_by_content(upload_app: AppTest) -> None:
    upload_app.file_uploader(key="csv_upload").set_value(("x.csv", GOOD_CSV, "text/csv"))
    upload_app.run()
    assert not upload_app.exception and not upload_app.error
    path = Path(upload_app.session_state["path"])
    assert path.read_bytes() == GOOD_CSV
    assert load_csv(str(path), "label", Task.CLASSIFICATION)[2] == ("a", "b")
    assert upload_app.selectbox(key="csv_target").value == "label"  # the last column by default
    upload_app.selectbox(key="csv_target").set_value("a").run()  # 30 distinct values: refused
    assert upload_app.session_state["path"] is None and "distinct" in upload_app.error[0].value
    upload_app.radio(key="csv_task").set_value("regression").run()
    assert Path(upload_app.session_state["path"]) == path  # same bytes, same file


# ---- config files ------------------------------------------------------------------------------

GOOD_JSON = RunConfig().to_json()


class _Touch:
    """Unpickling this creates the marker file: the payload of a hostile pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _payload(marker: Path) -> bytes:
    return pickle.dumps(_Touch(marker))


def test_the_pickle_payload_is_live(tmp_path: Path) -> None:
    marker = tmp_path / "oracle"
    pickle.loads(_payload(marker))  # the oracle: unpickling really runs the code
    assert marker.exists()


BAD_CONFIGS: dict[str, tuple[str, str]] = {
    "truncated": (GOOD_JSON[: len(GOOD_JSON) // 2], "not valid JSON"),
    "corrupted": (GOOD_JSON.replace(":", ";", 3), "not valid JSON"),
    "empty": ("", "not valid JSON"),
    "a list": ("[1, 2]", "config: expected an object"),
    "package.json": ('{"name": "x", "version": "1.0.0"}', "name: unknown field"),
    "notebook": ('{"cells": [], "nbformat": 4}', "cells: unknown field"),
    "wrong section type": ('{"data": "circle"}', "data: expected an object"),
    "nan": ('{"train": {"lr": NaN}}', "train.lr"),
    "huge number": ('{"train": {"lr": 1' + "0" * 400 + "}}", "train.lr"),
    "deep nesting": ("[" * 5000 + "]" * 5000, "config"),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_bad_config_text_is_refused(name: str) -> None:
    text, words = BAD_CONFIGS[name]
    with pytest.raises(ConfigError, match=words):
        RunConfig.from_json(text)


def test_a_pickle_config_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = _payload(marker).decode("latin-1")  # what a lenient reader would hand over
    with pytest.raises(ConfigError, match="not valid JSON"):
        RunConfig.from_json(text)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["deep nesting", "truncated", "pickle"])
def test_config_upload_on_the_page_refuses_bad_files(tmp_path: Path, name: str) -> None:
    marker = tmp_path / "pwned"
    data = _payload(marker) if name == "pickle" else BAD_CONFIGS[name][0].encode()
    at = AppTest.from_file(APP, default_timeout=60).run()
    before = at.session_state["playground_session"].config
    at.file_uploader(key="config_upload").set_value(("c.json", data, "application/json")).run()
    assert not at.exception, at.exception
    assert any("Could not load" in w.value for w in at.warning)
    assert at.session_state["playground_session"].config == before
    assert not marker.exists()


# ---- experiment files --------------------------------------------------------------------------

experiment = pytest.importorskip("playground.export.experiment")


@pytest.fixture(scope="module")
def good_experiment() -> bytes:
    cfg = tiny_config()
    t = Trainer(cfg, with_probes=False)
    try:
        t.step(3)
        return experiment.experiment_from_trainer(t)
    finally:
        t.close()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def test_a_good_experiment_loads(good_experiment: bytes) -> None:  # the control
    assert experiment.load_experiment(good_experiment).step == 3


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty", "empty"),
        ("truncated", "truncated"),
        ("header cut", "truncated"),
        ("corrupted header", "corrupted|not an experiment"),
        ("corrupted length", "not an experiment"),
        ("config json", "JSON text"),
        ("png", "safetensors header"),
        ("foreign safetensors", "without the"),
        ("zip", "ZIP"),
    ],
)
def test_bad_experiment_files_are_refused(good_experiment: bytes, name: str, words: str) -> None:
    import torch
    from safetensors.torch import save as save_tensors

    data = {
        "empty": b"",
        "truncated": good_experiment[:-10],
        "header cut": good_experiment[:40],
        "corrupted header": _flip(good_experiment, 20),
        "corrupted length": _flip(good_experiment, 5),
        "config json": GOOD_JSON.encode(),
        "png": b"\x89PNG\r\n\x1a\n" + _random_bytes(512),
        "foreign safetensors": save_tensors({"w": torch.zeros(3)}),
        "zip": b"PK\x03\x04" + _random_bytes(512),
    }[name]
    with pytest.raises(experiment.ExperimentError, match=words) as info:
        experiment.load_experiment(data)
    assert "\n" not in str(info.value)


def test_a_pickle_experiment_is_refused_and_never_run(tmp_path: Path) -> None:
    import torch

    marker = tmp_path / "pwned"
    pt = tmp_path / "model.pt"
    torch.save({"w": _Touch(marker)}, pt)  # a PyTorch checkpoint carrying the payload
    raw = tmp_path / "raw.nnpg"
    raw.write_bytes(_payload(marker))
    for path, words in ((pt, "ZIP"), (raw, "pickle")):
        with pytest.raises(experiment.ExperimentError, match=words):
            experiment.load_experiment(path)
    assert not marker.exists()


def test_cli_refuses_a_pickle_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from playground.cli import main

    marker = tmp_path / "pwned"
    bad = tmp_path / "bad.json"
    bad.write_bytes(_payload(marker))
    out = tmp_path / "x.py"
    train = ["train", "--config", str(bad)]
    for argv in (train, ["export", "--experiment-in", str(bad), "--code", str(out)]):
        assert main(argv) != 0
        assert capsys.readouterr().err.count("\n") == 1
    assert not marker.exists() and not out.exists()


def test_json_dump_of_config_is_ours() -> None:  # the control for the foreign-JSON cases
    assert RunConfig.from_json(json.dumps(json.loads(GOOD_JSON))) == RunConfig()
