"""Run one page under AppTest the way app.py runs it: from the repo root, via a wrapper.

AppTest.from_file would put app_pages/ first on sys.path; a wrapper keeps the repo root there.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGES = Path(__file__).resolve().parents[1] / "app_pages"


def page_app(name: str, timeout_s: float = 60) -> AppTest:
    """An AppTest of app_pages/<name>.py, not yet run."""
    wrapper = f"import runpy\nrunpy.run_path({str(PAGES / f'{name}.py')!r})\n"
    return AppTest.from_string(wrapper, default_timeout=timeout_s)


def run_ok(target: object) -> AppTest:
    """Run an AppTest, or the app of a widget just interacted with; no exception allowed."""
    at = target.run()
    assert not at.exception, at.exception
    return at
