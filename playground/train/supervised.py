"""The supervised learner: a classifier or regressor (MLP or CNN) with the NumPy fast path."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from playground.config import Device, RunConfig, Schedule, Task, TrainConfig
from playground.data.augment import Augmenter, shifted_test_set
from playground.data.datasets import DOMAIN, Dataset, feature_matrix, make_dataset
from playground.explain import probes
from playground.nn.engine import (
    evaluate,
    grid_points,
    make_optimizer,
    scheduled_lr,
    train_step,
    weight_params,
)
from playground.nn.fastpath import FastStep
from playground.nn.model import (
    LOSSES,
    RBF,
    build_model,
    encode_targets,
    output_head,
    trainable_layers,
)
from playground.nn.transfer import start_weights
from playground.train import requests
from playground.train.learner import ModelLearner, RequestError
from playground.train.runinfo import RunInfo, frozen, frozen_or_none
from playground.train.snapshot import PROBE_HISTORY_POINTS

PROBE_BATCH = 256  # 2-D points used for activation statistics
IMAGE_PROBE_BATCH = 64  # images: 64 x 8 x 8 x channels values per layer are plenty, and cheap


def resolve_device(device: Device) -> torch.device:
    """CUDA when asked for (or auto) and present, else CPU."""
    if device != Device.CPU and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def supervised_learner(
    cfg: RunConfig,
    dataset: Dataset | None = None,
    with_probes: bool = True,
    grid_resolution: int = 100,
    initial_state: dict[str, torch.Tensor] | None = None,
) -> Callable[[], SupervisedLearner]:
    """The Trainer's learner factory for cfg: the data is made once, the model on every Reset."""
    data = dataset if dataset is not None else make_dataset(cfg.data)
    if cfg.transfer.demo:  # pretrain on digits 0-4, fine-tune on 5-9 beside a from-scratch twin
        from playground.train.transfer import transfer_learner

        return transfer_learner(cfg, data, with_probes=with_probes, initial_state=initial_state)
    device = resolve_device(cfg.train.device)
    return lambda: SupervisedLearner(
        cfg, data, device, with_probes=with_probes, grid_resolution=grid_resolution,
        initial_state=initial_state,
    )  # fmt: skip


learner = supervised_learner  # the name train/kinds.py looks for


