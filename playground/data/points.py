"""Unlabelled 2-D point sets a GAN learns (ring, moons, line, drawn points), and mode coverage.

Every set lives in the plane [-DOMAIN, DOMAIN]^2 and is seeded by the data config. The ring and
a drawn set are mixtures of Gaussians: their modes (centres) and spread are known, so a
generator's mode coverage can be measured; moons and the line have no modes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.choices import DatasetName
from playground.config import ConfigError, DataConfig
from playground.data.datasets import make_moons
from playground.data.plane import DOMAIN
from playground.settings.gan import check_points

RING_MODES = 8
RING_RADIUS = 4.0
RING_SIGMA = 0.25  # each ring mode's standard deviation
POINT_SIGMA = 0.2  # spread of the Gaussian around each drawn point
LINE_ENDS = ((-4.0, -2.0), (4.0, 2.0))  # the segment the line set is spread along
LINE_SIGMA = 0.1
COVER_SIGMAS = 3.0  # a sample within 3 sigma of a mode's centre belongs to that mode


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare by identity
class PointSet:
    """Real points split into train and test, plus the modes they were drawn around."""

    train: np.ndarray  # (N, 2) float32
    test: np.ndarray  # (M, 2) float32
    centres: np.ndarray  # (K, 2) float32 mode centres; (0, 2) for sets without modes
    sigma: float  # each mode's standard deviation (0 without modes)


def ring_centres(modes: int = RING_MODES, radius: float = RING_RADIUS) -> np.ndarray:
    """(modes, 2) centres evenly spaced on a circle, the first at angle 0."""
    angle = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def _mixture(rng: np.random.Generator, centres: np.ndarray, n: int, sigma: float) -> np.ndarray:
    """n points: a uniformly chosen centre plus N(0, sigma^2 I) each."""
    pick = rng.integers(0, len(centres), n)
    return centres[pick] + rng.normal(0.0, sigma, (n, 2))


def _line(rng: np.random.Generator, n: int) -> np.ndarray:
    (a, b) = np.asarray(LINE_ENDS)
    t = rng.uniform(0.0, 1.0, (n, 1))
    return a + t * (b - a) + rng.normal(0.0, LINE_SIGMA, (n, 2))


def make_points(cfg: DataConfig, points: tuple[tuple[float, float], ...] = ()) -> PointSet:
    """The config's point set, split by train_ratio; the same config gives the same points.

    Args:
        points: the drawn modes, for cfg.name "points" (RunConfig.gan.points).
    """
    rng = np.random.default_rng([cfg.seed, 2])
    n, centres, sigma = cfg.n_samples, np.zeros((0, 2)), 0.0
    if cfg.name == DatasetName.RING:
        centres, sigma = ring_centres(), RING_SIGMA
        X = _mixture(rng, centres, n, sigma)
    elif cfg.name == DatasetName.POINTS:
        if not points:
            raise ConfigError("gan.points: data.name 'points' needs at least one point")
        centres, sigma = np.asarray(points, np.float64), POINT_SIGMA
        X = _mixture(rng, centres, n, sigma)
    elif cfg.name == DatasetName.LINE:
        X = _line(rng, n)
    elif cfg.name == DatasetName.MOONS:
        X = make_moons(rng, n, max(cfg.noise / 100, 0.05), 2)[0]  # a little noise: an area
    else:
        raise ConfigError(f"data.name: {cfg.name.value!r} is not a point set")
    X = np.clip(X, -DOMAIN, DOMAIN).astype(np.float32)
    n_train = min(max(round(cfg.train_ratio * n), 1), n - 1)
    return PointSet(X[:n_train], X[n_train:], centres.astype(np.float32), sigma)


def parse_points(text: str) -> tuple[tuple[float, float], ...]:
    """Points typed one per line as "x1, x2" (blank lines skipped); ConfigError naming the line."""
    out: list[tuple[float, float]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace(";", ",").split(",")]
        try:
            x1, x2 = (float(p) for p in parts)
        except ValueError:
            raise ConfigError(
                f"gan.points[{len(out)}]: line {line_no} {line.strip()!r} is not two numbers "
                "'x1, x2'"
            ) from None
        out.append((x1, x2))
    result = tuple(out)
    check_points(result)
    return result


def mode_counts(samples: np.ndarray, centres: np.ndarray, sigma: float) -> np.ndarray:
    """(K,) how many samples (N, 2) lie within COVER_SIGMAS * sigma of each centre (K, 2).

    A sample near two centres counts for the nearer one.
    """
    if len(centres) == 0:
        return np.zeros(0, np.int64)
    dist = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)  # (N, K)
    nearest = dist.argmin(axis=1)
    near = dist[np.arange(len(samples)), nearest] <= COVER_SIGMAS * sigma
    return np.bincount(nearest[near], minlength=len(centres))


def covered_modes(counts: np.ndarray, n_samples: int) -> np.ndarray:
    """(K,) bool: a mode is covered when at least 1 / (4 K) of the samples are within its
    COVER_SIGMAS sigma (a quarter of its fair share)."""
    k = len(counts)
    return counts >= n_samples / (4 * k) if k else np.zeros(0, bool)
