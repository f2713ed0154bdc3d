"""The autoencoder presets reach their claims headless: ae-digits reconstructs the test digits
better than PCA with 2 components (computed here with NumPy's SVD), vae-digits reports its test
MSE and KL (slow: each trains about 20 s)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from playground.data.datasets import make_dataset
from playground.presets import get_preset
from tests.browser_harness import REPO_ROOT


def pca_test_mse(name: str, k: int = 2) -> float:
    """MSE per pixel of the test digits projected on the train set's top-k principal axes."""
    data = make_dataset(get_preset(name).data)
    A = data.X_train.numpy().reshape(len(data.X_train), -1).astype(np.float64)
    B = data.X_test.numpy().reshape(len(data.X_test), -1).astype(np.float64)
    mean = A.mean(axis=0)
    _, _, vt = np.linalg.svd(A - mean, full_matrices=False)
    P = vt[:k].T @ vt[:k]  # (D, D) projection onto the first k principal axes
    return float(np.mean(((B - mean) @ P + mean - B) ** 2))


def run_preset(name: str) -> dict:
    """`python -m playground train --preset NAME --quiet`: its last JSON line."""
    cmd = [sys.executable, "-m", "playground", "train", "--preset", name, "--quiet"]
    out = subprocess.run(
        cmd, check=False, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(name, json.dumps(result))  # shown with -s
    assert result["status"] == "done", result["message"]
    return result


@pytest.mark.slow
def test_ae_digits_reconstructs_better_than_pca_with_two_components() -> None:
    result = run_preset("ae-digits")
    pca = pca_test_mse("ae-digits")
    assert result["pca_mse"] == pytest.approx(pca, rel=1e-4)
    assert result["test_mse"] == pytest.approx(result["test_loss"])
    assert result["test_mse"] < pca, f"test MSE {result['test_mse']} not below PCA's {pca}"


@pytest.mark.slow
def test_vae_digits_reports_its_test_mse_and_kl() -> None:
    result = run_preset("vae-digits")
    data = make_dataset(get_preset("vae-digits").data)
    variance = float(data.X_test.reshape(len(data.X_test), -1).var(dim=0).mean())
    assert 0 < result["test_mse"] < variance  # better than drawing every digit as the mean one
    assert math.isfinite(result["test_kl"]) and result["test_kl"] > 0
    assert result["pca_mse"] == pytest.approx(pca_test_mse("vae-digits"), rel=1e-4)
