"""GAN: a generator and a discriminator on 2-D points, as GAN Lab does, trained live."""

from __future__ import annotations

import streamlit as st

from playground.config import ConfigError
from ui import gan_views as gv
from ui import gan_widgets as gw
from ui.controls import init_state
from ui.lessons_view import lesson_banner
from ui.playbar import play_bar
from ui.state import trainer_slot
from ui.views import escape_markdown

REFRESH_S = 0.5

state = gw.gan_state()
if state.config is None:
    state.config = gw.setup_config(gw.SETUPS[next(iter(gw.SETUPS))])
init_state(gw.gan_values(state.config))
slot = trainer_slot("gan")

st.title("GAN")
lesson_banner("gan", st.query_params.to_dict())  # a lesson's setup, text and highlights
st.caption(
    "A generator G turns random noise into points; a discriminator D learns to tell them from "
    "real ones, and G learns from D's gradient to fool it. Press Play and watch the orange "
    "samples flow onto the blue data. Each step is k updates of D, then one of G."
)
play_bar(slot, prefix="gan_")
left, right = st.columns([1, 3], gap="medium")
with left:
    st.subheader("Data")
    gw.data_controls()
    st.subheader("Networks")
    gw.network_controls()
    st.button("Provoke mode collapse", key="gan_collapse", on_click=gw.provoke_collapse,
              help="Load the ring with a generator learning 100x faster than the "
              "discriminator (lr 0.01 vs 0.0001), then press Play: watch the coverage "
              "figure.")  # fmt: skip
    config_error = st.empty()
with st.sidebar:
    st.header("Training")
    gw.train_controls()
try:
    state.config = gw.gan_config(state.config)
except ConfigError as e:
    config_error.error(escape_markdown(f"{e} — the run keeps going with the last valid setup."))
with left, st.expander("This setup as a config"):
    st.code(state.config.to_json(), language="json")
    st.caption("Save it as gan.json and run it headless: "
               "`python -m playground train --config gan.json`.")  # fmt: skip
trainer = slot.ensure(state.config, grid_resolution=gv.GRID)
if trainer is None:
    st.error(escape_markdown(f"This setup cannot run: {slot.error}"))
    st.stop()

with right:
    for col, key in zip(st.columns(4), ("gan_heat", "gan_arrows")):
        gw.draw(gw.GAN[key], col)
    started = trainer.latest()
    st.fragment(run_every=REFRESH_S if started.is_active else None)(gv.live)(trainer, started)
