"""One forward / backward / update step of a tiny network, in numbers."""

from __future__ import annotations

import streamlit as st

from playground.explain import backprop as bp
from ui import backprop_views as bv

state = bv.page_state()
st.title("Backprop, one step at a time")
st.caption("Forward, backward and update of a tiny network: every number, checked by autograd.")
bv.preset_controls(state, st.columns([2, 3]))
if state.error:
    st.error(state.error)

spec = bv.edited_spec(state)
try:
    trace = bp.trace(spec)
except bp.SpecError as e:
    st.error(f"This network cannot be traced: {e}")
    st.stop()
at = bv.step_bar(state, spec, trace)
bv.graph(trace, state.cursor)
bv.numbers(trace, at, state.cursor)

st.subheader("The chain rule for one weight")
bv.chain_rule(trace)
bv.checks(trace)

st.subheader("Keep going")
bv.keep_going(state, spec)
