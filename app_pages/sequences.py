"""The sequences page (being built)."""

import streamlit as st

st.title("sequences")
st.info("This page is being built.")
