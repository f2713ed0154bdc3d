"""The live view demo with its frame route (ui/live/stream.py), as serve.py runs the app:

streamlit run scripts/live_demo_served.py
"""

import streamlit as st

from ui.live.stream import routes

app = st.App("live_demo.py", routes=routes())
