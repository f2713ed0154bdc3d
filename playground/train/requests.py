"""On-demand requests a supervised learner answers between two steps (its model, its thread)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from playground.explain import image_probes, saliency
from playground.explain.backprop import spec_from_model
from playground.train.learner import RequestError
from playground.train.runinfo import frozen

if TYPE_CHECKING:
    from playground.train.supervised import SupervisedLearner

BACKPROP_LOSSES = {
    "mse": "mse",
    "square": "half_sse",
    "bce": "bce",
    "cross_entropy": "cross_entropy",
}


def _input(learner: SupervisedLearner, x: Any, batch: bool) -> torch.Tensor:
    """x as a float32 tensor of the model's input shape: (N, *shape), or one example."""
    t = torch.from_numpy(np.array(x, dtype=np.float32))  # a private, writable copy
    shape = tuple(learner.info.input_shape)
    if tuple(t.shape[1 if batch else 0 :]) != shape:
        what = "(N, " + ", ".join(map(str, shape)) + ")" if batch else str(shape)
        raise RequestError(f"input of shape {tuple(t.shape)}, expected {what}")
    return t if batch else t[None]


def predict_proba(learner: SupervisedLearner, x: Any) -> np.ndarray:
    """(N, K) class probabilities of x (N, *input_shape)."""
    return frozen(image_probes.predict_proba(learner.model, _input(learner, x, batch=True)))


def feature_maps(learner: SupervisedLearner, x: Any) -> list[tuple[str, np.ndarray]]:
    """Each layer's output on one example x (*input_shape)."""
    maps = image_probes.feature_maps(learner.model, _input(learner, x, batch=False)[0])
    return [(name, frozen(a)) for name, a in maps]


def saliency_maps(
    learner: SupervisedLearner,
    x: Any,
    target: int = -1,
    methods: tuple[str, ...] = (),
    options: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Attribution maps of one example by each method (target -1: the predicted class)."""
    xt = _input(learner, x, batch=False)  # (1, *shape)
    probs = image_probes.predict_proba(learner.model, xt)[0]  # (K,)
    target = int(np.argmax(probs)) if target < 0 else int(target)
    if not 0 <= target < len(probs):
        raise RequestError(f"target class {target} does not exist (0..{len(probs) - 1})")
    maps, errors = {}, []
    for name in methods:
        try:
            opts = (options or {}).get(name, {})
            maps[name] = frozen(saliency.attribute(learner.model, xt, target, name, **opts)[0, 0])
        except (ValueError, RuntimeError) as e:
            errors.append(f"{name}: {e}")
    return {"maps": maps, "errors": errors, "probs": frozen(probs), "target": target,
            "step": learner.step_count}  # fmt: skip


def input_gradient(
    learner: SupervisedLearner, axis: Any, output_index: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """d output / d (x1, x2) over the grid axis x axis (2-D data only)."""
    if not learner.info.is_2d:
        raise RequestError("the input gradient needs 2-D data")
    cfg = learner.cfg.data
    fn = saliency.differentiable_features(cfg.features, cfg.custom_features)
    gx, gy = saliency.input_gradient_grid(learner.model, fn, axis, axis, output_index)
    return frozen(gx), frozen(gy)


def backprop_spec(learner: SupervisedLearner, index: int = 0) -> dict:
    """The Backprop page's spec for this network and training example `index`."""
    n = learner.info.n_train
    if not 0 <= index < n:
        raise RequestError(f"training example {index} does not exist (0..{n - 1})")
    x = learner.data.X_train[index].tolist()
    t = learner.t_train[index]
    units = learner.head.units  # cross-entropy keeps class indices: make the one-hot row
    target = [float(j == int(t)) for j in range(units)] if t.ndim == 0 else t.tolist()
    loss = BACKPROP_LOSSES.get(learner.cfg.train.loss.value, "mse")
    return spec_from_model(learner.model, x, target, loss, learner.cfg.train.lr)


def model_copy(learner: SupervisedLearner) -> torch.nn.Module:
    """A private CPU copy of the model (for export), taken on the trainer's thread."""
    return copy.deepcopy(learner.model).cpu()


def weights(learner: SupervisedLearner) -> dict[str, torch.Tensor]:
    """A private CPU copy of the model's state."""
    return {k: v.detach().cpu().clone() for k, v in learner.model.state_dict().items()}


SUPERVISED = {
    "predict_proba": predict_proba,
    "feature_maps": feature_maps,
    "saliency": saliency_maps,
    "input_gradient": input_gradient,
    "backprop_spec": backprop_spec,
    "weights": weights,
    "model": model_copy,
}
