"""Small raster previews of the 2-D datasets for the dataset picker."""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.config import DataConfig, DatasetName
from playground.data.datasets import DOMAIN, make_dataset
from playground.figures.theme import CLASS_COLORS

_SIZE = 64


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)


def preview(name: str, n_classes: int = 2) -> np.ndarray:
    """(64, 64, 3) uint8 image: the set's points as coloured pixels on white."""
    cfg = DataConfig(name=DatasetName(name), n_samples=400, n_classes=n_classes)
    d = make_dataset(cfg)
    pts = np.concatenate([d.points_train, d.points_test])
    y = np.concatenate([d.y_train.numpy(), d.y_test.numpy()])
    img = np.full((_SIZE, _SIZE, 3), 255, dtype=np.uint8)
    ij = np.clip(((pts + DOMAIN) / (2 * DOMAIN) * _SIZE).astype(int), 0, _SIZE - 1)
    if d.task.value == "regression":  # target in [-1, 1] -> orange..blue
        t = ((y + 1) / 2).clip(0, 1)[:, None]
        colours = (1 - t) * _rgb(CLASS_COLORS[0]) + t * _rgb(CLASS_COLORS[1])
    else:
        colours = np.stack([_rgb(CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for c in y])
    img[_SIZE - 1 - ij[:, 1], ij[:, 0]] = colours.astype(np.uint8)
    return img


@st.cache_data(show_spinner=False)
def dataset_previews() -> dict[str, np.ndarray]:
    """Preview images of every 2-D set, by name."""
    names = ["circle", "xor", "gauss", "spiral", "moons", "blobs", "reg-plane", "reg-gauss"]
    return {n: preview(n, 3 if n == "blobs" else 2) for n in names}
