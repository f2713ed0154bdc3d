"""The home page: data, network builder, controls, live views."""

from __future__ import annotations

import streamlit as st

from ui import playground_page as page
from ui import tools, widgets
from ui.playbar import play_bar
from ui.state import get_session, trainer_slot
from ui.thumbs import dataset_previews
from ui.urlstate import hidden_controls
from ui.views import escape_markdown

sess = get_session()
params = dict(st.query_params)
hidden = hidden_controls(params)
page.load_setup(sess, params)
slot = trainer_slot("playground")

st.title("Neural Network Playground")
page.show_notices(sess)
play_bar(slot, hidden=hidden, step_unit="one epoch", helps=page.PLAY_HELPS)

left, right = st.columns([1, 2.6], gap="medium")
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

with right:
    widgets.view_controls(st.columns(5))
    page.live_views(trainer, st.session_state["extra_view"], tools.selected_neuron())
with left, st.expander("Tools: save / load, edit a weight, explain one step"):
    tools.tools(slot, sess)
