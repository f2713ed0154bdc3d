"""The live view's update encoder: Snapshot + RunInfo -> one compact binary message.

Pure Python + NumPy (no Streamlit), so it is tested without a page. `decode` is the Python twin
of the JavaScript decoder in live.js: both read the same byte layout.

Byte layout (little-endian):

    0   4 bytes   magic b"NNLV"
    4   uint32    format version (VERSION)
    8   uint32    H: length of the JSON header in bytes (padded with spaces to a multiple of 4)
    12  H bytes   JSON header (UTF-8)
    12+H          blob area: each blob starts at a multiple of 4 from the blob area's start

The header's "blobs" maps a name to [offset, nbytes, dtype, shape]; dtype is "u8", "f16" or
"f32". A quantised grid "g" (u8) comes with "g.range" (f32, (n, 2): min, max of each grid):
value = min + q * (max - min) / 254, and q == 255 is NaN; the error is at most half a step.

Blobs: "grid" (K, R, R) output over the plane; "thumbs" (U, T, T) every hidden unit, layer by
layer; "w<i>" (out, in) f32 and "b<i>" (out,) f32 per trainable layer; "hist" (n, C) f32 new
history rows (columns in header "hist_cols"). Only in a full update (header "full": true, sent
on a new run or when the browser asks to resync): "inputs" (F, T, T) feature thumbnails,
"pts_train"/"pts_test" (N, 2) f32, "y_train"/"y_test" (N,) f32. Optional: "rbf" (U, 3) f32, an
rbf first layer's centres (x1, x2) and widths, when its inputs are x1 and x2.

A link message (link_message) has the header {"v", "link": url, "blobs": {}}: the browser
pulls its updates from that URL (ui/live/stream.py) instead of receiving them here.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

MAGIC = b"NNLV"
VERSION = 1
QMAX = 254  # u8 codes 0..254 are values, 255 is NaN
NAN_CODE = 255
HIST_COLS = ("step", "epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
_DTYPES = {"u8": np.uint8, "f16": np.float16, "f32": np.float32}


@dataclass(frozen=True)
class Seen:
    """What the browser has: the run it shows and the last history step it holds."""

    run: str = ""
    last_step: float = -math.inf
    rows: int = 0  # history rows it holds (for information)


@dataclass(frozen=True)
class Encoded:
    """One update: its bytes and what the browser will have once it has drawn it."""

    data: bytes
    seen: Seen
    full: bool
    new_rows: int


# ---- quantisation --------------------------------------------------------------------------


def quantize_u8(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, ...) float -> (u8 codes, (n, 2) f32 min/max per leading index); NaN -> 255."""
    a = np.asarray(a, dtype=np.float32)
    flat = a.reshape(len(a), -1)
    finite = np.isfinite(flat)
    big = np.float32(np.finfo(np.float32).max)
    lo = np.where(finite, flat, big).min(axis=1)
    hi = np.where(finite, flat, -big).max(axis=1)
    empty = ~finite.any(axis=1)
    lo[empty], hi[empty] = 0.0, 0.0
    span = np.where(hi > lo, hi - lo, 1.0).astype(np.float64)
    scaled = (flat - lo[:, None].astype(np.float64)) / span[:, None] * QMAX
    codes = np.where(finite, np.rint(np.nan_to_num(scaled)), NAN_CODE).astype(np.uint8)
    ranges = np.stack([lo, hi], axis=1).astype(np.float32)
    return codes.reshape(a.shape), ranges


def dequantize_u8(codes: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """The inverse of quantize_u8 (float32, NaN where the code is 255)."""
    c = codes.reshape(len(codes), -1).astype(np.float32)
    lo, hi = ranges[:, :1].astype(np.float32), ranges[:, 1:].astype(np.float32)
    out = lo + c * ((hi - lo) / QMAX)
    out[codes.reshape(len(codes), -1) == NAN_CODE] = np.nan
    return out.reshape(codes.shape)


def sample_grid(grids: np.ndarray, size: int) -> np.ndarray:
    """(n, R, R) -> (n, size, size): the cells nearest the centres of a size x size grid
    (exact snapshot values, no averaging); unchanged if R <= size."""
    r = grids.shape[-1]
    if r <= size:
        return grids
    idx = ((np.arange(size) + 0.5) * r / size).astype(np.int64)
    return grids[:, idx][:, :, idx]


# ---- the message ---------------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.blobs: dict[str, list[Any]] = {}
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, name: str, a: np.ndarray, dtype: str) -> None:
        raw = np.ascontiguousarray(a, dtype=_DTYPES[dtype]).astype(
            np.dtype(_DTYPES[dtype]).newbyteorder("<"), copy=False
        )
        data = raw.tobytes()
        self.blobs[name] = [self.size, len(data), dtype, list(a.shape)]
        pad = -len(data) % 4
        self.parts.append(data + b"\0" * pad)
        self.size += len(data) + pad

    def add_grid(self, name: str, a: np.ndarray, dtype: str) -> None:
        if dtype == "u8":
            codes, ranges = quantize_u8(a)
            self.add(name, codes, "u8")
            self.add(name + ".range", ranges, "f32")
        else:
            self.add(name, a, dtype)

    def pack(self, header: dict[str, Any]) -> bytes:
        header["blobs"] = self.blobs
        text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
        text += b" " * (-len(text) % 4)
        return MAGIC + struct.pack("<II", VERSION, len(text)) + text + b"".join(self.parts)


