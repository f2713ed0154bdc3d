"""Tests for `python -m playground`: presets, the train command's JSON contract, bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from playground.cli import main
from playground.config import RunConfig, with_value
from playground.data.datasets import make_dataset
from playground.nn.model import build_model, output_head
from playground.presets import PRESETS, get_preset

REPO = Path(__file__).resolve().parent.parent
KEYS = {"status", "steps", "epochs", "seconds", "steps_per_s", "train_loss", "test_loss"}


def _cli(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "playground", *args],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def test_presets_lists_every_preset() -> None:
    res = _cli("presets")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == list(PRESETS)
    assert all(line.split(":", 1)[1].strip() for line in lines)


def test_train_prints_one_json_summary_and_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = _cli(
        "train", "--preset", "circle", "--steps", "200", "--quiet",
        "--set", "data.noise=25", "--out", str(out),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""  # --quiet: no progress bar
    result = json.loads(res.stdout.strip().splitlines()[-1])
    assert KEYS | {"train_accuracy", "test_accuracy"} <= set(result)
    assert result["status"] == "done" and result["steps"] == 200
    assert result["seconds"] > 0 and result["steps_per_s"] > 0
    assert result["epochs"] >= 1
    assert 0 <= result["test_accuracy"] <= 1 and result["train_loss"] >= 0

    text = (out / "config.json").read_text()
    cfg = RunConfig.from_json(text)
    assert cfg.to_json() + "\n" == text
    expected = with_value(
        with_value(get_preset("circle"), "data.noise", 25), "train.max_steps", 200
    )
    assert cfg == expected

    with open(out / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    steps = [int(r["step"]) for r in rows]
    assert steps[0] == 0 and steps[-1] == 200 and steps == sorted(steps)
    assert float(rows[-1]["test_loss"]) == pytest.approx(result["test_loss"], rel=1e-6)

    state = load_file(str(out / "model.safetensors"))
    data = make_dataset(cfg.data)
    model = build_model(cfg.model, data.input_shape, output_head(cfg, data.n_classes), 0)
    model.load_state_dict(state)  # strict: same keys and shapes
    assert set(state) == set(model.state_dict())


def test_progress_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--preset", "reg-plane", "--steps", "30"])
    captured = capsys.readouterr()
    assert code == 0
    assert "step" in captured.err
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert KEYS <= set(result) and "test_accuracy" not in result  # regression
    assert result["steps"] == 30


def test_config_file_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cfg.json"
    path.write_text(with_value(get_preset("gauss"), "train.max_steps", 25).to_json())
    assert main(["train", "--config", str(path), "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["steps"] == 25


BAD_INPUTS = [
    (["train", "--preset", "nope"], "unknown preset 'nope'"),
    (["train", "--set", "data.nois=25"], "data.nois"),
    (["train", "--set", "train.lr=-1"], "train.lr"),
    (["train", "--set", "data.n_samples=abc"], "data.n_samples"),
    (["train", "--set", "x"], "KEY=VALUE"),
    (["train", "--config", "MALFORMED"], "not valid JSON"),
    (["train", "--config", "/no/such/file.json"], "cannot read"),
    (["train", "--steps", "-3"], "train.max_steps"),
    (["train", "--steps", "0"], "no stop condition"),
    (["train", "--bogus"], "unrecognized arguments"),
    ([], "required"),
]


def _malformed(args: list[str], tmp_path: Path) -> list[str]:
    bad = tmp_path / "bad.json"
    bad.write_text('{"train": {"lr": 0.1,}')
    return [str(bad) if a == "MALFORMED" else a for a in args]


@pytest.mark.parametrize(("args", "says"), BAD_INPUTS)
def test_bad_input_is_one_line(
    args: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(_malformed(args, tmp_path))
    except SystemExit as e:  # argparse's own errors
        code = e.code
    captured = capsys.readouterr()
    assert code != 0
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    assert says in captured.err
    assert captured.out == ""


@pytest.mark.parametrize(("args", "says"), [BAD_INPUTS[0], BAD_INPUTS[5], BAD_INPUTS[-1]])
def test_bad_input_in_a_real_process_has_no_traceback(
    args: list[str], says: str, tmp_path: Path
) -> None:
    res = _cli(*_malformed(args, tmp_path))
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [res.stderr.strip()] and says in res.stderr
    assert res.stdout == ""


# --- the Backprop spec format, documented (issue 19, F4) ---------------------------------------


def _spec_examples(text: str) -> list[dict]:
    """Every JSON object in text that starts a line with `{"layers"` (its lines up to `}`)."""
    examples, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith('{"layers"'):
            j = next(k for k in range(i, len(lines)) if lines[k].rstrip().endswith("}"))
            examples.append(json.loads("\n".join(lines[i : j + 1])))
    return examples


def _documents_the_format(text: str) -> None:
    from playground.explain.backprop import ACTIVATIONS, LOSSES, MAX_LAYERS, MAX_UNITS

    fields = ("layers", "weights", "bias", "activation", "input", "target", "loss", "lr")
    for word in (*fields, "update_bias", *ACTIVATIONS, *LOSSES, str(MAX_LAYERS), str(MAX_UNITS)):
        assert word in text, word


def test_backprop_help_documents_the_spec_with_an_example_that_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["backprop", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    _documents_the_format(text)
    (example,) = _spec_examples(text)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(example))
    assert main(["backprop", "--spec", str(spec)]) == 0
    trace = json.loads(capsys.readouterr().out)
    assert len(trace["layers"]) == len(example["layers"]) and trace["loss_after"] < trace["loss"]


def test_readme_documents_the_backprop_spec_with_an_example_that_parses() -> None:
    from playground.explain.backprop import parse_spec

    readme = (REPO / "README.md").read_text()
    section = readme.split("### Backprop spec", 1)[1].split("\n## ", 1)[0]
    _documents_the_format(section)
    (example,) = _spec_examples(section)
    parse_spec(example)
