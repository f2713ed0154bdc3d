"""AppTest: app.py registers every page and each one renders without an exception."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from playground.train.trainer import live_threads

ROOT = Path(__file__).resolve().parent.parent
PAGES = re.findall(r'"(app_pages/\w+\.py)"', (ROOT / "app.py").read_text())  # as registered


def test_every_registered_page_exists():
    assert len(PAGES) >= 10 and "app_pages/home.py" in PAGES
    for page in PAGES:
        assert (ROOT / page).is_file()
    assert {p.name for p in (ROOT / "app_pages").glob("*.py")} == {Path(p).name for p in PAGES}


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]


def test_explain_one_step_opens_backprop_on_this_network():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["layers"] = "3:sigmoid"
    at.run()
    at.button(key="explain").click().run()
    assert not at.exception
    assert any("Backprop" in t.value for t in at.title)
    state = at.session_state["playground_session"].backprop
    assert len(state.base["layers"]) == 2  # 3 hidden sigmoid units + the tanh output


def test_server_caption_names_exactly_the_counts_the_page_shows():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/images.py").run()  # this tab now has a run: one trainer thread
    at.switch_page("app_pages/server.py").run()
    assert not at.exception, [e.value for e in at.exception]
    counts = (re.fullmatch(r"(.+): \*\*(\d+)\*\*", m.value) for m in at.markdown)
    shown = dict(c.groups() for c in counts if c)
    assert int(shown["Trainer threads alive"]) == live_threads() >= 1
    assert int(shown["Python threads in the server"]) >= int(shown["Trainer threads alive"])
    caption = " ".join(c.value for c in at.caption)
    assert set(re.findall(r"\*\*(.+?)\*\*", caption)) == set(shown)  # each count, no others
    assert "Refresh" in caption  # the numbers are as of the page's drawing
