"""Frozen dataclasses for a run (its enums and limits are in choices.py); JSON; validation."""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from playground.choices import (  # noqa: F401 - re-exported: config users import them from here
    FEATURES,
    MAX_CHANNELS,
    MAX_CUSTOM_FEATURES,
    MAX_GRID,
    MAX_LAYERS,
    MAX_PARAMS,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_UNITS,
    MULTICLASS_SETS,
    POINT_SETS,
    REGRESSION_SETS,
    SEQUENCE_LAYERS,
    SEQUENCE_SETS,
    TWO_D_SETS,
    Activation,
    DatasetName,
    Device,
    Init,
    LayerKind,
    Loss,
    ModelKind,
    Optimizer,
    Schedule,
    Task,
)
from playground.settings.ae import AutoencoderConfig
from playground.settings.base import (
    KIND_FIELDS,
    ConfigError,
    LayerSpec,
    check_range,
    fail,
    to_plain,
)
from playground.settings.gan import GanConfig
from playground.settings.images import AugmentConfig, TransferConfig
from playground.settings.section import Section
from playground.settings.seq import SeqConfig
from playground.settings.som import SomConfig


@dataclass(frozen=True)
class DataConfig:
    name: DatasetName = DatasetName.CIRCLE
    n_samples: int = 500  # TensorFlow Playground's size for the 2-D sets
    noise: float = 0.0  # percent, 0-50, TensorFlow Playground's scale
    train_ratio: float = 0.5  # fraction of samples used for training
    seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")  # 2-D sets only; subset of FEATURES
    custom_features: tuple[str, ...] = ()  # expressions over x1, x2 such as "x1*x2^2"
    n_classes: int = 2  # spiral arms / blobs; other sets have a fixed count
    csv_path: str = ""  # for name="csv": numeric columns, the target one named below
    csv_target: str = ""  # column holding the target; "" = last column
    csv_task: Task = Task.CLASSIFICATION

    def __post_init__(self) -> None:
        check_range("data.n_samples", self.n_samples, 20, MAX_SAMPLES)
        check_range("data.noise", self.noise, 0, 50)
        check_range("data.train_ratio", self.train_ratio, 0.1, 0.9)
        check_range("data.n_classes", self.n_classes, 2, 10)
        check_range("data.seed", self.seed, 0, MAX_SEED)
        if self.n_classes != 2 and self.name not in MULTICLASS_SETS:
            fail("data.n_classes", f"only spiral and blobs take n_classes, got {self.n_classes}")
        for i, name in enumerate(self.features):
            if name not in FEATURES:
                fail(f"data.features[{i}]", f"unknown feature {name!r}; choose from {FEATURES}")
        if len(set(self.features)) != len(self.features):
            fail("data.features", f"repeated feature in {list(self.features)}")
        if len(self.custom_features) > MAX_CUSTOM_FEATURES:
            fail("data.custom_features", f"at most {MAX_CUSTOM_FEATURES} custom features")
        if self.is_2d and not (self.features or self.custom_features):
            fail("data.features", "pick at least one input feature")
        if self.name == DatasetName.CSV and not self.csv_path:
            fail("data.csv_path", "the csv dataset needs a file path")

    def to_csv(self, path: str, target: str, task: Task) -> dict[str, Any]:
        """This section as a plain dict switched to a CSV file (for with_value)."""
        d = to_plain(self) | {"name": "csv", "csv_path": path, "csv_target": target}
        return d | {"csv_task": task.value, "features": [], "custom_features": [], "n_classes": 2}

    @property
    def is_2d(self) -> bool:
        return self.name in TWO_D_SETS

    @property
    def task(self) -> Task:
        if self.name == DatasetName.CSV:
            return self.csv_task
        return Task.REGRESSION if self.name in REGRESSION_SETS else Task.CLASSIFICATION

    @property
    def num_classes(self) -> int:
        """Classes of a classification set (0 for regression)."""
        if self.task == Task.REGRESSION:
            return 0
        if self.name == DatasetName.DIGITS:
            return 10
        return self.n_classes


@dataclass(frozen=True)
class ModelConfig:
    layers: tuple[LayerSpec, ...] = (
        LayerSpec(units=4),
        LayerSpec(units=2),
    )  # TensorFlow Playground's default 4-2 network
    output_activation: str = "auto"  # "auto" follows from task and loss, else an Activation

    def __post_init__(self) -> None:
        if len(self.layers) > MAX_LAYERS:
            fail("model.layers", f"at most {MAX_LAYERS} layers, got {len(self.layers)}")
        allowed = ["auto"] + [a.value for a in Activation]
        if self.output_activation not in allowed:
            fail("model.output_activation", f"unknown {self.output_activation!r}; one of {allowed}")


