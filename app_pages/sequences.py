"""Sequences: an RNN, LSTM, GRU or tiny transformer on generated sequences or a small text."""

from __future__ import annotations

import streamlit as st

from playground.config import ConfigError
from ui import sequences_views as sv
from ui import sequences_widgets as sw
from ui.controls import check_typed, init_state
from ui.lessons_view import lesson_banner
from ui.playbar import play_bar
from ui.sequences_state import get_state
from ui.state import trainer_slot

REFRESH_S = 1.0  # several heatmaps per refresh: once a second keeps the browser smooth

state = get_state()
if state.config is None:
    state.config = sw.initial_config()
previous = sw.seq_values(state.config)
init_state(previous)
# A learning rate typed into its box that cannot be used goes back, with a message (the number
# boxes keep to their bounds themselves; the config's own errors are shown below the network).
restore, refused = check_typed([sw.SEQ["seq_lr"]], state.config, previous, st.session_state)
init_state(restore, force=True)
slot = trainer_slot("sequences")

st.title("Sequences")
lesson_banner("sequences", st.query_params.to_dict())  # a lesson's setup, text and highlights
st.caption(
    "A recurrent network reads a sequence one step at a time, carrying a hidden state from step "
    "to step; a transformer looks at every step at once through attention. Train one, then look "
    "inside: what it predicts, its state over time, its gates, and how far back its gradient "
    "reaches."
)
play_bar(slot, prefix="seq_", spare=(3,))  # room for the labels at 1280 px
left, right = st.columns([1, 2.6], gap="medium")
with left:
    st.subheader("Task")
    edited = sw.task_controls()
    st.subheader("Network")
    sw.model_controls()
    config_error = st.empty()
    for message in refused:
        st.warning(message)
with st.sidebar:
    st.header("Training")
    sw.train_controls()
try:
    state.config = sw.seq_config(state.config)
except ConfigError as e:
    config_error.error(f"{e} — the current run keeps going with the last valid setup.")
if sw.is_edited(state.config):
    edited.caption("Edited since the preset was loaded: pick a preset to start from it again.")
trainer = slot.ensure(state.config)
if trainer is None:
    st.error(f"This setup cannot run: {slot.error}")
    st.stop()

with right:
    sv.view_controls(trainer, state)
    started = trainer.latest()
    refresh_s = REFRESH_S if started.is_active else None
    st.fragment(run_every=refresh_s)(sv.live)(trainer, state, started)
