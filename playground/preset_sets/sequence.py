"""Presets of sequence runs (merged into playground.presets.PRESETS)."""

from __future__ import annotations

from playground.config import (
    DataConfig,
    DatasetName,
    Init,
    LayerKind,
    LayerSpec,
    Loss,
    ModelConfig,
    ModelKind,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.settings.seq import SeqConfig


def _seq(
    name: DatasetName,
    layers: tuple[LayerSpec, ...],
    steps: int,
    *,
    lr: float = 0.01,
    batch: int = 32,
    n: int = 1000,
    noise: float = 0.0,
    ratio: float = 0.5,
    clip: float = 1.0,
    loss: Loss = Loss.CROSS_ENTROPY,
    **seq: int,
) -> RunConfig:
    """A sequence run trained with Adam and gradient clipping."""
    return RunConfig(
        kind=ModelKind.SEQUENCE,
        data=DataConfig(name=name, n_samples=n, noise=float(noise), train_ratio=float(ratio)),
        model=ModelConfig(layers=layers),
        train=TrainConfig(
            loss=loss,
            optimizer=Optimizer.ADAM,
            lr=lr,
            batch_size=batch,
            grad_clip=clip,
            max_steps=steps,
        ),
        seq=SeqConfig(**seq),
    )


def _layer(kind: LayerKind, units: int, **options) -> LayerSpec:
    return LayerSpec(kind=kind, units=units, **options)


_EMBED = _layer(LayerKind.EMBEDDING, 16)
_ATTN = _layer(LayerKind.TRANSFORMER, 32, heads=4, causal=False)

PRESETS: dict[str, tuple[str, RunConfig]] = {
    "seq-sine-lstm": (
        "sine: next value of a noisy sum of two sines (noise 5 %), LSTM 32",
        _seq(
            DatasetName.SINE, (_layer(LayerKind.LSTM, 32),), 300, loss=Loss.MSE, noise=5, seq_len=40
        ),
    ),
    "seq-copy-lstm": (
        "copy: recall a symbol after 20 blank steps, LSTM 32 (gates keep it)",
        _seq(DatasetName.COPY, (_EMBED, _layer(LayerKind.LSTM, 32)), 1000, n=2000, delay=20),
    ),
    "seq-copy-rnn": (
        "copy with delay 20, tanh RNN 32: its gradient vanishes through time",
        _seq(
            DatasetName.COPY,
            (_EMBED, _layer(LayerKind.RNN, 32, init=Init.ORTHOGONAL)),
            1000,
            n=2000,
            delay=20,
        ),
    ),
    "seq-reverse-attn": (
        "reverse 6 digits: 2 transformer layers (4 heads, not causal)",
        _seq(
            DatasetName.REVERSE, (_EMBED, _ATTN, _ATTN), 300, lr=0.003, batch=64, n=2000, seq_len=6
        ),
    ),
    "seq-text-gru": (
        "text: next character of the bundled prose (the last 10 % held out), GRU 64, dropout 0.5",
        _seq(
            DatasetName.TEXT,
            (_EMBED, _layer(LayerKind.GRU, 64, dropout=0.5)),  # dropout: 9 KB of text overfit
            400,
            lr=0.005,
            n=2000,
            ratio=0.9,
            seq_len=40,
        ),
    ),
}