def _num(x: float) -> float | None:
    """JSON has no NaN: None instead."""
    return float(x) if x is not None and math.isfinite(x) else None


def run_token(info: Any) -> str:
    """A token for a RunInfo object (a new one is built on every build and Reset)."""
    return f"{id(info):x}"


def encode(
    snap: Any,
    info: Any,
    seen: Seen = Seen(),
    *,
    run: str | None = None,
    full: bool = False,
    thumb_res: int = 16,
    grid_res: int = 100,
    grid_dtype: str = "u8",
    view: dict[str, Any] | None = None,
) -> Encoded:
    """The update the browser needs after `seen`: everything on a new run (or `full`), else the
    snapshot's numbers, grids and weights with only the history rows newer than seen.last_step.
    `view` (JSON) goes into the header as is: display options such as show_test, discretize."""
    run = run_token(info) if run is None else run
    step_col = np.asarray(snap.history.get("step", np.zeros(0)), dtype=np.float64)
    went_back = bool(len(step_col)) and step_col[-1] < seen.last_step  # a Reset or a reload
    full = bool(full or run != seen.run or went_back)
    w = _Writer()
    header: dict[str, Any] = {
        "v": VERSION,
        "run": run,
        "full": bool(full),
        "seq": int(snap.seq),  # the last command applied: a weight edit changes it
        "step": int(snap.step),
        "epoch": int(snap.epoch),
        "status": getattr(snap.status, "value", str(snap.status)),
        "message": snap.message,
        "lr": _num(snap.lr),
        "train_loss": _num(snap.train_loss),
        "test_loss": _num(snap.test_loss),
        "train_accuracy": _num(snap.train_accuracy),
        "test_accuracy": _num(snap.test_accuracy),
        "steps_per_s": _num(snap.steps_per_s),
        "grid_bound": float(snap.grid_bound),
        "task": getattr(info.task, "value", str(info.task)),
        "n_classes": int(info.n_classes),
        "layers": [p.name for p in snap.layers] or list(info.layer_names),
        "activations": [p.activation for p in snap.layers],
        "view": view or {},
    }
    if full:
        header["features"] = list(info.feature_names)
        if info.input_grids is not None:
            w.add_grid("inputs", sample_grid(np.asarray(info.input_grids), thumb_res), grid_dtype)
        for part in ("train", "test"):
            pts = getattr(info, f"points_{part}")
            if pts is not None:
                w.add(f"pts_{part}", np.asarray(pts), "f32")
                w.add(f"y_{part}", np.asarray(getattr(info, f"y_{part}")), "f32")
    if snap.grid is not None:
        w.add_grid("grid", sample_grid(np.asarray(snap.grid), grid_res), grid_dtype)
    if snap.neuron_grids:
        thumbs = np.concatenate([sample_grid(np.asarray(g), thumb_res) for g in snap.neuron_grids])
        w.add_grid("thumbs", thumbs, grid_dtype)
    for i, layer in enumerate(snap.layers):
        if layer.weights.ndim == 2:
            w.add(f"w{i}", layer.weights, "f32")
            w.add(f"b{i}", layer.bias, "f32")
    centres = snap.extra.get("rbf_centres")
    if centres is not None:  # (U, 3) rbf units' x1, x2 and width, drawn over the plane
        w.add("rbf", np.asarray(centres), "f32")
    cols = [c for c in HIST_COLS if c in snap.history]
    keep = np.ones(len(step_col), bool) if full else step_col > seen.last_step
    rows = np.stack([np.asarray(snap.history[c])[keep] for c in cols], axis=1) if cols else None
    n_new = 0 if rows is None else len(rows)
    if n_new:
        w.add("hist", rows, "f32")
    header["hist_cols"] = cols
    header["hist_after"] = None if full else _num(seen.last_step)  # the browser checks it
    last = float(step_col[-1]) if len(step_col) else (-math.inf if full else seen.last_step)
    now = Seen(run, last, (0 if full else seen.rows) + n_new)
    header["hist_last"] = _num(now.last_step)
    return Encoded(w.pack(header), now, bool(full), n_new)


def link_message(url: str) -> bytes:
    """The message that points the browser at its frame route (ui/live/stream.py): a header
    {"v", "link"} and no blobs; the browser then pulls its updates from `url`."""
    return _Writer().pack({"v": VERSION, "link": url})


def decode(data: bytes) -> dict[str, Any]:
    """Python twin of live.js's decoder: the header dict with "arrays" (name -> ndarray, u8
    grids dequantised to float32 under their own name, their codes under "<name>.codes")."""
    if data[:4] != MAGIC:
        raise ValueError("not a live-view update")
    version, n = struct.unpack_from("<II", data, 4)
    if version != VERSION:
        raise ValueError(f"live-view update version {version}, expected {VERSION}")
    header = json.loads(data[12 : 12 + n])
    base = 12 + n
    raw: dict[str, np.ndarray] = {}
    for name, (off, nbytes, dtype, shape) in header["blobs"].items():
        dt = np.dtype(_DTYPES[dtype]).newbyteorder("<")
        raw[name] = np.frombuffer(data, dt, nbytes // dt.itemsize, base + off).reshape(shape)
    arrays = dict(raw)
    for name, a in raw.items():
        if a.dtype == np.uint8 and name + ".range" in raw:
            arrays[name + ".codes"] = a
            arrays[name] = dequantize_u8(a, raw[name + ".range"])
    header["arrays"] = arrays
    return header
