"""The live view's update encoder: what decode() reads (the byte layout live.js reads) equals
the snapshot within the quantisation step; only new history rows are sent; a new run resends
everything."""

from __future__ import annotations

import math

import numpy as np
import pytest

from playground.config import with_value
from playground.presets import get_preset
from playground.train.trainer import Trainer
from ui.live.payload import (
    HIST_COLS,
    QMAX,
    Seen,
    decode,
    dequantize_u8,
    encode,
    quantize_u8,
    sample_grid,
)

BUDGET = 30_000  # bytes per update on the spiral network (the aim)


@pytest.fixture(scope="module")
def spiral():
    """A paused spiral trainer (6x8 tanh, seven features, grid 100) after 300 steps."""
    trainer = Trainer(with_value(get_preset("spiral"), "train.max_steps", 0), idle_pause_s=None)
    trainer.step(300)
    yield trainer
    trainer.close()


def half_step(ranges: np.ndarray) -> np.ndarray:
    """The largest error of a u8 code, per grid (float32 rounding allowed for)."""
    return (ranges[:, 1] - ranges[:, 0]) / QMAX / 2 * (1 + 1e-5) + 1e-6


def test_round_trip_equals_snapshot_within_the_step(spiral) -> None:
    snap, info = spiral.latest(), spiral.info
    msg = decode(encode(snap, info, thumb_res=16, grid_res=100).data)
    arrays = msg["arrays"]
    err = np.abs(arrays["grid"] - snap.grid).reshape(len(snap.grid), -1).max(axis=1)
    assert (err <= half_step(arrays["grid.range"])).all()
    thumbs = np.concatenate([sample_grid(g, 16) for g in snap.neuron_grids])
    assert arrays["thumbs"].shape == (48, 16, 16)
    err = np.abs(arrays["thumbs"] - thumbs).reshape(48, -1).max(axis=1)
    assert (err <= half_step(arrays["thumbs.range"])).all()
    for i, layer in enumerate(snap.layers):  # weights and biases: the exact float32 values
        assert np.array_equal(arrays[f"w{i}"], layer.weights)
        assert np.array_equal(arrays[f"b{i}"], layer.bias)
    assert msg["step"] == snap.step and msg["epoch"] == snap.epoch
    assert msg["test_loss"] == snap.test_loss and msg["train_loss"] == snap.train_loss
    assert msg["layers"] == list(info.layer_names) and msg["features"] == list(info.feature_names)
    assert np.array_equal(arrays["pts_train"], info.points_train)
    assert np.array_equal(arrays["y_train"], info.y_train.astype(np.float32))
    inputs = sample_grid(np.asarray(info.input_grids), 16)
    assert (np.abs(arrays["inputs"] - inputs).max(axis=(1, 2)) <= half_step(
        arrays["inputs.range"]
    )).all()  # fmt: skip


def test_thumbnails_are_snapshot_cells() -> None:
    grids = np.arange(2 * 100 * 100, dtype=np.float32).reshape(2, 100, 100)
    small = sample_grid(grids, 16)
    idx = ((np.arange(16) + 0.5) * 100 / 16).astype(int)
    assert small.shape == (2, 16, 16) and small[1, 3, 5] == grids[1, idx[3], idx[5]]
    assert sample_grid(grids, 200) is grids


def test_quantize_handles_nan_and_constant_grids() -> None:
    a = np.array([[[np.nan, 1.0], [2.0, 3.0]], [[5.0, 5.0], [5.0, 5.0]]], dtype=np.float32)
    codes, ranges = quantize_u8(a)
    back = dequantize_u8(codes, ranges)
    assert np.isnan(back[0, 0, 0]) and codes[0, 0, 0] == 255
    assert np.allclose(back[0].ravel()[1:], [1.0, 2.0, 3.0], atol=1e-6)
    assert np.array_equal(back[1], a[1])
    all_nan = quantize_u8(np.full((1, 2, 2), np.nan, np.float32))
    assert np.isnan(dequantize_u8(*all_nan)).all()


def test_float16_grids_round_trip(spiral) -> None:
    snap = spiral.latest()
    arrays = decode(encode(snap, spiral.info, grid_dtype="f16").data)["arrays"]
    assert arrays["grid"].dtype == np.float16
    assert np.allclose(arrays["grid"], snap.grid, atol=1e-3, rtol=1e-3)


def test_only_new_history_rows_are_sent(spiral) -> None:
    first = encode(spiral.latest(), spiral.info)
    assert first.full and first.new_rows == len(spiral.latest().history["step"])
    spiral.step(100)
    snap = spiral.latest()
    again = encode(snap, spiral.info, first.seen)
    msg = decode(again.data)
    assert not again.full and "features" not in msg and "pts_train" not in msg["arrays"]
    steps = snap.history["step"]
    new = steps > first.seen.last_step
    assert again.new_rows == int(new.sum()) > 0
    cols = [c for c in HIST_COLS if c in snap.history]
    assert msg["hist_cols"] == cols and msg["hist_after"] == first.seen.last_step
    expected = np.stack([snap.history[c][new] for c in cols], axis=1).astype(np.float32)
    assert np.array_equal(msg["arrays"]["hist"], expected)
    assert again.seen.last_step == steps[-1] == msg["hist_last"]
    nothing = encode(snap, spiral.info, again.seen)  # the same snapshot again: no rows
    assert nothing.new_rows == 0 and "hist" not in decode(nothing.data)["arrays"]
    assert len(again.data) <= BUDGET, f"{len(again.data)} bytes per update"


def test_a_new_run_or_a_step_back_resends_everything(spiral) -> None:
    snap, info = spiral.latest(), spiral.info
    seen = encode(snap, info).seen
    other = encode(snap, info, seen, run="another run")
    assert other.full and other.new_rows == len(snap.history["step"])
    assert "features" in decode(other.data)
    ahead = Seen(seen.run, seen.last_step + 1e6, seen.rows)  # the browser is ahead: a Reset
    assert encode(snap, info, ahead).full
    assert encode(snap, info, seen, full=True).full  # the browser asked to resync


def test_numbers_that_are_not_finite_become_null(spiral) -> None:
    snap = spiral.latest()
    msg = decode(encode(snap, spiral.info, Seen()).data)
    assert msg["hist_after"] is None
    fresh = msg["arrays"]["hist"]
    assert fresh.shape[1] == len(msg["hist_cols"]) and not math.isnan(fresh[-1, 0])
