"""The Streamlit shell's helpers: per-tab session state and widget groups."""
