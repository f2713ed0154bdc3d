"""Settings of GAN runs on 2-D points: RunConfig.gan."""

from __future__ import annotations

from dataclasses import dataclass

from playground.settings.section import Section


@dataclass(frozen=True)
class GanConfig(Section):
    pass
