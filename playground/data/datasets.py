"""Pure generators: (config, seed) -> tensors; features; the data set of a config."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from playground.config import DataConfig, DatasetName, Task
from playground.data.csvfile import (
    MAX_CLASSES,
    MAX_CSV_BYTES,
    MAX_CSV_COLUMNS,
    load_csv,
    parse_csv_bytes,
    validate_csv_bytes,
)
from playground.data.expressions import DataError, parse_expression
from playground.data.plane import DOMAIN

__all__ = [
    "DOMAIN",
    "MAX_CLASSES",
    "MAX_CSV_BYTES",
    "MAX_CSV_COLUMNS",
    "DataError",
    "Dataset",
    "feature_matrix",
    "load_csv",
    "make_dataset",
    "parse_csv_bytes",
    "parse_expression",
    "validate_csv_bytes",
]

Points = np.ndarray  # (N, 2) float64 x1, x2
Rng = np.random.Generator
Labelled = tuple[Points, np.ndarray]  # points and their labels (N,): int64 classes or float targets
Generator2D = Callable[[Rng, int, float, int], Labelled]


@dataclass(frozen=True, eq=False)  # tensors have no single truth value: compare by identity
class Dataset:
    """A train/test split as tensors, plus the raw 2-D points for plotting."""

    X_train: torch.Tensor  # (N, F) float32, or (N, 1, 8, 8) for digits
    y_train: torch.Tensor  # (N,) int64 class index, or float32 for regression
    X_test: torch.Tensor
    y_test: torch.Tensor
    task: Task
    n_classes: int  # 0 for regression
    feature_names: tuple[str, ...]
    points_train: np.ndarray | None  # (N, 2) float32 x1, x2 of a 2-D set; None otherwise
    points_test: np.ndarray | None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example: (F,) or (1, 8, 8)."""
        return tuple(self.X_train.shape[1:])

    @property
    def is_2d(self) -> bool:
        """True for the 2-D toy sets, whose points can be drawn on the plane."""
        return self.points_train is not None


# --- the 2-D sets (TensorFlow Playground's dataset.ts; noise is a fraction 0-0.5) --------------


def _class_counts(n: int, k: int) -> np.ndarray:
    """Split n into k near-equal class sizes: (k,) int."""
    return n // k + (np.arange(k) < n % k)


def _labels(n: int, k: int) -> np.ndarray:
    return np.repeat(np.arange(k), _class_counts(n, k))  # (n,) int64, sorted


def _polar(r: np.ndarray, angle: np.ndarray) -> Points:
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)  # TFP's x = r sin, y = r cos


def _jitter_inside(rng: Rng, centres: Points, std: float) -> Points:
    """Gaussian jitter around centres, redrawn until the point lies in the domain."""
    points = centres + rng.normal(0.0, std, centres.shape)
    for _ in range(100):  # each pass keeps most of the rest; 100 passes is plenty
        outside = np.abs(points).max(axis=1) > DOMAIN
        if not outside.any():
            break
        points[outside] = centres[outside] + rng.normal(0.0, std, (int(outside.sum()), 2))
    return np.clip(points, -DOMAIN, DOMAIN)


def make_circle(rng: Rng, n: int, noise: float, k: int) -> Labelled:
    """Class 1 inside radius 2.5, class 0 in the ring 3.5-5; labels from the noisy position."""
    n_out, n_in = _class_counts(n, 2)
    r = np.concatenate([rng.uniform(3.5, 5.0, n_out), rng.uniform(0.0, 2.5, n_in)])
    points = _polar(r, rng.uniform(0.0, 2 * np.pi, n))
    noisy = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return points, (np.hypot(noisy[:, 0], noisy[:, 1]) < 2.5).astype(np.int64)


