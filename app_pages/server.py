"""Server status: how many trainer threads run in this server process (for teachers and tests)."""

import threading

import streamlit as st

from playground.train.trainer import live_threads

st.title("Server status")
st.caption("One Streamlit server serves every open tab; each tab's run is one trainer thread.")
with st.container(key="server_status"):
    st.markdown(f"Trainer threads alive: **{live_threads()}**")
    st.markdown(f"Python threads in the server: **{threading.active_count()}**")
if st.button("Refresh", key="server_refresh", icon=":material/refresh:"):
    st.rerun()
