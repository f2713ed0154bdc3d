"""Settings of sequence runs (RNN, LSTM, GRU, transformer): RunConfig.seq."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.choices import DatasetName, LayerKind, Loss, ModelKind
from playground.settings.base import check_range, fail
from playground.settings.section import Section

MAX_SEQ_LEN = 200
MAX_DELAY = 100
RECURRENT = (LayerKind.RNN, LayerKind.LSTM, LayerKind.GRU)
SEQ_LAYER_KINDS = (*RECURRENT, LayerKind.EMBEDDING, LayerKind.TRANSFORMER, LayerKind.DENSE,
                   LayerKind.DROPOUT)  # fmt: skip
REGRESSION_LOSSES = (Loss.MSE, Loss.SQUARE, Loss.HUBER, Loss.MAE)


@dataclass(frozen=True)
class SeqConfig(Section):
    seq_len: int = 20  # sine, parity, text: steps; reverse, sort: digits (input is twice as long)
    delay: int = 10  # copy: steps between the symbol and its recall (its length is delay + 1)
    symbols: int = 8  # copy: alphabet size
    bptt: int = 0  # truncated backpropagation through time: window in steps; 0 = the whole
    temperature: float = 0.8  # text: sampling temperature of the live sample
    sample_len: int = 120  # text: characters in the live sample

    def __post_init__(self) -> None:
        check_range("seq.seq_len", self.seq_len, 2, MAX_SEQ_LEN)
        check_range("seq.delay", self.delay, 1, MAX_DELAY)
        check_range("seq.symbols", self.symbols, 2, 32)
        check_range("seq.bptt", self.bptt, 0, 2 * MAX_SEQ_LEN)
        check_range("seq.temperature", self.temperature, 0.05, 5.0)
        check_range("seq.sample_len", self.sample_len, 10, 1000)

    def check_run(self, run: Any) -> None:
        if run.kind != ModelKind.SEQUENCE:
            if self != SeqConfig():
                fail("seq", f"sequence settings need kind 'sequence', got {run.kind.value!r}")
            return
        name, layers = run.data.name, run.model.layers
        for i, spec in enumerate(layers):
            if spec.kind not in SEQ_LAYER_KINDS:
                kinds = [k.value for k in SEQ_LAYER_KINDS]
                fail(f"model.layers[{i}]", f"{spec.kind.value} does not apply to sequences; "
                     f"use {kinds}")  # fmt: skip
            if spec.kind == LayerKind.EMBEDDING and (i > 0 or name == DatasetName.SINE):
                why = "sine's inputs are numbers" if i == 0 else "it must be the first layer"
                fail(f"model.layers[{i}]", f"embedding maps token ids to vectors: {why}")
            if spec.kind == LayerKind.TRANSFORMER and spec.units % spec.heads:
                fail(f"model.layers[{i}].heads", f"{spec.units} units do not split into "
                     f"{spec.heads} heads")  # fmt: skip
        if self.bptt and any(s.kind == LayerKind.TRANSFORMER for s in layers):
            fail("seq.bptt", "truncated backpropagation applies to recurrent layers; a "
                 "transformer sees the whole sequence (use 0)")  # fmt: skip
        loss = run.train.loss
        if name == DatasetName.SINE and loss not in REGRESSION_LOSSES:
            fail("train.loss", f"sine is regression: use one of "
                 f"{[x.value for x in REGRESSION_LOSSES]}, got {loss.value!r}")  # fmt: skip
        if name != DatasetName.SINE and loss != Loss.CROSS_ENTROPY:
            fail("train.loss", f"{name.value} predicts tokens: use 'cross_entropy', got "
                 f"{loss.value!r}")  # fmt: skip

    def steps(self, name: DatasetName) -> int:
        """Steps per sequence of a task."""
        if name == DatasetName.COPY:
            return self.delay + 1
        if name in (DatasetName.REVERSE, DatasetName.SORT):
            return 2 * self.seq_len
        return self.seq_len
