"""Settings of sequence runs (RNN, LSTM, GRU, transformer): RunConfig.seq."""

from __future__ import annotations

from dataclasses import dataclass

from playground.settings.section import Section


@dataclass(frozen=True)
class SeqConfig(Section):
    pass
