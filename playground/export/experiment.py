"""Experiment files (.nnpg): config, weights and history in one safetensors file; run folders."""

from __future__ import annotations

import csv
import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import load_file
from safetensors.torch import save as save_tensors

from playground.config import ConfigError, DatasetName, RunConfig, Task
from playground.nn.model import build_model, output_head

if TYPE_CHECKING:
    from playground.train.trainer import Trainer

FORMAT = "nn-playground-experiment"
VERSION = "1"
SUFFIX = ".nnpg"
HISTORY_PREFIX = "history/"
MAX_BYTES = 256 * 2**20  # far above the largest allowed model (2 M parameters) and its history
_MAX_HEADER = 16 * 2**20  # a safetensors header larger than this is not one of ours
_LOAD_ERRORS = (SafetensorError, ValueError, RuntimeError, TypeError, KeyError, OverflowError)


class ExperimentError(ValueError):
    """An experiment file cannot be used; the message says why, in one line."""


@dataclass(frozen=True)
class Experiment:
    """What an experiment file holds."""

    cfg: RunConfig
    state_dict: dict[str, torch.Tensor]  # the model's weights, in the model's key order
    history: dict[str, np.ndarray]  # column -> (T,) float64, as Snapshot.history
    step: int
    epoch: int


# --- writing ------------------------------------------------------------------------------------


def experiment_bytes(
    cfg: RunConfig,
    state_dict: dict[str, torch.Tensor],
    history: dict[str, np.ndarray],
    step: int,
    epoch: int,
) -> bytes:
    """The experiment as safetensors bytes: weights, history/<column> arrays, and metadata."""
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in state_dict.items()}
    for column, values in history.items():
        tensors[HISTORY_PREFIX + column] = torch.from_numpy(np.array(values, np.float64))
    metadata = {
        "format": FORMAT,
        "version": VERSION,
        "config": cfg.to_json(indent=None),
        "step": str(int(step)),
        "epoch": str(int(epoch)),
    }
    return save_tensors(tensors, metadata=metadata)


def save_experiment(
    path: str | Path,
    cfg: RunConfig,
    state_dict: dict[str, torch.Tensor],
    history: dict[str, np.ndarray],
    step: int,
    epoch: int,
) -> None:
    """Write one experiment file (.nnpg)."""
    Path(path).write_bytes(experiment_bytes(cfg, state_dict, history, step, epoch))


def experiment_from_trainer(trainer: Trainer) -> bytes:
    """A trainer's config, weights and history as experiment bytes (pause it first for a
    snapshot and weights from the same step)."""
    state = trainer.ask("weights")
    snap = trainer.latest()
    return experiment_bytes(trainer.cfg, state, snap.history, snap.step, snap.epoch)


# --- reading ------------------------------------------------------------------------------------


def load_experiment(source: str | Path | bytes) -> Experiment:
    """Read and check an experiment file (a path, or its bytes); never unpickles anything.

    Raises ExperimentError with a one-line message for a missing, empty, truncated, corrupted or
    foreign file, an invalid config, or weights that do not fit the config's model or are not
    all finite.
    """
    data = bytes(source) if isinstance(source, (bytes, bytearray, memoryview)) else _read(source)
    meta = _metadata(data)
    try:
        tensors = load_tensors(data)
    except _LOAD_ERRORS as e:
        raise ExperimentError(f"the experiment file is corrupted ({_first_line(e)})") from None
    cfg = _config(meta.get("config"))
    n = len(HISTORY_PREFIX)
    history = {k[n:]: v.numpy() for k, v in tensors.items() if k.startswith(HISTORY_PREFIX)}
    _check_history(history)
    state = {k: v for k, v in tensors.items() if not k.startswith(HISTORY_PREFIX)}
    state = check_state_dict(cfg, state)
    return Experiment(cfg, state, history, _whole(meta, "step"), _whole(meta, "epoch"))


def _read(path: str | Path) -> bytes:
    p = Path(path)
    try:
        if not p.is_file():
            what = "is not a file" if p.exists() else "does not exist"
            raise ExperimentError(f"experiment file {str(p)!r} {what}")
        if p.stat().st_size > MAX_BYTES:
            raise ExperimentError(f"{str(p)!r} is too large to be an experiment file")
        return p.read_bytes()
    except OSError as e:
        raise ExperimentError(f"cannot read {str(p)!r}: {e.strerror or e}") from None


def _metadata(data: bytes) -> dict[str, str]:
    """Check the safetensors frame and our format tag; returns the metadata."""
    if not data:
        raise ExperimentError("the experiment file is empty")
    (n,) = struct.unpack("<Q", data[:8]) if len(data) >= 8 else (0,)
    if len(data) < 9 or data[8:9] != b"{" or n > _MAX_HEADER:
        raise ExperimentError(f"not an experiment file: {_sniff(data)}")
    if 8 + n > len(data):
        raise ExperimentError(f"the experiment file is truncated ({len(data)} bytes)")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ExperimentError("the experiment file is corrupted (its header is not JSON)") from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ExperimentError(
            f"not an experiment file: a safetensors file without the {FORMAT!r} tag"
            " (for a model.safetensors written by `train --out`, use `export --run DIR`)"
        )
    if meta.get("version") != VERSION:
        raise ExperimentError(
            f"experiment file version {meta.get('version')!r} is not supported (only {VERSION})"
        )
    if 8 + n + _data_size(header) > len(data):
        raise ExperimentError(f"the experiment file is truncated ({len(data)} bytes)")
    return meta


def _data_size(header: dict[str, Any]) -> int:
    """Bytes of tensor data the header announces (0 if malformed: safetensors then refuses it)."""
    try:
        return max((int(t["data_offsets"][1]) for k, t in header.items() if k != "__metadata__"),
                   default=0)  # fmt: skip
    except (TypeError, KeyError, IndexError, ValueError):
        return 0


