"""Image-model probes: probabilities, confusion matrix, conv filters and feature maps."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from playground.nn.modes import eval_mode

_ACTIVATION_MODULES = ("torch.nn.modules.activation",)


def predict_proba(model: nn.Module, X: Tensor | np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Softmax of the model's logits for X (N, ...) -> (N, C) float32, in eval mode, no grad."""
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, Tensor) else X, dtype=torch.float32)
    parts = []
    with eval_mode(model), torch.no_grad():
        for start in range(0, len(X), batch_size):
            logits = model(X[start : start + batch_size].to(device))  # (B, C)
            parts.append(torch.softmax(logits.float(), dim=1).cpu().numpy())
    if not parts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(parts).astype(np.float32)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (C, C) int64: rows are true classes, columns predicted classes."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return cm


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Recall of each class (C,) from a confusion matrix (C, C); NaN for an empty class."""
    totals = cm.sum(axis=1).astype(np.float64)  # (C,)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / totals, np.nan)


def cell_examples(
    y_true: np.ndarray, y_pred: np.ndarray, true_class: int, pred_class: int
) -> np.ndarray:
    """Indices (K,) of the examples of class `true_class` predicted as `pred_class`."""
    return np.flatnonzero((np.asarray(y_true) == true_class) & (np.asarray(y_pred) == pred_class))


def is_activation(module: nn.Module) -> bool:
    """True for an elementwise activation module (ReLU, Tanh, ..., or Identity for "linear")."""
    return isinstance(module, nn.Identity) or type(module).__module__ in _ACTIVATION_MODULES


def is_pooling(module: nn.Module) -> bool:
    """True for a pooling module (MaxPool2d, AvgPool2d, adaptive pools)."""
    return type(module).__module__ == "torch.nn.modules.pooling"


def _probe_points(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module whose output to record) for every conv (after its activation) and pool."""
    children = list(model.children())
    points: list[tuple[str, nn.Module]] = []
    n_conv = n_pool = 0
    for i, module in enumerate(children):
        if isinstance(module, nn.Conv2d):
            n_conv += 1
            following = children[i + 1] if i + 1 < len(children) else None
            recorded = following if following is not None and is_activation(following) else module
            points.append((f"conv {n_conv} ({module.out_channels} channels)", recorded))
        elif is_pooling(module):
            n_pool += 1
            points.append((f"pool {n_pool}", module))
    return points


def feature_maps(model: nn.Module, x: Tensor | np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Output of every conv (after its activation) and pooling layer for one example.

    x is (1, C, H, W) or (C, H, W); returns [(name, array (C', H', W') float32), ...] in order.
    Uses forward hooks that are always removed; the model's train/eval flags are restored.
    """
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x, dtype=torch.float32)
    x = x.unsqueeze(0) if x.dim() == 3 else x  # (1, C, H, W)
    param = next(model.parameters(), None)
    x = x.to(param.device) if param is not None else x
    points = _probe_points(model)
    outputs: dict[int, Tensor] = {}

    def record(i: int) -> Callable[..., None]:
        return lambda _m, _inp, out: outputs.__setitem__(i, out.detach())

    handles = [m.register_forward_hook(record(i)) for i, (_, m) in enumerate(points)]
    try:
        with eval_mode(model), torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return [
        (_named(name, outputs[i]), _to_numpy(outputs[i][0])) for i, (name, _) in enumerate(points)
    ]


def conv_filters(model: nn.Module) -> list[np.ndarray]:
    """Copied weights of every Conv2d, in order, each (out_channels, in_channels, k, k) float32."""
    return [
        m.weight.detach().cpu().numpy().astype(np.float32).copy()
        for m in model.modules()
        if isinstance(m, nn.Conv2d)
    ]


def _named(name: str, out: Tensor) -> str:
    return name if name.startswith("conv") else f"{name} ({out.shape[1]} channels)"


def _to_numpy(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32).copy()
