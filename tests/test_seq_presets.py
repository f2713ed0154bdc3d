"""The sequence presets reach their thresholds headless, with their baselines in the report."""

from __future__ import annotations

import pytest

from playground.presets import get_preset
from playground.train import headless


def _run(name: str) -> dict:
    trainer, out = headless.run(get_preset(name))
    trainer.close()
    assert out["status"] == "done", out
    return out


def test_sine_lstm_predicts_the_next_value() -> None:
    out = _run("seq-sine-lstm")
    assert out["test_mse"] <= 0.02 < out["baseline_mse"]  # baseline: repeat the last value


def test_lstm_recalls_after_20_steps_where_a_tanh_rnn_fails() -> None:
    lstm, rnn = _run("seq-copy-lstm"), _run("seq-copy-rnn")
    assert lstm["test_accuracy"] >= 0.95  # on the recalled symbol only
    assert rnn["test_accuracy"] <= lstm["test_accuracy"] - 0.3
    # why: the recall loss's gradient reaching the symbol's step, relative to the recall step
    assert rnn["grad_first_last"] < 1e-3 * lstm["grad_first_last"]


def test_transformer_reverses_whole_sequences() -> None:
    out = _run("seq-reverse-attn")
    assert out["sequence_accuracy"] >= 0.9


def test_gru_text_model_beats_the_unigram_model() -> None:
    out = _run("seq-text-gru")
    assert out["test_loss"] <= out["unigram_loss"] - 0.8
    assert isinstance(out["sample"], str) and len(out["sample"]) > 100


@pytest.mark.parametrize("name", ["seq-sine-lstm", "seq-copy-lstm", "seq-copy-rnn",
                                  "seq-reverse-attn", "seq-text-gru"])  # fmt: skip
def test_presets_round_trip(name: str) -> None:
    cfg = get_preset(name)
    assert type(cfg).from_json(cfg.to_json()) == cfg
