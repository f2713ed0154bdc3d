"""Experiment files (.nnpg): config, weights and history in one safetensors file; run folders."""

from __future__ import annotations

import csv
import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import load_file
from safetensors.torch import save as save_tensors

from playground.config import DATA_SHAPES, ConfigError, DatasetName, RunConfig, Task
from playground.model import build_model, output_head

FORMAT = "nn-playground-experiment"
VERSION = "1"
SUFFIX = ".nnpg"
HISTORY_PREFIX = "history/"
MAX_BYTES = 256 * 2**20  # far above the largest allowed model (2 M parameters) and its history
_HEADER_MAX = 16 * 2**20  # a safetensors header bigger than this is not one of ours


class ExperimentError(ValueError):
    """An experiment file cannot be read; the message says why, in one line."""


@dataclass(frozen=True)
class Experiment:
    """What an experiment file holds."""

    cfg: RunConfig
    state_dict: dict[str, torch.Tensor]
    history: dict[str, np.ndarray]  # column -> (T,) float64
    step: int
    epoch: int
