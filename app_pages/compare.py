"""Several runs from the same initial weights, side by side."""

from __future__ import annotations

import streamlit as st

from playground.config import ConfigError
from ui import compare_views as cv
from ui.controls import draw
from ui.lessons_view import lesson_banner
from ui.playbar import play_bar
from ui.state import compare_slot, get_session

REFRESH_S = 0.5
HELPS = {
    "play": "Train every variant side by side.",
    "pause": "Pause every variant.",
    "reset": "Every variant back to its initial weights.",
}

sess = get_session()
slot = compare_slot()
cv.init_widgets()

st.title("Compare")
lesson_banner("compare", st.query_params.to_dict())  # a lesson's setup, text and highlights
st.caption(f"Variants of the Playground setup: {cv.describe(sess.config)}. Variants of one "
           "architecture start from the same weights and see the same data order.")  # fmt: skip
try:
    variants, steps = cv.variant_controls(sess.config)
    runs = slot.ensure(variants, steps)
except ConfigError as e:
    st.error(f"These variants cannot run: {e}")
    st.stop()
if runs is None:
    st.error(f"These variants cannot run: {slot.error}")
    st.stop()

spare = play_bar(slot, "cmp_", ("play", "pause", "reset"), helps=HELPS, spare=(2, 3))
log_y = draw(cv.COMPARE["cmp_log"], spare[0])
active = runs.is_active
st.fragment(run_every=REFRESH_S if active else None)(cv.live)(runs, log_y, active)
