"""The autoencoder page (being built)."""

import streamlit as st

st.title("autoencoder")
st.info("This page is being built.")
