"""Autoencoder probes: the examples shown, the PCA baseline, the latent grid and its extent."""

from __future__ import annotations

import numpy as np

GRID_PAD = 0.05  # the grid spans the latent points' range, widened by this share each side


def shown_examples(y: np.ndarray, n_classes: int, per_class: int = 1) -> np.ndarray:
    """Test indices to show: the first example of each class (the first 10 without classes)."""
    if n_classes <= 0:
        return np.arange(min(10, len(y)))
    idx = [np.flatnonzero(y == c)[:per_class] for c in range(n_classes)]
    return np.concatenate(idx).astype(np.int64)


def pca_mse(X_train: np.ndarray, X_test: np.ndarray, k: int) -> float:
    """Test MSE per value of the best rank-k linear reconstruction fitted on the train set."""
    A, B = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    mean = A.mean(axis=0)
    _, _, vt = np.linalg.svd(A - mean, full_matrices=False)
    V = vt[:k].T  # (D, k)
    return float((((B - mean) @ V @ V.T + mean - B) ** 2).mean())


def latent_extent(z: np.ndarray) -> np.ndarray:
    """(4,) lo1, hi1, lo2, hi2: the range of the first two latent columns, padded (a 1-D latent
    gets a second range of [-1, 1])."""
    cols = [z[:, 0], z[:, 1] if z.shape[1] > 1 else np.array([-1.0, 1.0])]
    out = []
    for c in cols:
        lo, hi = float(np.min(c)), float(np.max(c))
        pad = max(hi - lo, 1e-3) * GRID_PAD
        out += [lo - pad, hi + pad]
    return np.asarray(out, dtype=np.float32)


def grid_latents(extent: np.ndarray, side: int, centre: np.ndarray) -> np.ndarray:
    """(side*side, L) latent points: the first two dimensions over the extent, row-major from
    the top row (highest z2) with z1 growing along a row; any others held at `centre`.
    A 1-D latent gives (side, 1) points along z1."""
    z1 = np.linspace(extent[0], extent[1], side)
    if len(centre) == 1:
        return z1[:, None].astype(np.float32)
    z2 = np.linspace(extent[3], extent[2], side)  # top row first
    zz1, zz2 = np.meshgrid(z1, z2)
    out = np.tile(centre.astype(np.float32), (side * side, 1))
    out[:, 0], out[:, 1] = zz1.ravel(), zz2.ravel()
    return out
