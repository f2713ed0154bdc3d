"""The lessons page (being built)."""

import streamlit as st

st.title("lessons")
st.info("This page is being built.")
