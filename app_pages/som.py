"""SOM: a self-organising (Kohonen) map on 2-D points or 8x8 digits, trained without gradients."""

from __future__ import annotations

import streamlit as st

from playground.config import ConfigError
from ui import som_views as sv
from ui import som_widgets as sw
from ui.controls import init_state
from ui.playbar import play_bar
from ui.state import trainer_slot
from ui.views import escape_markdown

REFRESH_S = 0.5  # a few Plotly charts per refresh

state = sw.get_state()
if state.config is None:
    state.config = sw.page_preset(sw.START)
init_state(sw.som_values(state.config))
slot = trainer_slot("som")

st.title("Self-organising map")
st.caption(
    "A grid of prototypes learns the shape of the data with no gradient and no labels: each "
    "example pulls its best matching unit, and that unit's grid neighbours less, towards itself "
    "(w += lr · exp(-d² / 2σ²) · (x − w), d the distance on the grid). The learning rate and "
    "the neighbourhood σ shrink as it trains, so the map first unfolds, then fits."
)
play_bar(slot, prefix="som_")
left, right = st.columns([1, 2.6], gap="medium")
with left:
    st.subheader("Map")
    sw.setup_controls()
    config_error = st.empty()
with st.sidebar:
    st.header("Training")
    sw.schedule_controls()
try:
    state.config = sw.som_config(state.config)
except ConfigError as e:
    config_error.error(escape_markdown(f"{e}; the run keeps going with the last valid setup."))
trainer = slot.ensure(state.config)
if trainer is None:
    st.error(escape_markdown(f"This setup cannot run: {slot.error}"))
    st.stop()

with right:
    started = trainer.latest()
    refresh_s = REFRESH_S if started.is_active else None
    st.fragment(run_every=refresh_s)(sv.live)(trainer, started)
