"""The self-organising map learner: a Kohonen map trained by its own update rule, no gradients.

One step takes one training example x (in a reshuffled order, epoch by epoch), finds its best
matching unit b = argmin_k ||x - w_k||, and moves every prototype towards x:
w_k += lr(t) * h_k * (x - w_k), with h_k = exp(-d(k, b)^2 / (2 sigma(t)^2)) and d the distance
between units on the map's grid. lr and sigma decay exponentially from their start to their end
values over som.decay_steps steps, then stay there. The quantisation error (the history's
train_loss and test_loss) is the mean distance from an example to its best matching prototype;
the topographic error is the fraction of training examples whose two best matching units are
not neighbours on the grid (the links the map is drawn with).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from playground.config import RunConfig
from playground.data.datasets import Dataset, make_dataset
from playground.settings.som import SomConfig, SomInit, Topology
from playground.train.learner import Learner, RequestError
from playground.train.runinfo import RunInfo, frozen, frozen_or_none
from playground.train.supervised import resolve_device

EVAL_CHUNK = 4096  # examples per distance block in evaluation (memory stays small)


def learner(
    cfg: RunConfig,
    *,
    dataset: Dataset | None = None,
    with_probes: bool = True,
    grid_resolution: int = 100,
    initial_state: dict[str, torch.Tensor] | None = None,
) -> Callable[[], SomLearner]:
    """The Trainer's factory: the data is made once, the map on every Reset."""
    data = dataset if dataset is not None else make_dataset(cfg.data)
    device = resolve_device(cfg.train.device)
    return lambda: SomLearner(cfg, data, device, with_probes, initial_state)


def unit_positions(width: int, height: int, topology: Topology) -> np.ndarray:
    """(K, 2) grid coordinates (column, row) of unit k = row * width + column; on a hexagonal
    map odd rows shift right by 1/2 and rows are sqrt(3)/2 apart, so 6 neighbours are at 1."""
    rows, cols = np.divmod(np.arange(width * height), width)
    x, y = cols.astype(np.float64), rows.astype(np.float64)
    if topology == Topology.HEXAGONAL:
        x, y = x + 0.5 * (rows % 2), y * math.sqrt(3) / 2
    return np.stack([x, y], axis=1)


def neighbour_links(positions: np.ndarray) -> np.ndarray:
    """(L, 2) int pairs (i < j) of units one grid step apart: the map's drawn links."""
    d = np.linalg.norm(positions[:, None] - positions[None], axis=2)
    i, j = np.nonzero(np.triu(np.abs(d - 1.0) < 1e-6))
    return np.stack([i, j], axis=1).astype(np.int64)


def decayed(start: float, end: float, step: int, steps: int) -> float:
    """start * (end / start)^(t / steps), t = min(step, steps): exponential decay, then held."""
    return start * (end / start) ** (min(step, steps) / steps)


def som_inputs(data: Dataset, train: bool) -> torch.Tensor:
    """(N, D) float32 examples: the raw (x1, x2) of a 2-D set, or flattened images."""
    points = data.points_train if train else data.points_test
    if points is not None:
        return torch.from_numpy(np.ascontiguousarray(points, dtype=np.float32))
    X = data.X_train if train else data.X_test
    return X.reshape(X.shape[0], -1).float()


