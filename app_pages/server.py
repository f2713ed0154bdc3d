"""Server status: how many trainer threads run in this server process (for teachers and tests)."""

import threading

import streamlit as st

from playground.train.trainer import IDLE_EXIT_S, live_threads

st.title("Server status")
st.caption(
    "Two counts for this server process, taken when the page was drawn (Refresh counts again). "
    "**Trainer threads alive**: one per run, over every open tab (a tab's Playground and Images "
    "runs and each of its Compare variants), paused or finished ones too, until their tab closes "
    f"or nobody has looked at the run for {IDLE_EXIT_S / 60:g} minutes. **Python threads in the "
    "server**: those and every other thread, Streamlit's own included."
)
with st.container(key="server_status"):
    st.markdown(f"Trainer threads alive: **{live_threads()}**")
    st.markdown(f"Python threads in the server: **{threading.active_count()}**")
if st.button("Refresh", key="server_refresh", icon=":material/refresh:"):
    st.rerun()
