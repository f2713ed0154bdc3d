"""Every bad argument of `python -m playground` gives one line on stderr, a non-zero exit, no
traceback."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from playground.cli import main
from playground.config import RunConfig

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Bad input files by name, plus a good config and an output path."""
    d = tmp_path_factory.mktemp("cli")
    good = RunConfig().to_json()
    contents: dict[str, str | bytes] = {
        "good": good,
        "truncated": good[: len(good) // 2],
        "not_json": "this is not json",
        "list": "[1, 2, 3]",
        "foreign": '{"name": "left-pad", "version": "1.3.0"}',
        "pickle": pickle.dumps({"a": 1}),
        "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00",
        "deep": "[" * 5000 + "]" * 5000,
        "huge_number": '{"train": {"lr": 1' + "0" * 400 + "}}",
        "missing_csv": '{"data": {"name": "csv", "csv_path": "/nonexistent/x.csv"}}',
        "spec_wrong": '{"layers": "many"}',
        "empty": "",
    }
    paths = {}
    for name, content in contents.items():
        path = d / f"{name}.json"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        paths[name] = str(path)
    return paths | {"dir": str(d), "out": str(d / "out.py"), "missing": str(d / "nope.json")}


def _case(*argv: str) -> tuple[str, ...]:
    return argv


CASES = [
    _case(),
    _case("frobnicate"),
    _case("--nope"),
    _case("train", "--preset"),
    _case("train", "--preset", "nope"),
    _case("train", "--preset", "circle", "--config", "{good}"),
    _case("train", "--config", "{missing}"),
    _case("train", "--config", "{dir}"),
    _case("train", "--config", "{truncated}"),
    _case("train", "--config", "{not_json}"),
    _case("train", "--config", "{list}"),
    _case("train", "--config", "{foreign}"),
    _case("train", "--config", "{pickle}"),
    _case("train", "--config", "{binary}"),
    _case("train", "--config", "{empty}"),
    _case("train", "--config", "{deep}"),
    _case("train", "--config", "{huge_number}"),
    _case("train", "--config", "{missing_csv}", "--steps", "3"),
    _case("train", "--set", "x"),
    _case("train", "--set", "=1"),
    _case("train", "--set", "data.bogus=1"),
    _case("train", "--set", "train.lr=abc"),
    _case("train", "--set", "train.lr=-1"),
    _case("train", "--set", "train.lr=NaN"),
    _case("train", "--set", "train.lr=1e400"),
    _case("train", "--set", "model.layers.9.units=3"),
    _case("train", "--set", "model.layers.0.units=100000"),
    _case("train", "--set", "data.name=csv"),
    _case("train", "--steps", "abc"),
    _case("train", "--steps", "-1"),
    _case("train", "--steps", "0"),
    _case("train", "--bogus"),
    _case("presets", "extra"),
    _case("backprop"),
    _case("backprop", "--spec", "{missing}"),
    _case("backprop", "--spec", "{not_json}"),
    _case("backprop", "--spec", "{list}"),
    _case("backprop", "--spec", "{spec_wrong}"),
    _case("backprop", "--spec", "{binary}"),
    _case("export"),
    _case("export", "--preset", "circle"),
    _case("export", "--preset", "nope", "--code", "{out}"),
    _case("export", "--experiment-in", "{binary}", "--code", "{out}"),
    _case("export", "--experiment-in", "{missing}", "--code", "{out}"),
    _case("export", "--run", "{dir}", "--code", "{out}"),
    _case("bench", "--device", "tpu"),
    _case("bench", "--run", "nope"),
    _case("bench", "--seconds", "abc"),
]
# bad values that argparse cannot catch: the message must name the option
NAMED = [
    (_case("bench", "--seconds", "-1", "--rounds", "1", "--run", "circle"), "--seconds"),
    (_case("bench", "--rounds", "0", "--seconds", "0.01", "--run", "circle"), "--rounds"),
]


def _run_main(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    return code, capsys.readouterr().err


def _check(code: int, err: str) -> None:
    assert code != 0
    assert err.count("\n") == 1 and err.endswith("\n") and err.strip(), repr(err)
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", CASES, ids=lambda a: " ".join(a) or "(none)")
def test_bad_argument_gives_one_line_and_a_nonzero_exit(
    argv: tuple[str, ...], files: dict[str, str], capsys: pytest.CaptureFixture
) -> None:
    code, err = _run_main([a.format(**files) for a in argv], capsys)
    _check(code, err)
    assert not Path(files["out"]).exists()


@pytest.mark.parametrize(("argv", "option"), NAMED, ids=[o for _, o in NAMED])
def test_bad_values_are_named(
    argv: tuple[str, ...], option: str, capsys: pytest.CaptureFixture
) -> None:
    code, err = _run_main(list(argv), capsys)
    _check(code, err)
    assert option in err, err


def test_in_a_real_process_too(files: dict[str, str]) -> None:
    """The same contract from the shell (run at once: each start imports torch)."""
    cases = [("frobnicate",), ("train", "--config", files["truncated"])]
    cases += [("train", "--set", "train.lr=-1"), ("backprop", "--spec", files["not_json"])]
    pipe = subprocess.PIPE
    cmd = [sys.executable, "-m", "playground"]
    procs = [
        subprocess.Popen([*cmd, *argv], cwd=REPO, text=True, stdout=pipe, stderr=pipe)
        for argv in cases
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        _check(proc.returncode, err)
        assert out == ""


# --- huge and odd numbers (issue 19, B4): a short message, never the number echoed in full -----

HUGE = "1" + "0" * 5000
BIG = "1" + "0" * 300  # fits int(), but far past every limit


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("train", "--preset", "circle", "--steps", HUGE), "--steps: must be at most"),
        (("train", "--preset", "circle", "--steps", BIG), "--steps: must be at most"),
        (("train", "--preset", "circle", "--steps", "-" + HUGE), "--steps: must not be negative"),
        (("train", "--preset", "circle", "--steps", "\u0663"), "--steps: expected a whole"),
        (("train", "--preset", "circle", "--steps", "x" * 5000), "--steps: expected a whole"),
        (("export", "--preset", "circle", "--steps", HUGE, "--code", "{out}"), "--steps"),
        (("train", "--preset", "circle", "--set", "train.max_steps=" + HUGE), "train.max_steps"),
        (("bench", "--run", "circle", "--rounds", BIG), "--rounds: must be at most"),
        (("bench", "--run", "circle", "--seconds", "1e300"), "--seconds: must be > 0 and at most"),
        (("bench", "--run", "circle", "--seconds", "inf"), "--seconds"),
        (("bench", "--run", "circle", "--seconds", "nan"), "--seconds"),
    ],
    ids=["steps-5001-digits", "steps-301-digits", "steps-negative-huge", "steps-arabic-indic",
         "steps-5000-letters", "export-steps", "set-5001-digits", "rounds", "seconds-1e300",
         "seconds-inf", "seconds-nan"],
)  # fmt: skip
def test_huge_numbers_get_a_short_message(
    argv: tuple[str, ...], says: str, files: dict[str, str], capsys: pytest.CaptureFixture
) -> None:
    code, err = _run_main([a.format(**files) for a in argv], capsys)
    _check(code, err)
    assert says in err and len(err) < 200, err[:300]
    assert not Path(files["out"]).exists()