@dataclass(frozen=True)
class TrainConfig:
    loss: Loss = Loss.SQUARE  # TensorFlow Playground's; on two classes: tanh output, +-1 targets
    optimizer: Optimizer = Optimizer.SGD
    lr: float = 0.03
    momentum: float = 0.9  # momentum, nesterov, rmsprop
    beta1: float = 0.9  # adam, adamw
    beta2: float = 0.999
    weight_decay: float = 0.01  # adamw's decoupled decay (l2 below is a loss penalty)
    batch_size: int = 10
    l1: float = 0.0  # rate of the penalty l1 * sum|w| over weights (not biases)
    l2: float = 0.0  # rate of the penalty l2 * sum w^2 / 2 over weights (not biases)
    grad_clip: float = 0.0  # max global gradient norm; 0 = off
    schedule: Schedule = Schedule.CONSTANT
    schedule_steps: int = 1000  # step: decay period; cosine: length; cyclic: half period
    schedule_gamma: float = 0.5  # step decay factor
    min_lr: float = 0.0  # cosine floor / cyclic lower bound
    max_steps: int = 0  # stop after this many steps; 0 = no limit
    max_epochs: int = 0  # stop after this many epochs; 0 = no limit
    target_test_loss: float = 0.0  # stop once the test loss is below; 0 = off
    eval_every: int = 0  # steps between full evaluations; 0 = epoch ends (Trainer.eval_budget)
    device: Device = Device.AUTO
    seed: int = 0
    steps_per_s: float = 0.0  # speed limit for slow motion; 0 = as fast as it goes

    def __post_init__(self) -> None:
        check_range("train.lr", self.lr, 1e-7, 100.0)
        check_range("train.momentum", self.momentum, 0.0, 0.999)
        check_range("train.beta1", self.beta1, 0.0, 0.9999)
        check_range("train.beta2", self.beta2, 0.0, 0.99999)
        check_range("train.weight_decay", self.weight_decay, 0.0, 10.0)
        check_range("train.batch_size", self.batch_size, 1, MAX_SAMPLES)
        check_range("train.l1", self.l1, 0.0, 10.0)
        check_range("train.l2", self.l2, 0.0, 10.0)
        check_range("train.grad_clip", self.grad_clip, 0.0, 1e6)
        check_range("train.schedule_steps", self.schedule_steps, 1, 10**9)
        check_range("train.schedule_gamma", self.schedule_gamma, 0.0, 1.0)
        check_range("train.min_lr", self.min_lr, 0.0, 100.0)
        check_range("train.max_steps", self.max_steps, 0, 10**12)
        check_range("train.max_epochs", self.max_epochs, 0, 10**9)
        check_range("train.target_test_loss", self.target_test_loss, 0.0, 1e9)
        check_range("train.eval_every", self.eval_every, 0, 10**9)
        check_range("train.steps_per_s", self.steps_per_s, 0.0, 1e6)
        check_range("train.seed", self.seed, 0, MAX_SEED)


@dataclass(frozen=True)
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    kind: ModelKind = ModelKind.SUPERVISED  # which learner trains it (train/kinds.py)
    # One section per model kind's own settings; each checks itself against the run.
    seq: SeqConfig = field(default_factory=SeqConfig)
    ae: AutoencoderConfig = field(default_factory=AutoencoderConfig)
    gan: GanConfig = field(default_factory=GanConfig)
    som: SomConfig = field(default_factory=SomConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    transfer: TransferConfig = field(default_factory=TransferConfig)

    @property
    def sections(self) -> tuple[Section, ...]:
        return (self.seq, self.ae, self.gan, self.som, self.augment, self.transfer)

    def __post_init__(self) -> None:
        self._check_kind()
        for section in self.sections:
            section.check_run(self)
        task = self.data.task
        if task == Task.REGRESSION and self.train.loss in (Loss.CROSS_ENTROPY, Loss.BCE):
            fail("train.loss", f"{self.train.loss.value!r} needs a classification dataset")
        image = self.data.name == DatasetName.DIGITS
        for i, spec in enumerate(self.model.layers):
            spatial = spec.kind in (LayerKind.CONV2D, LayerKind.MAXPOOL2D, LayerKind.AVGPOOL2D)
            if spatial and not image:
                fail(f"model.layers[{i}]", f"{spec.kind.value} needs image data (digits)")

    def _check_kind(self) -> None:
        sequence = self.data.name in SEQUENCE_SETS
        if sequence != (self.kind == ModelKind.SEQUENCE):
            where = "kind" if sequence else "data.name"
            fail(where, f"sequence datasets go with kind 'sequence' (got {self.kind.value!r} "
                 f"on {self.data.name.value!r})")  # fmt: skip
        if self.kind != ModelKind.SEQUENCE:
            for i, spec in enumerate(self.model.layers):
                if spec.kind in SEQUENCE_LAYERS:
                    fail(f"model.layers[{i}]", f"{spec.kind.value} needs a sequence dataset")
        for i, spec in enumerate(self.model.layers):
            if spec.kind == LayerKind.RBF:
                self._check_rbf(i, spec)
        if self.kind == ModelKind.SUPERVISED and self.data.name in POINT_SETS - TWO_D_SETS:
            fail("data.name", f"{self.data.name.value!r} has no labels; train it with kind 'gan'")

    def _check_rbf(self, i: int, spec: LayerSpec) -> None:
        """An rbf layer comes first (its inputs are the features) in a supervised network."""
        if self.kind != ModelKind.SUPERVISED:
            fail(f"model.layers[{i}]", f"rbf layers belong to supervised networks, not "
                 f"kind {self.kind.value!r}")  # fmt: skip
        if i:
            fail(f"model.layers[{i}]", "an rbf layer must be the first layer: its centres live "
                 "in the space of the input features")  # fmt: skip
        if spec.init not in (Init.KMEANS, Init.UNIFORM):
            fail(f"model.layers[{i}].init", "an rbf layer's centres start at 'kmeans' (the "
                 "k-means centroids of the training inputs) or 'uniform' (random, over their "
                 f"bounding box), got {spec.init.value!r}")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: Any) -> RunConfig:
        return _from_plain(cls, d, "")

    @classmethod
    def from_json(cls, s: str) -> RunConfig:
        try:
            d = json.loads(s)
        except json.JSONDecodeError as e:
            raise ConfigError(f"config: not valid JSON ({e.msg} at line {e.lineno})") from None
        except RecursionError:
            raise ConfigError("config: nested too deeply to be a RunConfig") from None
        return cls.from_dict(d)

    def replace(self, **sections: Any) -> RunConfig:
        """A copy with whole sections replaced: cfg.replace(train=...)."""
        return dataclasses.replace(self, **sections)


