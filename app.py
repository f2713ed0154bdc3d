"""Entrypoint: page config, st.navigation listing every page, shared sidebar."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="Neural Network Playground", page_icon="🧠", layout="wide")

_PAGES = [
    ("pages/playground.py", "Playground", "🎛️", True),
    ("pages/backprop.py", "Backprop", "🔢", False),
    ("pages/images.py", "Images & saliency", "🖼️", False),
    ("pages/compare.py", "Compare", "⚖️", False),
]
pages = [
    st.Page(path, title=title, icon=icon, default=default)
    for path, title, icon, default in _PAGES
    if Path(path).exists()
]
st.navigation(pages).run()