def two_best(W: torch.Tensor, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances (N, 2) to and indices (N, 2) of each example's two nearest prototypes."""
    dists, idx = [], []
    for start in range(0, X.shape[0], EVAL_CHUNK):
        d = torch.cdist(X[start : start + EVAL_CHUNK], W)  # (n, K)
        v, i = torch.topk(d, k=min(2, W.shape[0]), dim=1, largest=False)
        dists.append(v)
        idx.append(i)
    return torch.cat(dists), torch.cat(idx)


class SomLearner(Learner):
    """A w x h Kohonen map: K = w * h prototypes in the data space, updated one example a step."""

    def __init__(
        self,
        cfg: RunConfig,
        data: Dataset,
        device: torch.device,
        with_probes: bool = True,
        initial_state: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.cfg, self.data, self.device, self.with_probes = cfg, data, device, with_probes
        self.som: SomConfig = cfg.som
        self.X_train = som_inputs(data, train=True).to(device)  # (N, D)
        self.X_test = som_inputs(data, train=False).to(device)
        self.positions = unit_positions(self.som.width, self.som.height, self.som.topology)
        self.links = neighbour_links(self.positions)
        pos = torch.from_numpy(self.positions).to(device)
        self.grid_d2 = torch.cdist(pos, pos).pow(2).float()  # (K, K) squared grid distances
        self.adjacent = torch.zeros_like(self.grid_d2, dtype=torch.bool)
        self.adjacent[self.links[:, 0], self.links[:, 1]] = True
        self.adjacent |= self.adjacent.clone().T
        gen = torch.Generator().manual_seed(cfg.train.seed)
        self.W = self._initial_prototypes(gen).to(device)  # (K, D)
        if initial_state is not None:
            self.load_state(initial_state)
        self._order_gen = torch.Generator().manual_seed(cfg.train.seed + 1)
        self._pos = self.X_train.shape[0]
        self.info = self._run_info()

    def _initial_prototypes(self, gen: torch.Generator) -> torch.Tensor:
        k, X = self.som.width * self.som.height, self.X_train.cpu()
        if self.som.init == SomInit.SAMPLE:
            n = X.shape[0]
            if k > n:  # more units than examples: some start at the same point
                return X[torch.randint(n, (k,), generator=gen)].clone()
            return X[torch.randperm(n, generator=gen)[:k]].clone()
        return random_box_points(X, k, gen)

    def _run_info(self) -> RunInfo:
        d = self.data
        images = d.X_test if len(d.input_shape) == 3 else None
        return RunInfo(
            config=self.cfg, kind="som", task=d.task, n_classes=d.n_classes,
            feature_names=("x1", "x2") if d.is_2d else d.feature_names,
            input_shape=(int(self.X_train.shape[1]),), output_units=int(self.W.shape[0]),
            layer_names=(), n_train=int(self.X_train.shape[0]), n_test=int(self.X_test.shape[0]),
            y_train=frozen(d.y_train), y_test=frozen(d.y_test),
            points_train=frozen_or_none(d.points_train), points_test=frozen_or_none(d.points_test),
            images_test=frozen_or_none(images), device=self.device.type,
        )  # fmt: skip

    # ---- training ---------------------------------------------------------------------------

    @property
    def history_columns(self) -> tuple[str, ...]:
        return ("step", "epoch", "train_loss", "test_loss", "topographic_error")

    @property
    def lr(self) -> float:
        s = self.som
        return decayed(s.lr, s.lr_end, self.step_count, s.decay_steps)

    @property
    def radius(self) -> float:
        """The neighbourhood's sigma now, in grid units."""
        s = self.som
        return decayed(s.radius_start, s.radius_end, self.step_count, s.decay_steps)

    def steps_to_epoch_end(self, epochs: int = 1) -> int:
        n = self.X_train.shape[0]
        left = n - self._pos if self._pos < n else n
        return left + (epochs - 1) * n

    def train_step(self) -> bool:
        n = self.X_train.shape[0]
        if self._pos >= n:  # a new epoch: a new order of the examples
            self._perm, self._pos = torch.randperm(n, generator=self._order_gen), 0
        x = self.X_train[int(self._perm[self._pos])]  # (D,)
        self._pos += 1
        update(self.W, x, self.grid_d2, self.lr, self.radius)
        self.step_count += 1
        if self._pos >= n:
            self.epoch += 1
            return True
        return False

    def evaluate(self) -> dict[str, float]:
        tr_d, tr_i = two_best(self.W, self.X_train)
        te_d, _ = two_best(self.W, self.X_test)
        return {
            "step": self.step_count,
            "epoch": self.epoch,
            "train_loss": float(tr_d[:, 0].mean()),  # train quantisation error
            "test_loss": float(te_d[:, 0].mean()),  # test quantisation error
            "topographic_error": self._topographic_error(tr_i),
        }

    def _topographic_error(self, idx: torch.Tensor) -> float:
        if idx.shape[1] < 2:
            return math.nan
        return float((~self.adjacent[idx[:, 0], idx[:, 1]]).float().mean())

    # ---- weights ----------------------------------------------------------------------------

    def checkpoint(self) -> torch.Tensor:
        return self.W.detach().clone()

    def restore(self, checkpoint: torch.Tensor) -> None:
        self.W.copy_(checkpoint)

    def is_finite(self) -> bool:
        return bool(torch.isfinite(self.W).all())

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        w = state.get("prototypes")
        if w is None or tuple(w.shape) != tuple(self.W.shape):
            raise RequestError(f"expected 'prototypes' of shape {tuple(self.W.shape)}")
        self.W.copy_(w.to(self.W))

    # ---- probes and requests ----------------------------------------------------------------

    def probes(self) -> dict[str, Any]:
        """The prototypes (K, D), the U-matrix (h, w), the grid links and the decayed rates."""
        if not self.with_probes:
            return {}
        return {
            "prototypes": frozen(self.W),
            "umatrix": frozen(u_matrix(self.W, self.links).reshape(self.som.height, -1)),
            "som_links": frozen(self.links),
            "som_positions": frozen(self.positions),
            "som_radius": self.radius,
            "som_lr": self.lr,
        }

    def answer(self, name: str, **kwargs: Any) -> Any:
        if name == "report":
            return self.report()
        if name == "weights":
            return {"prototypes": self.W.detach().cpu().clone()}
        if name == "model":
            raise RequestError("a self-organising map is no network to export as ONNX or a "
                               "script; `train --out DIR` saves its prototypes")  # fmt: skip
        raise RequestError(f"no request named {name!r}; there are: report, weights")

    def report(self) -> dict[str, float]:
        """The test quantisation error beside that of random prototypes (as many, uniform over
        the training data's bounding box, drawn with the run's seed)."""
        gen = torch.Generator().manual_seed(self.cfg.train.seed + 2)
        rand = random_box_points(self.X_train.cpu(), self.W.shape[0], gen).to(self.device)
        te_d, _ = two_best(self.W, self.X_test)
        rnd_d, _ = two_best(rand, self.X_test)
        row = self.evaluate()
        return {
            "quantisation_error": float(te_d[:, 0].mean()),
            "random_quantisation_error": float(rnd_d[:, 0].mean()),
            "topographic_error": row["topographic_error"],
        }


def random_box_points(X: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    """(k, D) points uniform over the bounding box of X (N, D)."""
    lo, hi = X.min(dim=0).values, X.max(dim=0).values
    return lo + (hi - lo) * torch.rand(k, X.shape[1], generator=gen)


def update(W: torch.Tensor, x: torch.Tensor, grid_d2: torch.Tensor, lr: float, sigma: float) -> int:
    """One Kohonen step in place on W (K, D) for one example x (D,); returns the BMU."""
    bmu = int(torch.argmin(((W - x) ** 2).sum(dim=1)))
    h = torch.exp(-grid_d2[bmu] / (2 * sigma * sigma))  # (K,)
    W.add_(lr * h[:, None] * (x - W))
    return bmu


def u_matrix(W: torch.Tensor, links: np.ndarray) -> np.ndarray:
    """(K,) each unit's mean data-space distance to its grid neighbours' prototypes."""
    w = W.detach().cpu().double().numpy()
    d = np.linalg.norm(w[links[:, 0]] - w[links[:, 1]], axis=1)
    total, count = np.zeros(len(w)), np.zeros(len(w))
    for end in (0, 1):
        np.add.at(total, links[:, end], d)
        np.add.at(count, links[:, end], 1)
    return (total / np.maximum(count, 1)).astype(np.float32)
