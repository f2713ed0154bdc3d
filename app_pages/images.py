"""Digits: train an MLP or CNN, confusion matrix, filters, saliency."""

from __future__ import annotations

import streamlit as st

from playground.config import ConfigError
from ui import images_transfer as it
from ui import images_views as iv
from ui import images_widgets as iw
from ui.controls import draw, init_state
from ui.lessons_view import lesson_banner
from ui.playbar import play_bar
from ui.state import get_session, trainer_slot

REFRESH_S = 0.5

state = get_session().images
if state.config is None:
    state.config = iw.initial_config()
init_state(iw.images_values(state.config))
slot = trainer_slot("images")

st.title("Images & saliency")
lesson_banner("images", st.query_params.to_dict())  # a lesson's setup, text and highlights
play_bar(slot, prefix="img_")
left, right = st.columns([1, 2.6], gap="medium")
with left:
    st.subheader("Model")
    iw.model_controls()
    with st.expander("Transfer learning: start from other weights, freeze layers"):
        it.transfer_controls(state, slot)
    with st.expander("Data augmentation: shift, rotate, scale, add noise"):
        it.augment_controls()
        strip = st.container(key="img_aug_strip")
    config_error = st.empty()
with st.sidebar:
    st.header("Training")
    iw.train_controls()
try:
    state.config = iw.images_config(state.config)
except ConfigError as e:
    config_error.error(f"{e} — the current run keeps going with the last valid setup.")
cnn = iw.is_cnn(state.config)
with st.spinner("Building the run (the transfer demonstration pretrains on digits 0-4 first)"):
    trainer = slot.ensure(state.config, initial_state=it.start_state(state, state.config))
if trainer is None:
    st.error(f"This setup cannot run: {slot.error}")
    st.stop()

with left:
    st.subheader("Example")
    iw.example_controls(trainer.info.n_test)
    it.save_button(trainer)
started = trainer.latest()
refresh_s = REFRESH_S if started.is_active else None
with strip:
    st.fragment(run_every=refresh_s)(it.augment_strip)(trainer, state)
draw_col, saliency_col = st.container().columns([1, 2.2], gap="medium")
with draw_col:
    st.subheader("Draw a digit")
    iv.drawing_panel(trainer, state)
with saliency_col:
    st.subheader("Saliency")
    iv.method_controls(state, cnn)
    if st.button("Compute saliency", key="img_saliency",
                 help="Explain the chosen example with every chosen method, asked of the "
                 "running model between two steps (training goes on)."):  # fmt: skip
        iv.compute_saliency(trainer, state)
    st.fragment(run_every=refresh_s)(iv.show_saliency)(trainer, state)  # greys out once stale
    iv.method_notes()

with right:
    if cnn:
        draw(iw.IMAGES["img_inside"])
    draw(iw.IMAGES["img_diagnostics"])
    st.fragment(run_every=refresh_s)(iv.live)(trainer, state, cnn, started)
