"""Tests for explain.image_probes: confusion matrix, probabilities, filters, feature maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from torch import nn

from playground.explain.image_probes import (
    cell_examples,
    confusion_matrix,
    conv_filters,
    feature_maps,
    per_class_accuracy,
    predict_proba,
)


def _cnn(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1),  # no activation right after: the raw conv output
        nn.AvgPool2d(2),
        nn.Tanh(),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(6 * 4, 10),
    )


def _labels(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 10, n)
    y_pred = np.where(rng.random(n) < 0.7, y_true, rng.integers(0, 10, n))
    return y_true, y_pred


def test_confusion_matrix_matches_sklearn_and_loops() -> None:
    y_true, y_pred = _labels()
    cm = confusion_matrix(y_true, y_pred, 10)
    np.testing.assert_array_equal(cm, sk_confusion_matrix(y_true, y_pred, labels=range(10)))
    loops = np.zeros((10, 10), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        loops[t, p] += 1
    np.testing.assert_array_equal(cm, loops)


def test_per_class_accuracy_and_cell_examples() -> None:
    y_true, y_pred = _labels()
    acc = per_class_accuracy(confusion_matrix(y_true, y_pred, 10))
    expected = [np.mean(y_pred[y_true == c] == c) for c in range(10)]
    np.testing.assert_allclose(acc, expected)
    for t, p in [(3, 3), (3, 5), (0, 9)]:
        idx = cell_examples(y_true, y_pred, t, p)
        assert np.all(y_true[idx] == t) and np.all(y_pred[idx] == p)
        assert len(idx) == confusion_matrix(y_true, y_pred, 10)[t, p]
    assert np.isnan(per_class_accuracy(confusion_matrix([0, 0], [0, 1], 3))[2])


def test_predict_proba_is_batched_softmax_in_eval_mode() -> None:
    model = _cnn().train()
    X = torch.rand(23, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    p = predict_proba(model, X, batch_size=5)
    assert p.shape == (23, 10) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    model.eval()
    with torch.no_grad():
        expected = torch.softmax(model(X), dim=1).numpy()
    model.train()
    np.testing.assert_allclose(p, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(predict_proba(model, X.numpy()), p, rtol=1e-5, atol=1e-7)
    assert all(m.training for m in model.modules())


def _manual_maps(model: nn.Sequential, x: torch.Tensor) -> list[np.ndarray]:
    """Forward through model[: i + 1] for each recorded layer index (a hook-free oracle)."""
    with torch.no_grad():
        return [model[: i + 1](x)[0].numpy() for i in (1, 2, 3, 4)]


@pytest.mark.parametrize("as_batch", [True, False])
def test_feature_maps_equal_manual_forward_and_hooks_are_removed(as_batch: bool) -> None:
    model = _cnn().eval()
    x = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    maps = feature_maps(model, x if as_batch else x[0].numpy())
    names = [name for name, _ in maps]
    assert names == [
        "conv 1 (4 channels)",
        "pool 1 (4 channels)",
        "conv 2 (6 channels)",
        "pool 2 (6 channels)",
    ]
    for (_, got), want in zip(maps, _manual_maps(model, x), strict=True):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert [a.shape for _, a in maps] == [(4, 8, 8), (4, 4, 4), (6, 4, 4), (6, 2, 2)]
    assert all(not m._forward_hooks for m in model.modules())


def test_feature_maps_removes_hooks_on_error_and_restores_mode() -> None:
    model = _cnn().train()
    with pytest.raises(RuntimeError):
        feature_maps(model, torch.zeros(1, 3, 8, 8))  # wrong channel count
    assert all(not m._forward_hooks for m in model.modules())
    assert all(m.training for m in model.modules())


def test_conv_filters_are_copies_of_the_weights() -> None:
    model = _cnn()
    filters = conv_filters(model)
    assert [f.shape for f in filters] == [(4, 1, 3, 3), (6, 4, 3, 3)]
    np.testing.assert_array_equal(filters[1], model[3].weight.detach().numpy())
    filters[0][:] = 0.0
    assert model[0].weight.abs().sum() > 0
    assert conv_filters(nn.Sequential(nn.Flatten(), nn.Linear(64, 10))) == []
