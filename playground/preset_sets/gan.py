"""Presets of gan runs (merged into playground.presets.PRESETS)."""

from __future__ import annotations

from playground.config import RunConfig

PRESETS: dict[str, tuple[str, RunConfig]] = {}
