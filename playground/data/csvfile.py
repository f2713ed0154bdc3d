"""User CSV files: size- and structure-checked parsing into features and targets."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence

import numpy as np

from playground.config import MAX_SAMPLES, Task
from playground.data.expressions import DataError

MAX_CSV_BYTES = 20 * 2**20
MAX_CSV_COLUMNS = 100
MAX_CLASSES = 10


def load_csv(path: str, target: str, task: Task) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read a user's CSV: X (N, F) float32, y (N,) int64 classes or float32, feature names.

    The size is checked before anything is read; every fault is a one-line DataError.
    """
    try:
        size = os.stat(path).st_size
        if not os.path.isfile(path):
            raise DataError(f"CSV path {path!r} is not a file")
        if size > MAX_CSV_BYTES:
            raise DataError(f"CSV file is {size / 2**20:.0f} MB; the limit is 20 MB")
        with open(path, "rb") as f:
            data = f.read(MAX_CSV_BYTES + 1)
    except OSError as e:
        raise DataError(f"cannot read CSV file {path!r}: {e.strerror or e}") from None
    return parse_csv_bytes(data, target, task)


def validate_csv_bytes(
    data: bytes, target: str = "", task: Task = Task.CLASSIFICATION
) -> tuple[str, ...]:
    """Run every check of load_csv on uploaded bytes; returns all the column names."""
    return _parse_csv(data, target, task)[3]


def parse_csv_bytes(
    data: bytes, target: str = "", task: Task = Task.CLASSIFICATION
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """load_csv on bytes already in memory; target "" means the last column."""
    return _parse_csv(data, target, task)[:3]


def _parse_csv(
    data: bytes, target: str, task: Task
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """Bytes -> X (N, F) float32, y (N,), feature names, all column names."""
    header, lines, rows = _read_table(data)
    target = target or header[-1]
    if target not in header:
        raise DataError(f"no column named {target!r}; the columns are {', '.join(header)}")
    columns = dict(zip(header, zip(*rows)))  # name -> the column's cells
    names = tuple(h for h in header if h != target)
    X = np.stack([_numeric(columns[h], h, lines) for h in names], axis=1).astype(np.float32)
    if task == Task.REGRESSION:
        y = _numeric(columns[target], target, lines).astype(np.float32)
    else:
        y = _class_indices(columns[target], target, lines)
    return X, y, names, tuple(header)


def _read_table(data: bytes) -> tuple[list[str], list[int], list[list[str]]]:
    """Bytes -> (header, line number of each row, rows of stripped cells), structure checked."""
    text = _decode(data)
    rows: list[list[str]] = []  # the header, then the data rows
    lines: list[int] = []
    reader = csv.reader(_checked_lines(text))
    try:
        for row in reader:  # lazily, so that a hostile file fails before it fills memory
            if not any(c.strip() for c in row):
                continue
            if not rows:
                _check_header([c.strip() for c in row])
            elif len(row) != len(rows[0]):
                raise DataError(
                    f"line {reader.line_num} has {len(row)} cells but the header has {len(rows[0])}"
                )
            if len(rows) > MAX_SAMPLES:
                raise DataError(f"CSV file has over {MAX_SAMPLES} rows; the limit is {MAX_SAMPLES}")
            rows.append([c.strip() for c in row])
            lines.append(reader.line_num)
    except csv.Error as e:
        raise DataError(f"CSV file is malformed: {e}") from None
    if not rows:
        raise DataError("CSV file is empty")
    if len(rows) == 1:
        raise DataError("CSV file has a header but no data rows")
    if len(rows) == 2:
        raise DataError("CSV file has a single data row; a train/test split needs two or more")
    return rows[0], lines[1:], rows[1:]


def _checked_lines(text: str) -> Iterator[str]:
    """The lines of text, refusing far too many lines, or a line with far too many cells."""
    if text.count("\n") > 4 * MAX_SAMPLES:  # blank lines included; checked at C speed
        raise DataError(f"CSV file has over {MAX_SAMPLES} rows; the limit is {MAX_SAMPLES}")
    if "\n" not in text:
        text = text.replace("\r", "\n")  # old Mac line ends
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        if text.count(",", start, end) > 10 * MAX_CSV_COLUMNS:  # before csv splits it up
            raise DataError(f"CSV file has a line of over {10 * MAX_CSV_COLUMNS} cells")
        yield text[start:end]
        start = end


def _decode(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise DataError("CSV file is over the 20 MB limit")
    if b"\x00" in data:
        raise DataError("this looks like a binary file, not CSV text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"CSV file is not UTF-8 text (bad byte at position {e.start})") from None
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text[:65536]):
        raise DataError("this looks like a binary file, not CSV text")
    return text


def _check_header(header: list[str]) -> None:
    if len(header) < 2:
        raise DataError("CSV file has a single column; it needs feature columns and a target")
    if len(header) > MAX_CSV_COLUMNS:
        raise DataError(f"CSV file has {len(header)} columns; the limit is {MAX_CSV_COLUMNS}")
    if "" in header:
        raise DataError(f"column {header.index('') + 1} of the header has no name")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise DataError(f"duplicate column name(s) in the header: {', '.join(repeated)}")
    if all(_is_number(h) for h in header):
        raise DataError("the first line must name the columns, but it holds only numbers")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _numeric(cells: Sequence[str], name: str, lines: list[int]) -> np.ndarray:
    """A column of cells -> (N,) float64, or DataError naming the first bad cell."""
    try:
        values = np.fromiter(map(float, cells), np.float64, len(cells))  # numpy's parser is slower
    except ValueError:
        values = np.array([_cell_value(c, name, n) for n, c in zip(lines, cells)], np.float64)
    bad = ~(np.abs(values) < 3e38)  # NaN, inf, and what float32 cannot hold
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"line {lines[i]}, column {name!r}: {cells[i]!r} is not a finite number")
    return values


def _cell_value(cell: str, name: str, line: int) -> float:
    try:
        return float(cell)
    except ValueError:
        what = "is empty" if not cell else f"{cell!r} is not a number"
        raise DataError(f"line {line}, column {name!r}: {what}") from None


def _class_indices(cells: Sequence[str], name: str, lines: list[int]) -> np.ndarray:
    """Class labels (numbers or strings) -> (N,) int64 indices 0..C-1 in sorted order."""
    for line, cell in zip(lines, cells):
        if not cell:
            raise DataError(f"line {line}, column {name!r}: the class label is empty")
    if all(_is_number(c) for c in cells):
        _numeric(cells, name, lines)  # refuses NaN and inf labels
        keys: np.ndarray = np.array(cells, dtype=np.float64)
    else:
        keys = np.array(cells, dtype=str)
    classes, y = np.unique(keys, return_inverse=True)
    if len(classes) > MAX_CLASSES:
        raise DataError(
            f"target {name!r} has {len(classes)} distinct values; classification allows at most "
            f"{MAX_CLASSES} (choose regression for a numeric target)"
        )
    if len(classes) < 2:
        raise DataError(f"target {name!r} has a single class; classification needs two or more")
    return y.astype(np.int64)