def _sniff(data: bytes) -> str:
    """What a foreign file looks like, for the error message."""
    head = data[:16].lstrip()
    if data.startswith(b"PK\x03\x04"):
        return "it is a ZIP archive (PyTorch .pt files are; they are never unpickled here)"
    if data[:1] == b"\x80":
        return "it is a Python pickle, which is never loaded (unpickling can run code)"
    if head[:1] in (b"{", b"["):
        return "it is JSON text (a config? pass it with --config)"
    return "it does not start with a safetensors header"


def _config(text: Any) -> RunConfig:
    if not isinstance(text, str):
        raise ExperimentError("the experiment file holds no config")
    try:
        return RunConfig.from_json(text)
    except ConfigError as e:
        raise ExperimentError(f"the experiment's config is invalid: {e}") from None


def _whole(meta: dict[str, str], key: str) -> int:
    value = meta.get(key, "")
    if not (isinstance(value, str) and value.isdigit()):
        raise ExperimentError(f"the experiment's {key} is not a whole number: {value!r}")
    return int(value)


def _check_history(history: dict[str, np.ndarray]) -> None:
    lengths = {v.shape[0] if v.ndim == 1 else -1 for v in history.values()}
    if any(v.dtype != np.float64 for v in history.values()) or -1 in lengths or len(lengths) > 1:
        raise ExperimentError("the experiment's history is malformed (columns must be float64 "
                              "arrays of one length)")  # fmt: skip


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


# --- weights against the config -----------------------------------------------------------------


def model_input(cfg: RunConfig, state: dict[str, torch.Tensor]) -> tuple[tuple[int, ...], int]:
    """(one example's input shape, number of classes) of the config's model.

    A CSV file need not be present: its input width and classes are read off the weights.
    """
    d = cfg.data
    if d.name == DatasetName.DIGITS:
        return (1, 8, 8), 10
    if d.name != DatasetName.CSV:
        return (len(d.features) + len(d.custom_features),), d.num_classes
    weights = sorted((k for k in state if k.endswith(".weight")), key=_layer_order)
    ordered = [state[k] for k in weights if state[k].ndim >= 1]  # Linear (out, in), norms (F,)
    if not ordered:
        raise ExperimentError("the experiment holds no weights")
    first, last = ordered[0], [t for t in ordered if t.ndim == 2] or ordered
    units = int(last[-1].shape[0])
    if d.task == Task.REGRESSION:
        return (int(first.shape[-1]),), 0
    return (int(first.shape[-1]),), 2 if units == 1 else units


def _layer_order(key: str) -> tuple[int, str]:
    index = key.split(".", 1)[0]
    return (int(index) if index.isdigit() else 10**9, key)


def check_state_dict(cfg: RunConfig, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The weights in the model's key order; ExperimentError if they do not fit cfg's model or
    any of them is NaN or infinite (the message names the tensor)."""
    shape, n_classes = model_input(cfg, state)
    try:
        model = build_model(cfg.model, shape, output_head(cfg, n_classes), cfg.train.seed)
    except ConfigError as e:
        raise ExperimentError(f"the experiment's model cannot be built: {e}") from None
    expected = model.state_dict()
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        raise ExperimentError(
            f"the weights do not fit the config's model (missing {missing[:4]}, "
            f"unexpected {extra[:4]})"
        )
    for key, want in expected.items():
        got = state[key]
        if got.shape != want.shape or got.dtype != want.dtype:
            raise ExperimentError(
                f"the weights do not fit the config's model: {key} is {got.dtype} "
                f"{tuple(got.shape)}, the model needs {want.dtype} {tuple(want.shape)}"
            )
        if got.is_floating_point() and not bool(torch.isfinite(got).all()):
            bad = int((~torch.isfinite(got)).sum())
            raise ExperimentError(
                f"the weights are not all finite: {key} holds {bad} NaN or infinite "
                f"value{'' if bad == 1 else 's'} (of {got.numel()})"
            )
    return {key: state[key] for key in expected}


# --- run folders (written by `python -m playground train --out DIR`) ---------------------------


def load_run(run_dir: str | Path) -> Experiment:
    """A run folder's config.json, model.safetensors and history.csv (if present), checked."""
    folder = Path(run_dir)
    try:
        text = (folder / "config.json").read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise ExperimentError(f"--run: cannot read {str(folder / 'config.json')!r} ({e})") from None
    cfg = _config(text)
    try:
        state = load_file(str(folder / "model.safetensors"))
    except (OSError, *_LOAD_ERRORS) as e:
        where = str(folder / "model.safetensors")
        raise ExperimentError(f"--run: cannot read {where!r} ({_first_line(e)})") from None
    history = read_history_csv(folder / "history.csv") if (folder / "history.csv").exists() else {}
    step, epoch = (_last(history, "step"), _last(history, "epoch"))
    return Experiment(cfg, check_state_dict(cfg, state), history, step, epoch)


def read_history_csv(path: str | Path) -> dict[str, np.ndarray]:
    """history.csv as written by headless.write_history_csv: column -> (T,) float64."""
    try:
        with open(path, newline="") as f:
            header, *rows = list(csv.reader(f))
        return {
            c: np.array([float(r[i]) if r[i] else math.nan for r in rows], np.float64)
            for i, c in enumerate(header)
        }
    except (OSError, ValueError, IndexError) as e:
        raise ExperimentError(f"cannot read history {str(path)!r} ({_first_line(e)})") from None


def _last(history: dict[str, np.ndarray], column: str) -> int:
    values = history.get(column)
    return int(values[-1]) if values is not None and len(values) else 0
