"""Run one page under AppTest the way app.py runs it: from the repo root, via a wrapper.

AppTest.from_file would put app_pages/ first on sys.path; a wrapper keeps the repo root there.
"""

from __future__ import annotations

import re
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


APP = str(PAGES.parent / "app.py")
_SPECIAL = r"[\\`*_{}\[\]()#+\-.!|<>~$:]"  # what Streamlit's markdown escapes with a backslash


def playground_app(**params: str) -> AppTest:
    """The whole app (Playground page) opened with these link parameters, run once."""
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def session_config(at: AppTest) -> object:
    """The Playground's current RunConfig in this AppTest's session."""
    return at.session_state["playground_session"].config


def status_line(at: AppTest) -> str:
    """The page's status line ("... step N ...")."""
    texts = [m.value for m in at.markdown if re.search(r"\bstep \d+", m.value)]
    assert texts, "no status line"
    return texts[0]


def status_step(at: AppTest) -> int:
    """The step number the status line shows."""
    return int(re.search(r"step (\d+)", status_line(at)).group(1))


def shown(text: str) -> str:
    """What Streamlit's markdown shows for a message: backslash escapes removed."""
    return re.sub(rf"\\({_SPECIAL})", r"\1", text)
