"""Settings of self-organising map runs: RunConfig.som."""

from __future__ import annotations

from dataclasses import dataclass

from playground.settings.section import Section


@dataclass(frozen=True)
class SomConfig(Section):
    pass
