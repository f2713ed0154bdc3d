"""A lesson on its page: its setup loaded into the widgets, a banner (what to do, notice, why,
the claim and its measured numbers), the lesson's controls highlighted, the change to try next."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from playground.config import ConfigError, RunConfig
from playground.lessons.catalog import LESSONS
from playground.lessons.lesson import Lesson
from ui.controls import init_state, widget_values
from ui.state import compare_slot, get_session, trainer_slot
from ui.urlstate import HIDE_SUFFIX, LESSON_PARAM
from ui.views import escape_markdown
from ui.widgets import PLAYGROUND, VIEW_KEYS, playground_values

PAGES = {  # a lesson's page -> its file (app.py) and URL path
    "playground": ("app_pages/home.py", ""),
    "compare": ("app_pages/compare.py", "compare"),
    "images": ("app_pages/images.py", "images"),
    "sequences": ("app_pages/sequences.py", "sequences"),
    "autoencoder": ("app_pages/autoencoder.py", "autoencoder"),
    "gan": ("app_pages/gan.py", "gan"),
}
PAGE_KEY = "lessons"  # Session.pages["lessons"]: the lesson whose setup was loaded last
HIGHLIGHT = "#f59e0b"  # amber: visible on a projector, apart from the classes' orange and blue
PREFIX_HIDE = {"feat_": "features", "units_": "layers", "act_": "layers", "init_": "layers"}
PLAYGROUND_EXTRAS = ("regenerate", "csv", "layers")  # hideable parts that are not table rows
BANNER_CSS = """<style>
.st-key-lesson_banner p, .st-key-lesson_banner li {font-size: 1.3rem; line-height: 1.5;}
.st-key-lesson_banner h2 {font-size: 2.1rem;}
.st-key-lesson_claim p {font-size: 1.4rem; font-weight: 600;}
</style>"""


def link(lesson: Lesson) -> str:
    """The lesson's link, relative to the app's address."""
    return f"/{PAGES[lesson.page][1]}?{LESSON_PARAM}={lesson.name}"


# ---- loading a setup ------------------------------------------------------------------------


def _load_playground_config(cfg: RunConfig) -> None:
    """The Playground setup (the Compare page starts from it too), widgets included."""
    sess = get_session()
    sess.config, sess.url_loaded = cfg, True
    init_state(playground_values(cfg), force=True)


def _load_images_config(cfg: RunConfig) -> None:
    from ui import images_widgets as iw  # the Images page's table, only for its lessons

    get_session().images.config = cfg
    init_state(iw.images_values(cfg), force=True)


def _load_sequences_config(cfg: RunConfig) -> None:
    from ui import sequences_widgets as sw
    from ui.sequences_state import get_state

    get_state().config = cfg
    init_state(sw.seq_values(cfg), force=True)


def _load_autoencoder_config(cfg: RunConfig) -> None:
    from ui import autoencoder_widgets as aw

    aw.page_state().config = cfg
    init_state(widget_values(aw.AE, cfg), force=True)


def _load_gan_config(cfg: RunConfig) -> None:
    from ui import gan_widgets as gw

    gw.gan_state().config = cfg
    init_state(gw.gan_values(cfg), force=True)


_LOADERS = {  # each page's widget module is imported only when one of its lessons loads
    "playground": _load_playground_config,
    "compare": _load_playground_config,
    "images": _load_images_config,
    "sequences": _load_sequences_config,
    "autoencoder": _load_autoencoder_config,
    "gan": _load_gan_config,
}


def _fresh_run(page: str) -> None:
    """Stop the page's run: the next one starts at step 0 from the setup (a live change such as
    the learning rate would otherwise go on from the weights the last run reached)."""
    slot = compare_slot() if page == "compare" else trainer_slot(page)  # named as its page
    slot.close()


def load(lesson: Lesson) -> None:
    """Put the lesson's setup and page settings into this tab's state (before the widgets)."""
    _LOADERS[lesson.page](lesson.config)
    init_state(dict(lesson.settings), force=True)
    get_session().pages[PAGE_KEY] = lesson.name
    _fresh_run(lesson.page)


def current_config(page: str) -> RunConfig:
    """The config the lesson's page runs now."""
    sess = get_session()
    if page in ("playground", "compare"):
        return sess.config
    return sess.images.config if page == "images" else sess.pages[page].config


def apply_next(lesson: Lesson) -> None:
    """The "try next" button (a callback, before the widgets): the change, on what runs now."""
    _LOADERS[lesson.page](lesson.try_next.apply(current_config(lesson.page)))
    init_state(dict(lesson.try_next.settings), force=True)
    _fresh_run(lesson.page)


def open_lesson(lesson: Lesson) -> None:
    """Load the lesson and go to its page, with its link in the address bar."""
    load(lesson)
    st.switch_page(PAGES[lesson.page][0], query_params={LESSON_PARAM: lesson.name})


# ---- hiding and highlighting -----------------------------------------------------------------