def make_xor(rng: Rng, n: int, noise: float, k: int) -> Labelled:
    """Class 1 where x1 * x2 >= 0; points kept 0.3 off the axes, half in each class."""
    u = rng.uniform(-5.0, 5.0, (n, 2))
    u += np.where(u > 0, 0.3, -0.3)
    same_sign = _labels(n, 2) == 1
    u[:, 1] = np.abs(u[:, 1]) * np.sign(u[:, 0]) * np.where(same_sign, 1.0, -1.0)
    noisy = u + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return u, (noisy[:, 0] * noisy[:, 1] >= 0).astype(np.int64)


def make_gauss(rng: Rng, n: int, noise: float, k: int) -> Labelled:
    """Class 1 around (2, 2), class 0 around (-2, -2); variance 0.5 -> 4 as noise 0 -> 0.5."""
    y = _labels(n, 2)
    centres = np.where(y[:, None] == 1, 2.0, -2.0) * np.ones((n, 2))
    return _jitter_inside(rng, centres, float(np.sqrt(0.5 + 7.0 * noise))), y


def make_spiral(rng: Rng, n: int, noise: float, k: int) -> Labelled:
    """k interleaved spiral arms; k = 2 is TensorFlow Playground's spiral."""
    y = _labels(n, k)
    counts = _class_counts(n, k)
    i = np.concatenate([np.arange(m) / m for m in counts])  # (n,) position along the arm, 0..1
    delta = np.pi + 2 * np.pi * y / k  # class 1 of 2 starts at angle 0, as TFP's positive arm
    points = _polar(i * 5.0, 1.75 * i * 2 * np.pi + delta)
    return points + rng.uniform(-1.0, 1.0, (n, 2)) * noise, y


def make_moons(rng: Rng, n: int, noise: float, k: int) -> Labelled:
    """Two interleaved half-moons (scikit-learn's shape), scaled by 3 and centred."""
    y = _labels(n, 2)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    centres = 3.0 * (np.where(y[:, None] == 1, upper, lower) - [0.5, 0.25])
    return _jitter_inside(rng, centres, 2.0 * noise), y


def make_blobs(rng: Rng, n: int, noise: float, k: int) -> Labelled:
    """k Gaussian blobs with centres evenly spaced on a circle of radius 3.5."""
    y = _labels(n, k)
    centres = _polar(np.full(n, 3.5), 2 * np.pi * y / k + np.pi / 4)
    return _jitter_inside(rng, centres, 0.6 + 3.0 * noise), y


def _noisy_plane(rng: Rng, n: int, noise: float) -> tuple[Points, Points]:
    points = rng.uniform(-DOMAIN, DOMAIN, (n, 2))
    return points, points + rng.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise


def make_reg_plane(rng: Rng, n: int, noise: float, k: int) -> Labelled:
    """Target (x1 + x2) / 12 at the noisy position, clipped to [-1, 1]."""
    points, noisy = _noisy_plane(rng, n, noise)
    return points, np.clip(noisy.sum(axis=1) / (2 * DOMAIN), -1.0, 1.0)


_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)


def make_reg_gauss(rng: Rng, n: int, noise: float, k: int) -> Labelled:
    """Six signed bumps: each is sign * max(0, 1 - distance / 2); the largest |value| wins."""
    points, noisy = _noisy_plane(rng, n, noise)
    dist = np.linalg.norm(noisy[:, None, :] - _BUMPS[None, :, :2], axis=2)  # (n, 6)
    values = _BUMPS[:, 2] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    return points, values[np.arange(n), np.abs(values).argmax(axis=1)]


GENERATORS: dict[DatasetName, Generator2D] = {
    DatasetName.CIRCLE: make_circle,
    DatasetName.XOR: make_xor,
    DatasetName.GAUSS: make_gauss,
    DatasetName.SPIRAL: make_spiral,
    DatasetName.MOONS: make_moons,
    DatasetName.BLOBS: make_blobs,
    DatasetName.REG_PLANE: make_reg_plane,
    DatasetName.REG_GAUSS: make_reg_gauss,
}

FEATURE_FUNCS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}


