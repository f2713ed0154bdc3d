"""Typed per-tab state (one Session, one dataclass per page) and the session-scoped run slots."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st

from playground.config import RunConfig
from playground.train.compare import CompareRun, Variant
from playground.train.trainer import EVAL_BUDGET, LIVE_HPARAMS, Trainer

_KEY = "playground_session"


@dataclass
class SaliencyResult:
    """One "Compute saliency" answer, kept to be redrawn on later reruns."""

    x: np.ndarray  # (8, 8) the explained image
    maps: dict[str, np.ndarray]  # method -> (8, 8) attribution
    errors: list[str]  # "method: message" for each method that failed
    title: str
    probs: np.ndarray  # (10,) class probabilities
    true_class: int | None  # None for a drawing


@dataclass
class ImagesState:
    """The Images page: its config, the drawing, the last saliency answer, the clicked cell."""

    config: RunConfig | None = None  # None until the page first runs (then its preset)
    drawing: np.ndarray | None = None  # (8, 8) in [0, 1]
    saliency: SaliencyResult | None = None
    cell_seen: tuple[int, int] | None = None  # the confusion cell last clicked (true, predicted)
    methods_for_cnn: bool | None = None  # the kind of model the method list was made for
    starts: dict[str, Any] = field(default_factory=dict)  # label -> weights to start a run from
    files_seen: set[str] = field(default_factory=set)  # uploaded .nnpg files already read
    kept: int = 0  # runs kept so far (numbers their labels)
    start_error: str = ""  # why the last keep or load failed, shown once


@dataclass
class BackpropState:
    """The Backprop page: the loaded spec, the step cursor, the last loss curve."""

    base: dict[str, Any] | None = None  # the loaded network spec (None until the page runs)
    cursor: int = 0
    curve: tuple[str, list[float]] | None = None  # (spec as JSON, loss per step)
    error: str = ""
    version: int = 0  # bumped on every load: the editors get new keys and start from `base`
    request: dict[str, Any] | None = None  # a spec sent by the Playground's "explain one step"


@dataclass
class Session:
    """Everything one browser tab keeps between reruns."""

    config: RunConfig = field(default_factory=RunConfig)
    view: dict[str, Any] = field(default_factory=dict)  # widget key -> value of view toggles
    url_loaded: bool = False
    notices: list[str] = field(default_factory=list)  # messages to show once (bad URL values...)
    images: ImagesState = field(default_factory=ImagesState)
    backprop: BackpropState = field(default_factory=BackpropState)
    scrub_last: dict[str, int] = field(default_factory=dict)  # panel key -> newest step seen
    pages: dict[str, Any] = field(default_factory=dict)  # newer pages' state, by page name


def get_session() -> Session:
    """This tab's Session, created on first use."""
    if _KEY not in st.session_state:
        st.session_state[_KEY] = Session()
    return st.session_state[_KEY]


def rebuild_key(cfg: RunConfig) -> str:
    """What forces a new trainer: everything but the hyperparameters that change live."""
    train = {k: v for k, v in dataclasses.asdict(cfg.train).items() if k not in LIVE_HPARAMS}
    return repr((cfg.data, cfg.model, train, cfg.kind, cfg.sections))  # sections: seq, ae, ...


# How the pages run a trainer: evaluation and probes each take a bounded share of the time, and
# snapshots come as often as a live view can draw them (ui/live/stream.py pulls each one).
PAGE_TRAINER: dict[str, Any] = {"eval_budget": EVAL_BUDGET, "publish_hz": 30.0}


class SessionSlot:
    """One closable run per tab (a Trainer, a CompareRun): replaced when its key changes."""

    def __init__(self) -> None:
        self.item: Any = None
        self.key = ""
        self.error = ""
        self.config: Any = None  # what the item was last built or updated for
        # Reentrant: ensure() holds it and closes the old run through _replace.
        self._lock = threading.RLock()

    def _replace(self, key: str, build: Callable[[], Any]) -> Any:
        """Close the old run and build a new one (None with .error if it can't be built)."""
        with self._lock:
            self.close()
            try:
                self.item, self.key, self.error = build(), key, ""
            except (ValueError, RuntimeError) as e:
                self.item, self.key, self.error = None, key, str(e)
            return self.item

    def close(self, wait: bool = False) -> None:
        """Signal the run to stop (never joins from the event loop unless asked)."""
        with self._lock:
            if self.item is not None:
                self.item.close(wait=wait)
                self.item = None


def release_slot(slot: SessionSlot) -> None:
    """on_release of a session-scoped slot: runs on the server's event loop, so only signal."""
    slot.close(wait=False)


class TrainerSlot(SessionSlot):
    """A tab's trainer for one page; a config that changes the model or data replaces it."""

    @property
    def trainer(self) -> Trainer | None:
        return self.item

    def ensure(self, cfg: RunConfig, **trainer_options: Any) -> Trainer | None:
        """The trainer for cfg: live changes applied, or rebuilt (None with .error if it can't)."""
        with self._lock:
            key, trainer = rebuild_key(cfg), self.item
            if trainer is not None and key == self.key and trainer.is_alive:
                live = {k: getattr(cfg.train, k) for k in LIVE_HPARAMS}
                old = {k: getattr(self.config.train, k) for k in LIVE_HPARAMS}
                changed = {k: v for k, v in live.items() if old[k] != v}
                if changed:
                    trainer.set_hparams(**changed)
                    self.config = cfg
                return trainer
            options = PAGE_TRAINER | trainer_options  # pages: interactive runs
            self.config = cfg
            return self._replace(key, lambda: Trainer(cfg, **options))


def _with_steps(cfg: RunConfig, max_steps: int) -> RunConfig:
    return cfg.replace(train=dataclasses.replace(cfg.train, max_steps=max_steps))


class CompareSlot(SessionSlot):
    """A tab's CompareRun; a different set of variants replaces it."""

    @property
    def runs(self) -> CompareRun | None:
        return self.item

    def ensure(self, variants: list[Variant], max_steps: int) -> CompareRun | None:
        """The run for these variants (max_steps applied live), or None with .error set."""
        with self._lock:
            key, runs = repr(variants), self.item
            if runs is not None and key == self.key:
                if self.config != max_steps:
                    runs.set_hparams(max_steps=max_steps)
                    self.config = max_steps
                return runs
            self.config = max_steps
            return self._replace(
                key, lambda: CompareRun([(lbl, _with_steps(c, max_steps)) for lbl, c in variants])
            )


@st.cache_resource(scope="session", on_release=release_slot, show_spinner=False)
def trainer_slot(page: str) -> TrainerSlot:
    """The tab's slot for a page's trainer; released (its thread stopped) when the tab closes."""
    return TrainerSlot()


@st.cache_resource(scope="session", on_release=release_slot, show_spinner=False)
def compare_slot() -> CompareSlot:
    """The tab's compare run; its threads stop when the tab closes."""
    return CompareSlot()
