"""The live view: one components-v2 component that owns the live area of a training page.

Under `streamlit run serve.py` the browser pulls its frames itself (ui/live/stream.py): mount
it once per page run and it keeps repainting at the trainer's pace. Otherwise (plain `streamlit
run app.py`, AppTest) mount it inside a `st.fragment(run_every=...)`: each run sends one compact
update (ui/live/payload.py). Either way the component's JavaScript (live_draw.js + live.js)
repaints its canvases in place. Clicks come back as triggers: a neuron selected, a weight or
bias edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from ui.live import stream
from ui.live.payload import Encoded, Seen, encode

HERE = Path(__file__).resolve().parent
NAME = "nn_playground.live_view"
KEY = "live_view"  # the page's element gets the class st-key-live_view


def _read(*names: str) -> str:
    return "\n".join((HERE / n).read_text(encoding="utf-8") for n in names)


HTML = _read("live.html")
CSS = _read("live.css")
# one ES module: the painters, the frame pull, then the default export
JS = _read("live_draw.js", "live_pull.js", "live.js")

_mount = st.components.v2.component(NAME, html=HTML, css=CSS, js=JS)


@dataclass(frozen=True)
class LiveEvents:
    """What the browser sent back on this run (each None when nothing happened).

    select: (layer, unit) of a clicked neuron; layer indexes RunInfo.layer_names.
    edit: (layer, row, col, value): a new weight (col None: the bias of neuron `row`), for
    trainer.set_param(layer, row, col, value).
    nbytes: the size of the update sent on this run.
    """

    select: tuple[int, int] | None = None
    edit: tuple[int, int, int | None, float] | None = None
    nbytes: int = 0
    full: bool = False


def _seen_key(key: str) -> str:
    return f"_live_seen_{key}"


def _stream_key(key: str) -> str:
    return f"_live_stream_{key}"


def _forget(key: str) -> None:
    """The browser asked for everything (a fresh mount, a missed update)."""
    st.session_state.pop(_seen_key(key), None)


def _noop() -> None:
    """Registered so that a trigger's value shows in the result (handled after the mount)."""


def pulls() -> bool:
    """True when live views pull their own frames: no fragment needs to refresh them."""
    return stream.served()


def live_view(
    snap: Any,
    info: Any,
    *,
    trainer: Any = None,
    key: str = KEY,
    run: str | None = None,
    show_test: bool = False,
    discretize: bool = False,
    selected: tuple[int, int] | None = None,
    thumb_res: int = 16,
    grid_res: int = 100,
) -> LiveEvents:
    """Send the browser what changed since its last frame and return its events.

    snap, info: trainer.latest() and trainer.info (a Snapshot and its RunInfo).
    trainer: the trainer itself; when given and the server answers the frame route, the
        browser pulls frames from it and this run sends only the link.
    run: a token naming the run (default: the RunInfo object's identity, new on every build).
    show_test, discretize, selected: display options (the selected neuron is outlined).
    """
    view = {
        "show_test": bool(show_test),
        "discretize": bool(discretize),
        "selected": list(selected) if selected else None,
    }
    if trainer is not None and pulls():
        own = st.session_state.setdefault(_stream_key(key), stream.Stream(thumb_res, grid_res))
        enc = Encoded(own.show(trainer, view), Seen(), full=False, new_rows=0)
    else:
        seen: Seen = st.session_state.get(_seen_key(key), Seen())
        enc = encode(snap, info, seen, run=run, thumb_res=thumb_res, grid_res=grid_res, view=view)
        st.session_state[_seen_key(key)] = enc.seen
    result = _mount(
        key=key,
        data=enc.data,
        on_select_change=_noop,
        on_edit_change=_noop,
        on_resync_change=lambda: _forget(key),
    )
    return LiveEvents(
        select=_select(result.get("select")),
        edit=_edit(result.get("edit")),
        nbytes=len(enc.data),
        full=enc.full,
    )


def _select(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, dict):
        return None
    try:
        return int(value["layer"]), int(value["unit"])
    except (KeyError, TypeError, ValueError):
        return None


def _edit(value: Any) -> tuple[int, int, int | None, float] | None:
    if not isinstance(value, dict):
        return None
    try:
        col = value.get("col")
        return (
            int(value["layer"]),
            int(value["row"]),
            None if col is None else int(col),
            float(value["value"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
