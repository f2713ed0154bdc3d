"""The one Session object per browser tab (config, trainer)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from playground.config import RunConfig
from playground.train.trainer import EVAL_BUDGET, LIVE_HPARAMS, Trainer

_KEY = "playground_session"


@dataclass
class Session:
    """Everything one browser tab keeps between reruns."""

    config: RunConfig = field(default_factory=RunConfig)
    pages: dict[str, Any] = field(default_factory=dict)  # page name -> that page's own state
    view: dict[str, Any] = field(default_factory=dict)  # view toggles (show_test, discretize, ...)
    url_loaded: bool = False
    notices: list[str] = field(default_factory=list)  # messages to show once (bad URL values...)


def get_session() -> Session:
    """This tab's Session, created on first use."""
    if _KEY not in st.session_state:
        st.session_state[_KEY] = Session()
    return st.session_state[_KEY]


def rebuild_key(cfg: RunConfig) -> str:
    """What forces a new trainer: everything but the hyperparameters that change live."""
    train = {k: v for k, v in dataclasses.asdict(cfg.train).items() if k not in LIVE_HPARAMS}
    return repr((cfg.data, cfg.model, train))


class SessionSlot:
    """One closable run per tab (a Trainer, a CompareRun): replaced when its key changes."""

    def __init__(self) -> None:
        self.item: Any = None
        self.key = ""
        self.error = ""
        self._lock = threading.Lock()

    def _replace(self, key: str, build: Callable[[], Any]) -> Any:
        """Close the old run and build a new one (None with .error if it can't be built)."""
        self.close()
        try:
            self.item, self.key, self.error = build(), key, ""
        except (ValueError, RuntimeError) as e:
            self.item, self.key, self.error = None, key, str(e)
        return self.item

    def close(self, wait: bool = False) -> None:
        """Signal the run to stop (never joins from the event loop unless asked)."""
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
                changed = {k: v for k, v in live.items() if getattr(trainer.cfg.train, k) != v}
                if changed:
                    trainer.set_hparams(**changed)
                return trainer
            options = {"eval_budget": EVAL_BUDGET} | trainer_options  # pages: interactive runs
            return self._replace(key, lambda: Trainer(cfg, **options))


@st.cache_resource(scope="session", on_release=release_slot, show_spinner=False)
def trainer_slot(page: str) -> TrainerSlot:
    """The tab's slot for a page's trainer; released (its thread stopped) when the tab closes."""
    return TrainerSlot()
