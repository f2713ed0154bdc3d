"""The lessons: every claim checked by the real command, the registry's shape, and the measures
against oracles (hand-made snapshots, a batch that is the whole training set)."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from playground import cli
from playground.config import RunConfig
from playground.lessons import measures
from playground.lessons.catalog import LESSONS
from playground.lessons.lesson import Change, Result
from playground.train.snapshot import LayerProbe, Snapshot, Status

REPO = Path(__file__).resolve().parents[1]
ISSUE_LESSONS = ("xor", "spiral", "zero-init", "vanishing", "diverge", "dying-relu",
                 "overfitting", "l1-vs-l2", "optimizers", "batch-size", "cnn-saliency")  # fmt: skip


def read(plain: object, path: str) -> object:
    """The value at a dotted path of a plain config dict (list items by index)."""
    for part in path.split("."):
        plain = plain[int(part)] if isinstance(plain, list) else plain[part]
    return plain


def changed_paths(a: object, b: object, path: str = "") -> dict[str, object]:
    """Dotted paths where two plain config dicts differ, with b's value (lists by item)."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        out: dict[str, object] = {}
        for k in a:
            out |= changed_paths(a[k], b[k], f"{path}.{k}" if path else k)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = {}
        for i, (x, y) in enumerate(zip(a, b)):
            out |= changed_paths(x, y, f"{path}.{i}")
        return out
    return {} if a == b else {path: b}


def test_check_command_passes_every_claim():
    """`python -m playground lessons --check`: exit 0, one JSON object, every lesson passing
    with its measured figures (the real runs, fixed seeds)."""
    done = subprocess.run(
        [sys.executable, "-m", "playground", "lessons", "--check"],
        check=False, cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["pass"] is True
    assert list(result["lessons"]) == list(LESSONS)
    for name, r in result["lessons"].items():
        assert r["pass"] is True, (name, r)
        assert r["figures"] and r["summary"], name


def test_list_command_names_every_lesson(capsys):
    assert cli.main(["lessons"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == list(LESSONS)


def test_a_failing_claim_exits_non_zero(monkeypatch, capsys):
    base = LESSONS["xor"]
    failing = dataclasses.replace(
        base, name="fails", check=lambda lesson: Result(False, {"figure": 1.0}, "it failed")
    )
    monkeypatch.setitem(LESSONS, "fails", failing)
    assert cli.main(["lessons", "--check", "fails"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["pass"] is False and out["lessons"]["fails"]["figures"] == {"figure": 1.0}


def test_an_unknown_lesson_is_refused(capsys):
    assert cli.main(["lessons", "--check", "no-such-lesson"]) == 2
    assert "unknown lesson 'no-such-lesson'" in capsys.readouterr().err


def test_registry_has_the_issues_lessons_each_complete():
    assert len(LESSONS) >= 12 and set(ISSUE_LESSONS) <= set(LESSONS)
    for lesson in LESSONS.values():
        assert lesson.name.replace("-", "").isalnum(), lesson.name  # a plain ?lesson= value
        assert lesson.do and lesson.notice and lesson.why and lesson.controls, lesson.name
        assert any(c.isdigit() for c in lesson.claim), lesson.name  # stated as a number
        assert RunConfig.from_json(lesson.config.to_json()) == lesson.config
        assert lesson.config.train.max_steps > 0  # the page stops where the check measured


def assert_changed_exactly(before: RunConfig, after: RunConfig, change: Change) -> None:
    """after differs from before only under the change's paths, each holding its value."""
    diff = changed_paths(before.to_dict(), after.to_dict())
    assert diff, "the change must change something"
    for path in diff:
        assert any(path == p or path.startswith(p + ".") for p in change.values), path
    for path, value in change.values.items():
        assert read(after.to_dict(), path) == value, path


@pytest.mark.parametrize("name", list(LESSONS))
def test_try_next_changes_exactly_its_fields(name):
    lesson = LESSONS[name]
    assert_changed_exactly(lesson.config, lesson.next_config, lesson.try_next)


def test_change_applies_every_field_and_validates():
    cfg = Change("x", {"train.lr": 0.3, "train.batch_size": 7}).apply(RunConfig())
    assert (cfg.train.lr, cfg.train.batch_size) == (0.3, 7)
    with pytest.raises(ValueError, match="train.lr"):
        Change("bad", {"train.lr": -1.0}).apply(RunConfig())


# ---- the measures, against oracles ---------------------------------------------------------


def _probe(name: str, weights: np.ndarray, dead: float) -> LayerProbe:
    empty = (np.zeros(1), np.zeros(2))
    return LayerProbe(name, "relu", weights, np.zeros(len(weights)), 1.0, 0.0, empty, empty,
                      empty, dead, math.nan)  # fmt: skip


def _snapshot(**fields: object) -> Snapshot:
    return Snapshot(seq=0, step=10, epoch=1, status=Status.DONE, **fields)


def test_neuron_spread_is_the_largest_difference_from_the_first_map():
    maps = np.zeros((3, 4, 4), np.float32)
    maps[2, 1, 3] = -0.25
    assert measures.neuron_spread(_snapshot(neuron_grids=(maps,))) == 0.25
    assert measures.neuron_spread(_snapshot(neuron_grids=(np.ones((4, 2, 2)),))) == 0.0


def test_gradient_ratio_is_the_median_of_the_last_records():
    first = np.array([9.0, 1.0, 2.0, 3.0, 4.0, 100.0])
    last = np.full(6, 10.0)
    history = {"grad_norm/dense 1": first, "grad_norm/output": last}
    layers = (_probe("dense 1", np.ones((2, 2)), 0.0), _probe("output", np.ones((1, 2)), 0.0))
    snap = _snapshot(history=history, layers=layers)
    assert measures.gradient_ratio(snap) == pytest.approx(np.median(first[-5:] / 10.0))


def test_dead_share_weights_layers_by_their_units():
    layers = (_probe("dense 1", np.ones((8, 2)), 0.5), _probe("dense 2", np.ones((4, 8)), 0.25),
              _probe("output", np.ones((1, 4)), math.nan))  # fmt: skip
    assert measures.dead_share(_snapshot(layers=layers)) == pytest.approx((4 + 1) / 12)


def test_near_zero_share_counts_every_layers_weights():
    layers = (_probe("dense 1", np.array([[0.0, 0.5], [0.001, -2.0]]), 0.0),
              _probe("output", np.array([[-0.005, 1.0]]), 0.0))  # fmt: skip
    assert measures.near_zero_share(_snapshot(layers=layers), 0.01) == pytest.approx(3 / 6)


def test_loss_rise_reads_the_history():
    history = {"test_loss": np.array([1.0, 0.5, 0.8]), "train_loss": np.array([1.0, 0.6, 0.1])}
    assert measures.loss_rise(_snapshot(history=history)) == (pytest.approx(1.6), 0.6, 0.1)


def test_gradient_noise_is_zero_for_the_whole_training_set():
    cfg = LESSONS["batch-size"].config  # circle: 250 training points
    assert measures.gradient_noise(cfg, batch_size=250, draws=3) == pytest.approx(0.0, abs=1e-5)
    assert measures.gradient_noise(cfg, batch_size=1, draws=8) > 0.5
