"""The som page (being built)."""

import streamlit as st

st.title("som")
st.info("This page is being built.")
