"""AppTest: app.py registers every page and each one renders without an exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app_pages/home.py", "app_pages/backprop.py", "app_pages/images.py",
         "app_pages/compare.py", "app_pages/server.py"]  # fmt: skip


def test_every_registered_page_exists():
    text = (ROOT / "app.py").read_text()
    for page in PAGES:
        assert (ROOT / page).is_file() and f'"{page}"' in text


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
