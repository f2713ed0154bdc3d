"""`python -m playground train`'s progress on stderr (issue 19, F5): carriage-return updates on
a terminal, whole lines at most about once a second otherwise, nothing with --quiet."""

from __future__ import annotations

import json
import sys

import pytest

from playground.cli import main

# slow motion: 60 steps at 20 steps/s take about 3 s, so a line a poll would be ~60 updates
SLOW = ["train", "--preset", "circle", "--steps", "60", "--set", "train.steps_per_s=20"]


def _train(argv: list[str], tty: bool, monkeypatch, capsys) -> str:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[-1])["steps"] == 60
    return captured.err


def test_not_a_terminal_gets_whole_lines_about_once_a_second(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _train(SLOW, False, monkeypatch, capsys)
    assert "\r" not in err and err.endswith("\n")
    lines = err.splitlines()
    assert all(line.startswith("step ") and "test loss" in line for line in lines), lines
    assert 2 <= len(lines) <= 6, lines  # ~3 s of training: one a second, plus the last
    assert lines[-1].startswith("step 60 ")  # the final state is always printed


def test_a_terminal_gets_carriage_return_updates(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _train(SLOW, True, monkeypatch, capsys)
    assert err.count("\r") >= 2 and err.endswith("\n") and err.count("\n") == 1
    assert err.rstrip().rsplit("\r", 1)[-1].startswith("step 60 ")


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipe"])
def test_quiet_prints_nothing(
    tty: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _train([*SLOW[:5], "--quiet"], tty, monkeypatch, capsys) == ""
