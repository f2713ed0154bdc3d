"""Tests for train.snapshot: the bounded History and the immutable Snapshot."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from playground.train.snapshot import HISTORY_POINTS, History, Snapshot, Status


def _filled(n: int, capacity: int) -> History:
    h = History(("step", "value"), capacity=capacity)
    for i in range(n):
        h.append([i, 2.0 * i])
    return h


def test_history_under_capacity_keeps_every_row() -> None:
    h = _filled(40, 100)
    a = h.arrays()
    assert len(h) == 40
    assert np.array_equal(a["step"], np.arange(40)) and np.array_equal(a["value"], 2 * a["step"])


def test_history_stays_bounded_over_a_million_appends() -> None:
    h = _filled(1_000_000, 100)
    assert 50 <= len(h) <= 100
    assert h._rows.shape == (100, 2)  # the storage never grows
    steps = h.arrays()["step"]
    assert steps[0] == 0  # the first point is kept
    gaps = np.diff(steps)
    assert np.all(gaps == gaps[0])  # evenly spaced
    assert math.log2(gaps[0]).is_integer()  # the stride is a power of two
    assert steps[-1] > 1_000_000 - gaps[0] - 1  # and reaches the end of the run


@pytest.mark.parametrize("n", [100, 101, 150, 199, 200, 201, 257, 1234])
def test_history_stride_doubling_keeps_even_spacing(n: int) -> None:
    h = _filled(n, 100)
    steps = h.arrays()["step"]
    assert len(h) <= 100 and steps[0] == 0
    stride = steps[1] - steps[0]
    assert np.array_equal(steps, np.arange(len(steps)) * stride)
    assert steps[-1] + stride >= n  # nothing offered after the last kept row is due yet


def test_history_last_and_arrays_are_copies() -> None:
    h = History(("a", "b"), capacity=10)
    assert math.isnan(h.last("a"))
    h.append([1.0, 2.0])
    h.append([3.0, 4.0])
    assert h.last("a") == 3.0 and h.last("b") == 4.0
    a = h.arrays()
    with pytest.raises(ValueError, match="read-only"):
        a["a"][0] = 99.0
    h.append([5.0, 6.0])
    assert list(a["a"]) == [1.0, 3.0]  # a private copy: later rows do not reach it


def test_history_at_its_default_capacity_stays_bounded_and_spans_the_run() -> None:
    n = 10 * HISTORY_POINTS + 7  # many more rows than the capacity, not a power-of-two multiple
    h = History(("step", "value"))
    for i in range(n):
        h.append([i, 2.0 * i])
    steps = h.arrays()["step"]
    assert h.capacity == HISTORY_POINTS and len(h) <= HISTORY_POINTS
    stride = steps[1] - steps[0]
    assert steps[0] == 0  # the first row offered
    assert n - 1 - stride < steps[-1] <= n - 1  # the last row that fell due on the stride


def test_snapshot_is_frozen_and_reports_size() -> None:
    snap = Snapshot(
        seq=1,
        step=2,
        epoch=0,
        status=Status.RUNNING,
        history={"x": np.zeros(10)},
        grid=np.zeros((1, 4, 4), np.float32),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.step = 3  # type: ignore[misc]
    assert snap.is_active
    assert snap.nbytes() == 10 * 8 + 16 * 4
    assert not dataclasses.replace(snap, status=Status.PAUSED).is_active
