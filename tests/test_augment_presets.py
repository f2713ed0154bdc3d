"""The augmentation preset's claim, measured: trained on augmented digits, the network keeps its
accuracy on a 1-pixel-shifted test set; trained on the plain digits (the baseline), it does not."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from playground.presets import get_preset
from playground.train import headless
from tests.browser_harness import REPO_ROOT


@pytest.mark.slow
def test_augmentation_wins_on_the_shifted_test_set() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "playground", "train", "--preset", "digits-augment", "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    augmented = json.loads(out.stdout.strip().splitlines()[-1])
    trainer, plain = headless.run(get_preset("digits-augment-off"))
    trainer.close()
    print(json.dumps(augmented), json.dumps(plain))
    for result in (augmented, plain):
        assert result["status"] == "done", result["message"]
        assert result["steps"] == get_preset("digits-augment").train.max_steps
    assert augmented["shifted_test_accuracy"] > plain["shifted_test_accuracy"] + 0.3
    assert augmented["test_accuracy"] > 0.9  # the plain test set is not given up for it
    assert plain["test_accuracy"] - plain["shifted_test_accuracy"] > 0.3  # the gap it closes
