"""The app with the live view's own frame channel: `streamlit run serve.py`.

The same pages as app.py (which also runs alone, `streamlit run app.py`, with the live view
refreshed by Streamlit fragments instead); this adds the route from which a live view pulls
its frames (ui/live/stream.py), so watching a network learn costs Streamlit nothing per frame.
"""

import sys

import streamlit as st

from ui.live.stream import routes

# Trainer threads hold the GIL in turns; the server's event loop (frames, websockets, health)
# waits at most this long for its turn (Python's default is 5 ms).
sys.setswitchinterval(0.001)
app = st.App("app.py", routes=routes())