def feature_matrix(
    points: np.ndarray, features: Sequence[str], custom: Sequence[str]
) -> np.ndarray:
    """(N, 2) x1, x2 -> (N, F) float32: the named features in the order given, then custom ones."""
    unknown = [f for f in features if f not in FEATURE_FUNCS]
    if unknown:
        raise DataError(f"unknown feature {unknown[0]!r}; choose from {tuple(FEATURE_FUNCS)}")
    if not (features or custom):
        raise DataError("pick at least one input feature")
    x1, x2 = (np.asarray(points, np.float64)[:, j] for j in (0, 1))
    funcs = [FEATURE_FUNCS[f] for f in features] + [parse_expression(c) for c in custom]
    with np.errstate(all="ignore"):
        X = np.stack([fn(x1, x2) for fn in funcs], axis=1).astype(np.float32)
    if not np.isfinite(X).all():
        bad = (list(features) + list(custom))[int(np.argmin(np.isfinite(X).all(axis=0)))]
        raise DataError(f"feature {bad!r} is not finite at some of the points")
    return X


# --- the dataset of a config --------------------------------------------------------------------


def _rng(seed: int, stream: int) -> Rng:
    return np.random.default_rng([seed % 2**64, stream])  # independent streams per purpose


def _digits(rng: Rng, n: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    digits = load_digits()
    keep = rng.permutation(len(digits.target))[: min(n, len(digits.target))]
    X = (digits.images[keep] / 16.0).astype(np.float32)[:, None]  # (n, 1, 8, 8) in [0, 1]
    names = tuple(f"pixel_{r}_{c}" for r in range(8) for c in range(8))
    return X, digits.target[keep].astype(np.int64), names


def _standardise(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z-score both with the train set's mean and std (a constant column gets std 1)."""
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return ((X_train - mean) / std).astype(np.float32), ((X_test - mean) / std).astype(np.float32)


def _arrays(cfg: DataConfig) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], Points | None]:
    """The whole data set before the split: X, y, feature names, float32 points or None."""
    if cfg.name == DatasetName.DIGITS:
        return (*_digits(_rng(cfg.seed, 0), cfg.n_samples), None)
    if cfg.name == DatasetName.CSV:
        return (*load_csv(cfg.csv_path, cfg.csv_target, cfg.csv_task), None)
    generate = GENERATORS[cfg.name]
    raw, y = generate(_rng(cfg.seed, 0), cfg.n_samples, cfg.noise / 100, cfg.n_classes)
    points = raw.astype(np.float32)  # (N, 2); the features are computed from these exact values
    X = feature_matrix(points, cfg.features, cfg.custom_features)
    return X, y, (*cfg.features, *cfg.custom_features), points


def make_dataset(cfg: DataConfig) -> Dataset:
    """Build the config's data and split it; the same config (seed included) gives the same data."""
    X, y, names, points = _arrays(cfg)
    perm = _rng(cfg.seed, 1).permutation(len(y))
    n_train = min(max(round(cfg.train_ratio * len(y)), 1), len(y) - 1)
    train, test = perm[:n_train], perm[n_train:]
    X_train, X_test = X[train], X[test]
    if cfg.name == DatasetName.CSV:
        X_train, X_test = _standardise(X_train, X_test)
    n_classes = cfg.num_classes
    if cfg.task == Task.REGRESSION:
        y = y.astype(np.float32)
    elif cfg.name == DatasetName.CSV:
        n_classes = int(y.max()) + 1  # the classes found in the file
    return Dataset(
        X_train=torch.from_numpy(np.ascontiguousarray(X_train)),
        y_train=torch.from_numpy(y[train]),
        X_test=torch.from_numpy(np.ascontiguousarray(X_test)),
        y_test=torch.from_numpy(y[test]),
        task=cfg.task,
        n_classes=n_classes,
        feature_names=tuple(names),
        points_train=None if points is None else points[train],
        points_test=None if points is None else points[test],
    )
