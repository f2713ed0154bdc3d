"""Settings of image runs: data augmentation (RunConfig.augment), transfer learning (.transfer)."""

from __future__ import annotations

from dataclasses import dataclass

from playground.settings.section import Section


@dataclass(frozen=True)
class AugmentConfig(Section):
    pass


@dataclass(frozen=True)
class TransferConfig(Section):
    pass
