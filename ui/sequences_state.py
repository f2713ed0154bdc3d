"""The Sequences page's per-tab state, kept in the tab's Session under pages["sequences"]."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.config import RunConfig
from ui.state import get_session


@dataclass
class SequencesState:
    """The page's config, and the (run, sequence, layer) the trainer was last asked to follow."""

    config: RunConfig | None = None  # None until the page first runs (then its first preset)
    selected: tuple[Any, int, int] | None = None  # (RunInfo, test sequence, layer index)


def get_state() -> SequencesState:
    """This tab's SequencesState, created on first use."""
    return get_session().pages.setdefault("sequences", SequencesState())
