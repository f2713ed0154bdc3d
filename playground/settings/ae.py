"""Settings of autoencoder runs (plain, denoising, variational): RunConfig.ae."""

from __future__ import annotations

from dataclasses import dataclass

from playground.settings.section import Section


@dataclass(frozen=True)
class AutoencoderConfig(Section):
    pass
