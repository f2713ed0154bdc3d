"""The Playground page's steps: the setup from the URL, the config from the widgets, the URL
kept in step with them, and the live fragments: the live view (fast), the status (modest) and
the analysis views (slow)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from playground.config import ConfigError, with_value
from playground.data.datasets import DataError
from playground.train.snapshot import Snapshot, Status
from playground.train.trainer import Trainer
from ui import tools, views
from ui.controls import Control, check_typed, init_state, number_row
from ui.live.component import live_view, pulls
from ui.state import Session, get_session
from ui.upload import csv_choices, csv_upload
from ui.urlstate import (
    PAGE_DEFAULT,
    config_from_params,
    config_to_params,
    hide_params,
    view_from_params,
    view_to_params,
)
from ui.widgets import (
    MAX_UI_UNITS,
    PLAYGROUND,
    VIEW_KEYS,
    playground_config,
    playground_values,
    view_defaults,
)

LIVE_S = 0.1  # the live view (ui/live) without its own channel: one update per fragment run
STATUS_S = 0.5  # the `status` container and the numbers under it (fragments send frames)
STATUS_PULLED_S = 2.0  # the same while the live view, which shows them too, pulls its frames
VIEWS_S = 2.0  # the Plotly analysis views under "More views"
VIEWS_PULLED_S = 4.0  # the same while the live view pulls its frames (it draws the curves too)
WAITING_S = 1.0  # waiting for a free training slot: poll for it slowly
PLAY_HELPS = {"step": "Pause, then train one epoch or one batch (the box beside the buttons)."}


def load_setup(sess: Session, params: Mapping[str, str]) -> None:
    """A shared link's setup on the tab's first run; the widgets' state on every run, where a
    typed value that cannot be used goes back to the previous one, with a message."""
    if not sess.url_loaded:
        sess.config, sess.notices = config_from_params(params, PAGE_DEFAULT)
        sess.view = view_defaults() | view_from_params(params)
        init_state(playground_values(sess.config) | sess.view, force=True)
        sess.url_loaded = True
    init_state(view_defaults() | sess.view)
    previous = playground_values(sess.config) | sess.view
    init_state(previous)
    n_layers = len(sess.config.model.layers)
    restore, messages = check_typed(
        typed_controls(n_layers), sess.config, previous, st.session_state
    )
    init_state(restore, force=True)  # before the widgets are drawn: allowed
    sess.notices = [*sess.notices, *messages]


def typed_controls(n_layers: int) -> list[Control]:
    """Every control the user types into: the table's, and each dense layer's neuron count."""
    units = [number_row(f"units_{i}", f"Layer {i + 1} neurons", 1, MAX_UI_UNITS)
             for i in range(n_layers)]  # fmt: skip
    return [*PLAYGROUND.values(), *units]


def show_notices(sess: Session) -> None:
    """The messages of this run (a bad URL value, a refused typed value, a failed edit), once;
    their text is escaped, so the user's own text shows as typed."""
    for notice in sess.notices:
        st.warning(views.escape_markdown(notice))
    sess.notices = []


def csv_controls(hidden: frozenset[str]) -> str | None:
    """The CSV uploader and its "train on this file" toggle; the stored file's path, if any."""
    if "csv" in hidden:
        return None
    with st.expander("Your own data (CSV)"):
        path = csv_upload()
        st.toggle("Train on this file", key="use_csv", disabled=path is None,
                  help="Numeric feature columns and one target column; the network's "
                  "input is every other column, standardised.")  # fmt: skip
    return path


def update_config(sess: Session, csv_path: str | None) -> str:
    """sess.config from the widgets; on a bad value the message ("" if none), config kept."""
    try:
        cfg = playground_config(sess.config)  # custom features are checked as they are parsed
        if csv_path and st.session_state.get("use_csv"):
            target, task = csv_choices()
            cfg = with_value(cfg, "data", cfg.data.to_csv(csv_path, target, task))
    except (ConfigError, DataError) as e:
        return str(e)
    sess.config = cfg
    return ""


def sync_url(sess: Session, params: Mapping[str, str]) -> None:
    """Keep the view settings, and write the setup into the URL when it changed."""
    sess.view = {k: st.session_state[k] for k in VIEW_KEYS}
    url = config_to_params(sess.config) | view_to_params(sess.view) | hide_params(params)
    if url != params:
        st.query_params.from_dict(url)


def cadence(snap: Snapshot, every: float | None) -> float | None:
    """A fragment's refresh period: `every` while training, slow while waiting, none else."""
    if snap.status == Status.WAITING:
        return WAITING_S
    return every if snap.is_active else None


def live_period() -> float | None:
    """The live view's fragment period: none when the browser pulls its own frames."""
    return None if pulls() else LIVE_S


def status_period() -> float:
    """The status line's fragment period: slower when the live view shows the numbers itself."""
    return STATUS_PULLED_S if pulls() else STATUS_S


def views_period() -> float:
    """The analysis views' fragment period: slower when the live view pulls its frames (every
    Streamlit run costs the server and the browser; the live view keeps its own pace)."""
    return VIEWS_PULLED_S if pulls() else VIEWS_S


def live_status(trainer: Trainer, started: Snapshot) -> None:
    """The `status` container and the losses (the snapshot's numbers, as text).

    Args:
        started: the snapshot the page was drawn with (its status sets the refresh cadence).
    """
    snap = trainer.latest()
    views.status_line(snap)
    views.metrics(snap, trainer.info.is_classification)
    if started.is_active and snap.status != started.status:
        st.rerun()  # stopped by itself, or got its slot: redraw the page with the new cadence


@views.guarded
def live_area(trainer: Trainer, neuron: tuple[int, int] | None) -> None:
    """The live view: network, output over the plane, curves and numbers, repainted in the
    browser from one compact update. A click on a neuron selects it; a click on a link or a
    bias sets that weight between two steps; both redraw the page at once."""
    s = st.session_state
    selected = None if neuron is None else (neuron[0] - 1, neuron[1])  # layer_names index
    ev = live_view(trainer.latest(), trainer.info, trainer=trainer, show_test=s["show_test"],
                   discretize=s["discretize"], selected=selected)  # fmt: skip
    if ev.select and tools.pick_neuron(trainer.info.layer_names, *ev.select):
        st.rerun()  # the neuron picker and the Neuron view follow
    if ev.edit:
        try:
            error = trainer.set_param(*ev.edit).error
        except ValueError as e:  # not a finite number
            error = str(e)
        if error:
            get_session().notices = [f"Could not set that weight: {error}"]
        st.rerun()  # shown at once, paused or not (status and numbers too)


def more_views(trainer: Trainer, extra: str, neuron: tuple[int, int] | None) -> None:
    """The chosen Plotly analysis view (only it is computed), refreshed slowly."""
    views.extra_view(extra, trainer, trainer.latest(), {
        "last_n": int(st.session_state["last_n"]), "log_y": bool(st.session_state["log_y"]),
        "neuron": neuron})  # fmt: skip


def fragment(body: Callable[..., None], snap: Snapshot, every: float | None, *args: Any) -> None:
    """Run `body(*args)` as a fragment refreshing at `cadence(snap, every)`."""
    st.fragment(run_every=cadence(snap, every))(body)(*args)
