"""Guided lessons: one idea each; open one to load its setup on its page."""

from __future__ import annotations

import streamlit as st

from playground.lessons.catalog import LESSONS
from ui import lessons_view as lv

st.html("<style>[class*='st-key-lesson_card_'] p {font-size: 1.2rem;}</style>")
st.title("Lessons")
st.markdown(
    "Each lesson shows one idea: it loads a setup on its page, says what to do, what to "
    "notice and why, highlights the controls it is about, and offers one change to try next. "
    "Every claim is a number measured by `python -m playground lessons --check`."
)
for n, lesson in enumerate(LESSONS.values(), start=1):
    with st.container(border=True, key=f"lesson_card_{lesson.name}"):
        text, action = st.columns([4, 1], vertical_alignment="center")
        text.markdown(f"### {n}. {lesson.title}")
        text.markdown(f"{lesson.notice}\n\n:material/straighten: {lesson.claim}")
        text.caption(f"On the {lesson.page} page · link: `{lv.link(lesson)}`")
        if action.button("Open", key=f"lesson_open_{lesson.name}", type="primary",
                         icon=":material/school:", width="stretch",
                         help=f"Load this setup on the {lesson.page} page."):  # fmt: skip
            lv.open_lesson(lesson)