def with_value(cfg: RunConfig, dotted: str, value: Any) -> RunConfig:
    """A copy of cfg with one field set by a dotted path, validated: ("train.lr", 0.1)."""
    d = cfg.to_dict()
    parts = dotted.split(".")
    node = d
    for i, key in enumerate(parts[:-1]):
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                fail(".".join(parts[: i + 1]), "no such list item")
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            fail(".".join(parts[: i + 1]), "no such field")
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            fail(dotted, "no such list item")
        node[int(last)] = value
    elif isinstance(node, dict) and (last in node or (node is not d and "kind" in node)):
        node[last] = value
    else:
        fail(dotted, "no such field")
    return RunConfig.from_dict(d)


# --- plain <-> dataclass conversion -------------------------------------------------------------


def _from_plain(cls: type, d: Any, path: str) -> Any:
    if not isinstance(d, dict):
        fail(path or "config", f"expected an object, got {type(d).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    allowed = names
    if cls is LayerSpec:
        kind = _coerce(LayerKind, d.get("kind", "dense"), _join(path, "kind"))
        allowed = ["kind", *KIND_FIELDS[kind]]
    for key in d:
        if key not in allowed:
            fail(_join(path, key), f"unknown field; known fields are {allowed}")
    kwargs = {k: _coerce(hints[k], v, _join(path, k)) for k, v in d.items()}
    try:
        return cls(**kwargs)
    except ConfigError as e:
        msg = str(e)
        if cls is LayerSpec:  # LayerSpec does not know where it sits in the model
            msg = f"{path}.{msg}"
        raise ConfigError(msg) from None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _coerce(tp: Any, v: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is tuple:
        if not isinstance(v, (list, tuple)):
            fail(path, f"expected a list, got {v!r}")
        inner = typing.get_args(tp)[0]
        return tuple(_coerce(inner, x, f"{path}[{i}]") for i, x in enumerate(v))
    if dataclasses.is_dataclass(tp):
        return _from_plain(tp, v, path)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(v)
        except ValueError:
            fail(path, f"unknown value {v!r}; one of {[e.value for e in tp]}")
    if tp is bool:
        if not isinstance(v, bool):
            fail(path, f"expected true or false, got {v!r}")
        return v
    if tp is int:
        is_number = isinstance(v, (int, float)) and not isinstance(v, bool)
        if not is_number or (isinstance(v, float) and not (math.isfinite(v) and v == int(v))):
            fail(path, f"expected an integer, got {v!r}")
        return int(v)
    if tp is float:
        try:
            ok = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
        except OverflowError:  # an integer beyond float's range
            ok = False
        if not ok:
            fail(path, f"expected a finite number, got {repr(v)[:40]}")
        return float(v)
    if tp is str:
        if not isinstance(v, str):
            fail(path, f"expected a string, got {v!r}")
        return v
    raise TypeError(f"no coercion for {tp}")  # a programming error, not bad input
