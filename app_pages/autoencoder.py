"""Autoencoder: plain, denoising or variational, on digits or a 2-D set; its latent plane live."""

from __future__ import annotations

import streamlit as st

from playground.config import ConfigError
from ui import autoencoder_views as av
from ui import autoencoder_widgets as aw
from ui.lessons_view import lesson_banner
from ui.playbar import play_bar
from ui.state import trainer_slot

REFRESH_S = 0.5

state = aw.page_state()
if state.config is None:
    state.config = aw.initial_config()
aw.start_values(state.config)
slot = trainer_slot("autoencoder")

st.title("Autoencoder")
lesson_banner("autoencoder", st.query_params.to_dict())  # a lesson's setup, text and highlights
st.caption(
    "An autoencoder squeezes each input through a narrow bottleneck (here 2 numbers by default) "
    "and learns to rebuild it from there. Nobody gives it labels, yet the codes it invents "
    "sort the digits by shape. Press Play and watch the latent plane organise itself."
)
play_bar(slot, prefix="ae_", spare=(2,))
with st.sidebar:
    st.header("Model")
    aw.controls(aw.MODEL_KEYS)
    config_error = st.empty()
    st.header("Training")
    aw.controls(aw.TRAIN_KEYS)
try:
    state.config = aw.ae_config(state.config)
except ConfigError as e:
    config_error.error(aw.refuse(e))
trainer = slot.ensure(state.config)
if trainer is None:
    st.error(f"This setup cannot run: {slot.error}")
    st.stop()

started = trainer.latest()
st.fragment(run_every=REFRESH_S if started.is_active else None)(av.live)(trainer, started)
