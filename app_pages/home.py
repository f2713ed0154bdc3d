"""The home page: data, network builder, controls, live views."""

from __future__ import annotations

import streamlit as st

from playground.config import ConfigError, RunConfig, Task, with_value
from playground.data.datasets import DataError, parse_expression
from playground.train.snapshot import Status
from ui import tools, views, widgets
from ui.state import get_session, trainer_slot
from ui.thumbs import dataset_previews
from ui.upload import csv_choices, csv_upload
from ui.urlstate import UI_PARAMS, config_from_params, config_to_params, hidden_controls

REFRESH_S = 0.2  # status, boundary and loss curve (the issue asks for >= 4 refreshes/s)
NETWORK_REFRESH_S = 2.0  # the network picture (48 heatmaps on the spiral) and extra views
sess = get_session()
params = dict(st.query_params)
hidden = hidden_controls(params)
if not sess.url_loaded:  # a shared link reproduces the setup
    sess.config, sess.notices = config_from_params(params, RunConfig())
    sess.view = {k: params.get(k, "false") == "true" for k in UI_PARAMS}
    widgets.init_state(widgets.widget_values(sess.config), force=True)
    sess.url_loaded = True
widgets.init_state(widgets.widget_values(sess.config))
widgets.init_state({k: sess.view.get(k, False) for k in UI_PARAMS} | {"log_y": False, "last_n": 0})
slot = trainer_slot("playground")


def _command(name: str) -> None:
    if slot.trainer is not None:
        getattr(slot.trainer, name)()


st.title("Neural Network Playground")
for notice in sess.notices:
    st.warning(notice)
buttons = st.columns([1, 1, 1, 1, 6])
for col, (key, label, icon, helptext) in zip(buttons, [
    ("play", "Play", "play_arrow", "Train continuously in the background."),
    ("pause", "Pause", "pause", "Stop after the current step."),
    ("step", "Step", "skip_next", "Pause and take exactly one update."),
    ("reset", "Reset", "restart_alt", "Back to step 0 with the same initial weights."),
]):  # fmt: skip
    if key not in hidden:
        col.button(label, key=key, on_click=_command, args=({"play": "start"}.get(key, key),),
                   icon=f":material/{icon}:", help=helptext, width="stretch")  # fmt: skip

left, right = st.columns([1, 2.6], gap="medium")
with left:
    st.subheader("Data")
    widgets.data_controls(hidden, dataset_previews())
    st.subheader("Features")
    feature_error = st.empty()
    widgets.feature_controls(hidden)
    st.subheader("Network")
    widgets.network_controls(hidden, kinds=("dense", "dropout", "batchnorm"))
    csv_path = None
    if "csv" not in hidden:
        with st.expander("Your own data (CSV)"):
            csv_path = csv_upload()
            st.toggle("Train on this file", key="use_csv", disabled=csv_path is None,
                      help="Numeric feature columns and one target column; the network's "
                      "input is every other column, standardised.")  # fmt: skip
with st.sidebar:
    st.header("Training")
    widgets.train_controls(hidden, Task(st.session_state["problem"]))

try:
    cfg = widgets.config_from_widgets(sess.config)
    for expr in cfg.data.custom_features:
        parse_expression(expr)
    if csv_path and st.session_state.get("use_csv"):
        target, task = csv_choices()
        cfg = with_value(cfg, "data", cfg.data.to_csv(csv_path, target, task))
    sess.config = cfg
except (ConfigError, DataError) as e:
    feature_error.error(f"{e} — the current run keeps going with the last valid setup.")
trainer = slot.ensure(sess.config)
sess.view = {k: bool(st.session_state[k]) for k in UI_PARAMS}
hide_params = {k: v for k, v in params.items() if k.endswith("_hide")}
url = config_to_params(sess.config) | {k: "true" for k, v in sess.view.items() if v} | hide_params
if url != params:
    st.query_params.from_dict(url)
if trainer is None:
    st.error(f"This setup cannot run: {slot.error}")
    st.stop()

with right:
    opt = st.columns(5)
    opt[0].toggle("Show test data", key="show_test", help="Draw the test points too.")
    opt[1].toggle("Discretize output", key="discretize",
                  help="Show only the predicted class, not the score.")  # fmt: skip
    opt[2].toggle("Log scale", key="log_y", help="A log axis shows slow late progress.")
    opt[3].number_input("Last N steps", 0, 10**9, step=100, key="last_n",
                        help="Show only the recent part of the curves (0 = all).")  # fmt: skip
    extra = opt[4].selectbox("More views", views.EXTRA_VIEWS, key="extra_view",
                             help="Curves, weight matrices, diagnostics (gradient flow, "
                             "histograms over time, dead and saturated units), one neuron "
                             "large, the output in 3-D, or the error per test point.")  # fmt: skip


def live_output() -> None:
    """Fast views: status, numbers, the output over the plane and the loss curve."""
    snap = trainer.latest()
    s = st.session_state
    views.status_line(snap)
    views.metrics(snap, trainer.data.task == Task.CLASSIFICATION)
    views.boundary_chart(trainer, snap, s["show_test"], s["discretize"])
    views.loss_chart(snap, s["log_y"], int(s["last_n"]))
    if running and snap.status != snap0.status:
        st.rerun()  # stopped by itself, or got its slot: redraw the page with the new cadence


def live_network() -> None:
    """Heavier views, refreshed less often: the network picture and the chosen extra view."""
    snap = trainer.latest()
    s, neuron = st.session_state, tools.selected_neuron()
    views.network_chart(trainer, snap, neuron)
    views.extra_view(extra, trainer, snap, {"last_n": int(s["last_n"]), "neuron": neuron})


snap0 = trainer.latest()
running = snap0.is_active
waiting = snap0.status == Status.WAITING  # poll slowly until a slot frees
with right:
    net_col, out_col = st.columns([1.3, 1])
    with out_col:
        fast = 1.0 if waiting else REFRESH_S  # waiting: poll for the free slot at 1 Hz
        st.fragment(run_every=fast if running else None)(live_output)()
    with net_col:
        slow = NETWORK_REFRESH_S if running and not waiting else None
        st.fragment(run_every=slow)(live_network)()
with left, st.expander("Tools: save / load, edit a weight, explain one step"):
    tools.tools(slot, sess)
