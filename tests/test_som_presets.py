"""The SOM presets reach their claim headless: a quantisation error less than half that of as
many random prototypes (uniform over the training data's bounding box)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from playground.config import ModelKind
from playground.presets import get_preset
from playground.train import headless
from tests.browser_harness import REPO_ROOT

CLAIM = 0.5  # the map's test quantisation error is below this fraction of the random one's


def check(result: dict, steps: int) -> None:
    assert result["status"] == "done", result["message"]
    assert result["steps"] == steps
    qe, rnd = result["quantisation_error"], result["random_quantisation_error"]
    assert qe == pytest.approx(result["test_loss"])  # test_loss is the test quantisation error
    assert qe < CLAIM * rnd, f"quantisation error {qe} vs random {rnd}"


@pytest.mark.slow
def test_som_2d_from_the_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "playground", "train", "--preset", "som-2d", "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result))
    check(result, get_preset("som-2d").train.max_steps)


@pytest.mark.slow
def test_som_digits_preset() -> None:
    cfg = get_preset("som-digits")
    assert cfg.kind == ModelKind.SOM
    trainer, result = headless.run(cfg)
    trainer.close()
    print(json.dumps(result))
    check(result, cfg.train.max_steps)