def _hide_name(key: str) -> str:
    prefix = next((p for p in PREFIX_HIDE if key.startswith(p)), None)
    if prefix:
        return PREFIX_HIDE[prefix]
    return PLAYGROUND[key].hide_name if key in PLAYGROUND else key


def hide_others(lesson: Lesson) -> set[str]:
    """The Playground controls that a focused lesson hides: all but its own."""
    rows = {c.hide_name for k, c in PLAYGROUND.items() if c.kind and k not in VIEW_KEYS}
    keep = {_hide_name(k) for k in lesson.controls}
    return (rows | set(PLAYGROUND_EXTRAS)) - keep


def _toggle_focus(lesson: Lesson, focus: bool) -> None:
    for name in hide_others(lesson):
        if focus:
            st.query_params[name + HIDE_SUFFIX] = "true"
        elif name + HIDE_SUFFIX in st.query_params:
            del st.query_params[name + HIDE_SUFFIX]


def highlight_css(controls: tuple[str, ...]) -> str:
    """CSS outlining each control (a key ending in "_" matches every key it starts)."""
    sel = [f"[class*='st-key-{k}']" if k.endswith("_") else f".st-key-{k}" for k in controls]
    return (f"<style>{', '.join(sel)} {{outline: 4px solid {HIGHLIGHT}; outline-offset: 3px; "
            f"border-radius: 6px; background: {HIGHLIGHT}14;}}</style>")  # fmt: skip


# ---- the banner -----------------------------------------------------------------------------


_MEASURED: dict[str, dict[str, Any]] = {}  # name -> check result: fixed seeds, one for all tabs


def measure(name: str) -> dict[str, Any]:
    """The lesson's check, run headless with its fixed seeds (the same as `lessons --check`),
    once per server."""
    if name not in _MEASURED:
        _MEASURED[name] = LESSONS[name].check(LESSONS[name]).to_dict()
    return _MEASURED[name]


def lesson_banner(page: str, params: Mapping[str, str]) -> Lesson | None:
    """On a lesson's page (its `?lesson=NAME` link): its setup loaded once, then the banner
    and the highlights; None when the link names no lesson of this page."""
    name = params.get(LESSON_PARAM, "")
    lesson = LESSONS.get(name)
    if name and lesson is None:
        text = f"There is no lesson named {name[:40]!r}: see the Lessons page."
        st.warning(escape_markdown(text))
    if lesson is None or lesson.page != page:
        return None
    if get_session().pages.get(PAGE_KEY) != lesson.name:
        load(lesson)
    st.html(BANNER_CSS + highlight_css(lesson.controls))
    with st.container(border=True, key="lesson_banner"):
        _banner(lesson, page, params)
    return lesson


def _banner(lesson: Lesson, page: str, params: Mapping[str, str]) -> None:
    n = list(LESSONS).index(lesson.name) + 1
    st.markdown(f"## Lesson {n}: {lesson.title}")
    st.markdown(f"**Do:** {lesson.do}\n\n**Notice:** {lesson.notice}\n\n**Why:** {lesson.why}")
    with st.container(key="lesson_claim"):
        st.markdown(f":material/straighten: **The claim:** {lesson.claim}")
        result = _result(lesson)
    cols = st.columns([2, 1.4, 1.4])
    now, why_not = current_config(page), ""
    try:
        done = lesson.try_next.apply(now) == now
    except ConfigError as e:  # the setup was edited so far that the change no longer fits
        done, why_not = True, f" It does not fit the setup as it is now ({e}): reopen the lesson."
    cols[0].button(f"Try next: {lesson.try_next.label}", key="lesson_try_next", type="primary",
                   icon=":material/arrow_forward:", on_click=apply_next, args=(lesson,),
                   disabled=done, help=f"Apply this lesson's one change to the setup as it is "
                   f"now, and start the run again from step 0.{why_not}")  # fmt: skip
    cols[1].button("Measure the claim", key="lesson_measure", icon=":material/science:",
                   disabled=result is not None,
                   help="Run this lesson's setup headless with its fixed seeds and measure "
                   "the claim (a few seconds): the same check as `python -m playground "
                   "lessons --check`.")  # fmt: skip
    if page == "playground":
        focused = any(k.endswith(HIDE_SUFFIX) for k in params)
        cols[2].button("Show all controls" if focused else "Hide the other controls",
                       key="lesson_focus", on_click=_toggle_focus, args=(lesson, not focused),
                       help="Hide every control this lesson is not about (the link keeps "
                       "it: share it with the class).")  # fmt: skip


def _result(lesson: Lesson) -> dict[str, Any] | None:
    """The measured claim, if asked for (now or before: it is cached)."""
    if not st.session_state.get("lesson_measure") and lesson.name not in _MEASURED:
        return None
    with st.spinner("Measuring: training the setup headless..."):
        result = measure(lesson.name)
    mark = ":green[:material/check_circle: holds]" if result["pass"] else ":red[fails]"
    st.markdown(f"Measured (fixed seeds), {mark}: {result['summary']}")
    return result