class SupervisedLearner(ModelLearner):
    """Inputs -> network -> output, trained on labelled data with the configured loss."""

    def __init__(
        self,
        cfg: RunConfig,
        data: Dataset,
        device: torch.device,
        *,
        with_probes: bool = True,
        grid_resolution: int = 100,
        initial_state: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.cfg, self.data, self.device = cfg, data, device
        self.with_probes = with_probes
        self.head = output_head(cfg, data.n_classes)
        self.loss_fn = LOSSES[cfg.train.loss]
        self._to_device(grid_resolution)
        self.model = build_model(  # an rbf layer places its centres on the training inputs
            cfg.model, data.input_shape, self.head, cfg.train.seed, inputs=data.X_train
        )
        self.fresh_head = start_weights(cfg, self.model, initial_state)  # and freeze layers
        self.model.to(device).train()
        self.optimizer = make_optimizer(self.model, cfg.train)
        self.weights = weight_params(self.model)
        self._trained = [w for w in self.weights if w.requires_grad]  # frozen layers: no penalty
        self._augment = Augmenter(cfg.augment) if cfg.augment.active else None
        self._fast: FastStep | None = None
        self._choose_step()
        self.activations = probes.layer_activations(self.model)
        self.names = tuple(probes.layer_names(self.model))
        self._batch_gen = torch.Generator().manual_seed(cfg.train.seed)
        self._pos = data.X_train.shape[0]
        self._ratios: list[float] = [math.nan] * len(self.names)
        self._measure_next = True
        self._probe_history: list[tuple[int, tuple]] = []
        self.info = self._run_info(grid_resolution)

    def _to_device(self, resolution: int) -> None:
        d, dev, loss = self.data, self.device, self.cfg.train.loss
        self.X_train, self.y_train = d.X_train.to(dev), d.y_train.to(dev)
        self.X_test, self.y_test = d.X_test.to(dev), d.y_test.to(dev)
        self.t_train = encode_targets(self.y_train, d.task, self.head, loss)
        self.t_test = encode_targets(self.y_test, d.task, self.head, loss)
        self.X_probe = self.X_train[: PROBE_BATCH if d.is_2d else IMAGE_PROBE_BATCH]
        self.X_grid, self.resolution, self._input_grids = None, 0, None
        if d.is_2d:
            feats = feature_matrix(
                grid_points(DOMAIN, resolution),
                self.cfg.data.features,
                self.cfg.data.custom_features,
            )  # fmt: skip  (R*R, F)
            self.X_grid, self.resolution = torch.from_numpy(feats).to(dev), resolution
            self._input_grids = feats.T.reshape(-1, resolution, resolution)
        shift = self.cfg.augment.test_shift
        self.X_shifted = shifted_test_set(self.X_test, self.cfg.augment) if shift else None

    def _run_info(self, resolution: int) -> RunInfo:
        d = self.data
        images = d.X_test if len(d.input_shape) == 3 else None
        return RunInfo(
            config=self.cfg, kind="supervised", task=d.task, n_classes=d.n_classes,
            feature_names=d.feature_names, input_shape=d.input_shape,
            output_units=self.head.units, layer_names=self.names,
            n_train=int(d.X_train.shape[0]), n_test=int(d.X_test.shape[0]),
            y_train=frozen(d.y_train), y_test=frozen(d.y_test),
            points_train=frozen_or_none(d.points_train), points_test=frozen_or_none(d.points_test),
            images_test=frozen_or_none(images),
            mean_image=None if images is None else frozen(d.X_train.mean(dim=0)),
            resolution=self.resolution, grid_bound=DOMAIN,
            input_grids=frozen_or_none(self._input_grids), device=self.device.type,
        )  # fmt: skip

    # ---- training ---------------------------------------------------------------------------

    @property
    def history_columns(self) -> tuple[str, ...]:
        cols = ("step", "epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
        per_layer = [f"grad_norm/{n}" for n in self.names]
        shifted = ("shifted_test_accuracy",) if self.X_shifted is not None else ()
        return (*cols, "lr", *per_layer, *[f"update_ratio/{n}" for n in self.names], *shifted)

    def set_hparams(self, train: TrainConfig) -> None:
        super().set_hparams(train)
        self._choose_step()

    def _choose_step(self) -> None:
        """The NumPy fast step where it applies (it may stop applying: grad_clip set live)."""
        use_fast = FastStep.supports(self.model, self.cfg, self.device)
        if use_fast and self._fast is None:
            self._fast = FastStep(self.model, self.cfg.train.loss)
            if hasattr(self, "_Xp"):  # mid-epoch: NumPy views of this epoch's order
                self._Xpn, self._tpn = self._Xp.numpy(), self._tp.numpy()
        elif not use_fast:
            self._fast = None

    def train_step(self) -> bool:
        tc, n = self.cfg.train, self.X_train.shape[0]
        if self._pos >= n:  # a new epoch: reshuffle once, then slice views
            perm = torch.randperm(n, generator=self._batch_gen).to(self.device)
            self._Xp, self._tp, self._pos = self.X_train[perm], self.t_train[perm], 0
            if self._fast:
                self._Xpn, self._tpn = self._Xp.numpy(), self._tp.numpy()
        start = self._pos
        end = self._pos = min(start + tc.batch_size, n)
        if tc.schedule != Schedule.CONSTANT:
            lr = scheduled_lr(tc, self.step_count)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
        before = [w.detach().clone() for w in self.weights] if self._measure_next else None
        if self._fast:
            self._fast.step(self._Xpn[start:end], self._tpn[start:end], self.lr, tc.l1, tc.l2)
        else:
            xb, tb = self._Xp[start:end], self._tp[start:end]  # only autograd needs tensors
            if self._augment is not None:  # a fresh random change of every image, every step
                xb = self._augment(xb)
            train_step(self.model, self.optimizer, xb, tb, self.loss_fn, self._trained, tc.l1,
                       tc.l2, tc.grad_clip)  # fmt: skip
        self.step_count += 1
        if before is not None:  # |delta w| / |w| of this step, per layer
            self._ratios = [
                float((w.detach() - b).norm() / (b.norm() + 1e-12))
                for w, b in zip(self.weights, before)
            ]
            self._measure_next = False
        if self._pos >= n:
            self.epoch += 1
            return True
        return False

    def evaluate(self) -> dict[str, float]:
        cls = self.data.task == Task.CLASSIFICATION
        tr = evaluate(self.model, self.X_train, self.t_train, self.y_train, self.loss_fn, cls)
        te = evaluate(self.model, self.X_test, self.t_test, self.y_test, self.loss_fn, cls)
        grads = [float(w.grad.norm()) if w.grad is not None else math.nan for w in self.weights]
        self._measure_next = True
        values = [self.step_count, self.epoch, tr.loss, te.loss, tr.accuracy, te.accuracy, self.lr]
        row = dict(zip(self.history_columns, [*values, *grads, *self._ratios]))
        if self.X_shifted is not None:  # the same test digits, moved: does it generalise?
            row["shifted_test_accuracy"] = self.shifted_accuracy()
        return row

    def shifted_accuracy(self) -> float:
        """Accuracy on the shifted test set (augment.test_shift pixels in random directions)."""
        loss, cls = self.loss_fn, self.data.task == Task.CLASSIFICATION
        return evaluate(self.model, self.X_shifted, self.t_test, self.y_test, loss, cls).accuracy

    # ---- weights ----------------------------------------------------------------------------

    def restore(self, checkpoint: dict[str, torch.Tensor]) -> None:
        super().restore(checkpoint)
        self._fast = None
        self._choose_step()

    def set_param(self, layer: int, row: int, col: int | None, value: float) -> None:
        layers = trainable_layers(self.model)
        if not 0 <= layer < len(layers):
            raise RequestError(f"layer {layer + 1} does not exist (1..{len(layers)})")
        m = layers[layer][1]
        rows, cols = m.weight.shape[0], m.weight.shape[1]
        if not 0 <= row < rows:
            raise RequestError(f"{self.names[layer]} has neurons 1..{rows}, not {row + 1}")
        if col is not None and not 0 <= col < cols:
            raise RequestError(f"{self.names[layer]} has inputs 1..{cols}, not {col + 1}")
        if col is None and m.bias is None:
            raise RequestError(f"{self.names[layer]} has no biases")
        with torch.no_grad():
            if col is None:
                m.bias[row] = value
            else:
                m.weight[row, col] = value

    # ---- probes and requests ----------------------------------------------------------------

    def probes(self) -> dict[str, Any]:
        """Per-layer probes, test-set output and (2-D data) grids, computed between steps."""
        if not self.with_probes:
            return {}
        head, loss, task = self.head, self.cfg.train.loss, self.data.task
        extra: dict[str, Any] = {}
        extra["layers"] = probes.layer_probes(
            self.model, self.X_probe, self.activations, self._ratios
        )
        self._keep_probes(extra["layers"])
        extra["probe_history"] = tuple(self._probe_history)
        extra["test_output"] = probes.test_output(self.model, self.X_test, head, loss, task)
        if self.X_grid is not None:
            extra["grid"], extra["neuron_grids"] = probes.grids(
                self.model, self.X_grid, self.resolution, head, loss, task
            )
            if isinstance(self.model[0], RBF) and self.data.feature_names == ("x1", "x2"):
                m = self.model[0]  # centres on the plane and widths: (units, 3) x1, x2, sigma
                extra["rbf_centres"] = frozen(torch.cat([m.weight, m.widths[:, None]], dim=1))
        return extra

    def _keep_probes(self, layers: tuple) -> None:
        """Bounded probe history: when full, every other entry goes (old and new stay spread)."""
        ph = self._probe_history
        if ph and ph[-1][0] == self.step_count:
            ph[-1] = (self.step_count, layers)
            return
        if len(ph) >= PROBE_HISTORY_POINTS:
            del ph[1::2]
        ph.append((self.step_count, layers))

    def answer(self, name: str, **kwargs: Any) -> Any:
        if name == "report" and self.X_shifted is not None:  # headless: the shifted set's figure
            return {"shifted_test_accuracy": self.shifted_accuracy()}
        handler = requests.SUPERVISED.get(name)
        if handler is None:
            names = ", ".join(sorted(requests.SUPERVISED))
            raise RequestError(f"no request named {name!r}; there are: {names}")
        return handler(self, **kwargs)
