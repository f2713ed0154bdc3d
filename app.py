"""Entrypoint: page config, st.navigation listing every page, shared sidebar."""

import streamlit as st

st.set_page_config(page_title="Neural Network Playground", page_icon="🧠", layout="wide")
# Live views refresh several times a second: don't fade them out while a refresh runs.
st.html("<style>[data-stale='true'] {opacity: 1 !important; transition: none !important;}</style>")

_PAGES = [
    ("app_pages/home.py", "Playground", ":material/hub:", True),
    ("app_pages/backprop.py", "Backprop", ":material/calculate:", False),
    ("app_pages/images.py", "Images & saliency", ":material/image:", False),
    ("app_pages/compare.py", "Compare", ":material/compare:", False),
    ("app_pages/sequences.py", "Sequences", ":material/timeline:", False),
    ("app_pages/autoencoder.py", "Autoencoder", ":material/compress:", False),
    ("app_pages/gan.py", "GAN", ":material/scatter_plot:", False),
    ("app_pages/som.py", "SOM", ":material/grid_on:", False),
    ("app_pages/lessons.py", "Lessons", ":material/school:", False),
    ("app_pages/server.py", "Server status", ":material/dns:", False),
]
pages = [
    st.Page(path, title=title, icon=icon, default=default) for path, title, icon, default in _PAGES
]
st.navigation(pages).run()
