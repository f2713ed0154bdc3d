"""A standalone page that mounts the live view over a real Trainer on the spiral preset.

    streamlit run scripts/live_demo.py              # look at it (fragments send the frames)
    streamlit run scripts/live_demo_served.py       # the same, the browser pulling its frames
    python scripts/live_demo.py --bench [--seconds 10]   # repaints/s in headless Chromium (JSON)

The page has Play / Pause buttons (keys "play", "pause"), the live view (key "live_view") in a
fragment that runs every 0.1 s (or, served with its frame route, only on events), and, while
paused, the exact biases of the snapshot shown under the key "truth" (JSON), which the browser
test compares with what a hover shows.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.config import with_value
from playground.presets import get_preset
from playground.train.trainer import EVAL_BUDGET, Trainer

PRESET = "spiral"


def demo_config():
    return with_value(get_preset(PRESET), "train.max_steps", 0)  # runs until paused


def page() -> None:
    import streamlit as st

    from ui.live.component import live_view, pulls

    st.set_page_config(page_title="Live view demo", layout="wide")

    @st.cache_resource
    def trainer() -> Trainer:  # one per server: a demo, not the app's per-tab slot
        return Trainer(demo_config(), idle_pause_s=None, eval_budget=EVAL_BUDGET)

    t = trainer()
    c1, c2, c3, c4 = st.columns(4)
    c1.button("Play", key="play", on_click=t.start)
    c2.button("Pause", key="pause", on_click=t.pause)
    show_test = c3.toggle("Show test data", key="show_test")
    discretize = c4.toggle("Discretize output", key="discretize")

    @st.fragment(run_every=None if pulls() else 0.1)
    def live() -> None:
        snap = t.latest()
        ev = live_view(
            snap,
            t.info,
            trainer=t,
            show_test=show_test,
            discretize=discretize,
            selected=st.session_state.get("selected"),
        )
        if ev.select:
            st.session_state["selected"] = ev.select
        if ev.edit:
            t.set_param(*ev.edit)
            st.rerun(scope="fragment")  # show the edited weight (and its truth) at once
        st.caption(f"update: {ev.nbytes:,} bytes{' (full)' if ev.full else ''}")
        if not snap.is_active:
            truth = {
                "step": snap.step,
                "biases": [[float(b) for b in layer.bias] for layer in snap.layers],
                "weights": [layer.weights.astype(float).tolist() for layer in snap.layers],
            }
            with st.container(key="truth"):
                st.code(json.dumps(truth), language=None)

    live()


def bench(seconds: float) -> dict:
    """Open the demo in headless Chromium, press Play, read data-frame for `seconds`."""
    import tempfile

    from tests.browser_harness import (
        launch_chromium,
        start_playwright,
        start_streamlit,
        stop_process,
    )

    headless = Trainer(demo_config(), idle_pause_s=None, eval_budget=EVAL_BUDGET)
    headless.start()
    time.sleep(1.0)
    s0, t0 = headless.step_count, time.monotonic()
    time.sleep(seconds)
    headless_rate = (headless.step_count - s0) / (time.monotonic() - t0)
    headless.close()

    log = Path(tempfile.mkdtemp()) / "server.log"
    proc, url = start_streamlit(Path(__file__).resolve(), log)
    pw = start_playwright()
    try:
        page = launch_chromium(pw).new_page(viewport={"width": 1366, "height": 768})
        page.goto(url)
        root = page.locator(".st-key-live_view")
        root.wait_for(timeout=120_000)
        page.locator(".st-key-play button").click()
        page.wait_for_function(
            "() => Number(document.querySelector('.st-key-live_view')"
            "?.getAttribute('data-step') || 0) > 0",
            timeout=60_000,
        )
        time.sleep(1.0)

        def read() -> tuple[int, int]:
            return int(root.get_attribute("data-frame") or 0), int(
                root.get_attribute("data-step") or 0
            )

        (f0, st0), t0 = read(), time.monotonic()
        time.sleep(seconds)
        (f1, st1), dt = read(), time.monotonic() - t0
        nbytes = page.locator("text=/update: [0-9,]+ bytes/").first.inner_text()
    finally:
        pw.stop()
        stop_process(proc)
    page_rate = (st1 - st0) / dt
    return {
        "preset": PRESET,
        "seconds": seconds,
        "repaints_per_s": round((f1 - f0) / dt, 2),
        "page_steps_per_s": round(page_rate, 1),
        "headless_steps_per_s": round(headless_rate, 1),
        "ratio": round(page_rate / headless_rate, 3) if headless_rate else None,
        "last_update": nbytes,
    }


if __name__ == "__main__" and "--bench" in sys.argv:
    secs = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 10.0
    print(json.dumps(bench(secs)))
else:
    page()
