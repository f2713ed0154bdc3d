"""The gan page (being built)."""

import streamlit as st

st.title("gan")
st.info("This page is being built.")
