"""CSV upload widget group: validate the bytes first, then keep them in a content-addressed file."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from pathlib import Path

import streamlit as st

from playground.config import Task
from playground.data.datasets import MAX_CSV_BYTES, DataError, validate_csv_bytes

UPLOAD_DIR = Path(tempfile.gettempdir()) / "nn-playground-uploads"
_HEADER_BYTES = 65_536  # the header is looked for in this much of the file


def csv_upload(key_prefix: str = "") -> str | None:
    """Uploader, task radio and target selectbox; the stored file's path once the file is valid.

    Widget keys: `<prefix>csv_upload`, `<prefix>csv_task`, `<prefix>csv_target` (read the last
    two with `csv_choices`). Nothing is written unless every check of `load_csv` passes.
    """
    upload = st.file_uploader(
        "Your own data (CSV)", type="csv", key=f"{key_prefix}csv_upload",
        max_upload_size=MAX_CSV_BYTES // 2**20,
        help="Numeric feature columns with a header row; one column is the target.",
    )  # fmt: skip
    if upload is None:
        return None
    data = upload.getvalue()
    task = st.radio(
        "Task", [t.value for t in Task], key=f"{key_prefix}csv_task", horizontal=True,
        help="Classification: the target holds at most 10 labels. Regression: a number.",
    )  # fmt: skip
    columns = tuple(dict.fromkeys(_header(data)[::-1]))  # last column first: the default target
    target = st.selectbox(
        "Target column", columns or ("",), key=f"{key_prefix}csv_target",
        help="The column the network learns to predict (the last one by default).",
    )  # fmt: skip
    try:
        validate_csv_bytes(data, target, Task(task))
    except DataError as e:
        st.error(f"{upload.name} cannot be used: {e}. The current run is unchanged.")
        return None
    return str(store_upload(data))


def csv_choices(key_prefix: str = "") -> tuple[str, Task]:
    """The target column and task picked next to the uploader ("" and classification if none)."""
    target = st.session_state.get(f"{key_prefix}csv_target") or ""
    task = st.session_state.get(f"{key_prefix}csv_task") or Task.CLASSIFICATION.value
    return str(target), Task(task)


def store_upload(data: bytes) -> Path:
    """Write bytes once to UPLOAD_DIR/<sha256>.csv (same content, same path) and return it."""
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    path = UPLOAD_DIR / f"{hashlib.sha256(data).hexdigest()}.csv"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=UPLOAD_DIR, suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
    return path


def _header(data: bytes) -> tuple[str, ...]:
    """The first non-blank row's stripped cells, for the target picker (() if unreadable)."""
    text = data[:_HEADER_BYTES].decode("utf-8-sig", errors="replace")
    try:
        for row in csv.reader(io.StringIO(text)):
            if any(c.strip() for c in row):
                return tuple(c.strip() for c in row)
    except csv.Error:
        pass
    return ()
