"""The digits-transfer preset headless: both accuracies on the test digits 5-9 are reported.

The issue's claim, "fine-tuned beats from scratch at 10 examples per class", does not hold on
these 8x8 digits (measured over networks, protocols and seeds: /work/notes/transfer-augment.md):
the 64 raw pixels separate 5-9 well from 50 examples, and features learned on 0-4 keep less of
what 5-9 need. This test checks what the preset does claim: the pretrained network learned 0-4,
both networks learned 5-9 from 10 examples each, and the report is the learners' own figures.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from playground.presets import get_preset
from tests.browser_harness import REPO_ROOT


@pytest.mark.slow
def test_digits_transfer_from_the_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "playground", "train", "--preset", "digits-transfer", "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result))
    cfg = get_preset("digits-transfer")
    assert result["status"] == "done" and result["steps"] == cfg.train.max_steps
    assert result["per_class"] == 10
    assert result["transfer_accuracy"] == pytest.approx(result["test_accuracy"])
    assert result["pretrain_accuracy"] > 0.95
    assert result["transfer_accuracy"] > 0.85 and result["scratch_accuracy"] > 0.85
    assert result["fresh_output_layer"]  # the 5-way pretrained head was replaced
