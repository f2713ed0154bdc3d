"""The home page, laid out as TensorFlow Playground: a top bar (play / pause / step / reset,
status, learning rate, activation, regularisation, problem type), data and features on the
left, the live view (network | output and curves) beside them, analysis views below."""

from __future__ import annotations

import streamlit as st

from ui import playground_page as page
from ui import tools, widgets
from ui.lessons_view import lesson_banner
from ui.playbar import play_bar
from ui.state import get_session, trainer_slot
from ui.thumbs import dataset_previews
from ui.urlstate import hidden_controls
from ui.views import escape_markdown, scale_legend

sess = get_session()
params = dict(st.query_params)
hidden = hidden_controls(params)
page.load_setup(sess, params)
slot = trainer_slot("playground")

# Wide layout's 5-rem side margins cost a 1280-px window the room of two buttons.
st.html("<style>[data-testid='stMainBlockContainer'] {padding: 3rem 2rem 2rem;}</style>")
st.title("Neural Network Playground")
lesson_banner("playground", params)  # a ?lesson=NAME link: its setup, text and highlights
with st.container():  # always there: the live view below keeps its place (and its canvases)
    page.show_notices(sess)
with st.container(key="top_bar"):
    (status_col,) = play_bar(slot, hidden=hidden, step_unit="one epoch", helps=page.PLAY_HELPS,
                             spare=(3,))  # fmt: skip
    widgets.top_controls(hidden)

left, right = st.columns([1, 2.9], gap="medium")
with left:
    st.subheader("Data")
    widgets.data_controls(hidden, dataset_previews())
    st.subheader("Features")
    feature_error = st.empty()
    widgets.feature_controls(hidden)
    st.subheader("Network")
    widgets.network_controls(hidden, kinds=("dense", "dropout", "batchnorm"))
    csv_path = page.csv_controls(hidden)
with st.sidebar:
    st.header("Training")
    widgets.train_controls(hidden)

error = page.update_config(sess, csv_path)
if error:
    feature_error.error(escape_markdown(f"{error}; the run keeps going with the last valid setup."))
trainer = slot.ensure(sess.config)
page.sync_url(sess, params)
if trainer is None:
    st.error(escape_markdown(f"This setup cannot run: {slot.error}"))
    st.stop()

started, neuron = trainer.latest(), tools.selected_neuron()
with status_col:
    page.fragment(page.live_status, started, page.status_period(), trainer, started)
with right:
    page.fragment(page.live_area, started, page.live_period(), trainer, neuron)
    widgets.view_controls(st.columns(2), ("show_test", "discretize"))
    k = 1 if started.grid is None else int(started.grid.shape[0])
    st.markdown(scale_legend(trainer.info.task.value, k), unsafe_allow_html=True)
with left, st.expander("Tools: save / load, edit a weight, explain one step"):
    tools.tools(slot, sess)
st.subheader("More views")
widgets.view_controls(st.columns([1.2, 1, 1.6, 3]), ("extra_view", "last_n", "log_y"))
page.fragment(page.more_views, started, page.views_period(), trainer,
              st.session_state["extra_view"], neuron)  # fmt: skip
