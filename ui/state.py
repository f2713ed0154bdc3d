"""The one Session object per browser tab (config, trainer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from playground.config import RunConfig

_KEY = "playground_session"


@dataclass
class Session:
    """Everything one browser tab keeps between reruns."""

    config: RunConfig = field(default_factory=RunConfig)
    pages: dict[str, Any] = field(default_factory=dict)  # page name -> that page's own state


def get_session() -> Session:
    """This tab's Session, created on first use."""
    if _KEY not in st.session_state:
        st.session_state[_KEY] = Session()
    return st.session_state[_KEY]
