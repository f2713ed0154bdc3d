"""The Playground page's steps: the setup from the URL, the config from the widgets, the URL
kept in step with them, and the two live fragments."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from playground.config import ConfigError, with_value
from playground.data.datasets import DataError
from playground.train.snapshot import Snapshot, Status
from playground.train.trainer import Trainer
from ui import views
from ui.controls import Control, check_typed, init_state, number_row
from ui.state import Session
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

REFRESH_S = 0.2  # status, boundary and loss curve (the issue asks for >= 4 refreshes/s)
NETWORK_REFRESH_S = 2.0  # the network picture (48 heatmaps on the spiral) and extra views
WAITING_REFRESH_S = 1.0  # waiting for a free training slot: poll for it slowly
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


def live_output(trainer: Trainer, started: Snapshot) -> None:
    """Fast views: status, numbers, the output over the plane and the loss curve.

    Args:
        started: the snapshot the page was drawn with (its status sets the refresh cadence).
    """
    snap, s = trainer.latest(), st.session_state
    views.status_line(snap)
    views.metrics(snap, trainer.info.is_classification)
    views.boundary_chart(trainer.info, snap, s["show_test"], s["discretize"])
    views.loss_chart(snap, s["log_y"], int(s["last_n"]))
    if started.is_active and snap.status != started.status:
        st.rerun()  # stopped by itself, or got its slot: redraw the page with the new cadence


def live_network(trainer: Trainer, extra: str, neuron: tuple[int, int] | None) -> None:
    """Heavier views, refreshed less often: the network picture and the chosen extra view."""
    snap = trainer.latest()
    views.network_chart(trainer.info, snap, neuron)
    views.extra_view(extra, trainer, snap, {"last_n": int(st.session_state["last_n"]),
                                            "neuron": neuron})  # fmt: skip


def live_views(trainer: Trainer, extra: str, neuron: tuple[int, int] | None) -> None:
    """The network picture and the output column, each a fragment refreshing while it runs."""
    snap = trainer.latest()
    running, waiting = snap.is_active, snap.status == Status.WAITING
    net_col, out_col = st.columns([1.3, 1])
    with out_col:
        fast = WAITING_REFRESH_S if waiting else REFRESH_S
        st.fragment(run_every=fast if running else None)(live_output)(trainer, snap)
    with net_col:
        slow = NETWORK_REFRESH_S if running and not waiting else None
        st.fragment(run_every=slow)(live_network)(trainer, extra, neuron)
