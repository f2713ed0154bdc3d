"""Tests for config: JSON round trips, validation messages, with_value."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from playground import config
from playground.config import (
    MAX_CUSTOM_FEATURES,
    MAX_LAYERS,
    MAX_SAMPLES,
    Activation,
    ConfigError,
    DataConfig,
    DatasetName,
    LayerKind,
    LayerSpec,
    ModelConfig,
    RunConfig,
    Task,
    TrainConfig,
    with_value,
)
from playground.presets import PRESETS

DEFAULT = RunConfig().to_dict()


def _with(path: str, value: Any) -> dict[str, Any]:
    """The default config as a dict with one (possibly new) key set by a dotted path."""
    d = copy.deepcopy(DEFAULT)
    *parents, last = path.split(".")
    node: Any = d
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return d


def _got(msg: str) -> float:
    """The value a range message quotes at its end ("..., got -1.0")."""
    return float(msg.rsplit("got ", 1)[1])


def _error(d: Any) -> str:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(d)
    return str(info.value)


# ---- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["default", *PRESETS])
def test_json_round_trip(name: str) -> None:
    cfg = RunConfig() if name == "default" else PRESETS[name][1]
    s = cfg.to_json()
    assert RunConfig.from_json(s).to_json() == s
    assert RunConfig.from_json(s) == cfg
    compact = cfg.to_json(indent=None)
    assert RunConfig.from_json(compact).to_json(indent=None) == compact


def test_missing_keys_take_defaults() -> None:
    assert RunConfig.from_json("{}") == RunConfig()
    cfg = RunConfig.from_json('{"train": {"lr": 0.1}, "model": {"layers": [{"units": 3}]}}')
    assert cfg.train == TrainConfig(lr=0.1)
    assert cfg.model.layers == (LayerSpec(units=3),)


_CLASSIC = [
    LayerKind(k)
    for k in ("dense", "conv2d", "maxpool2d", "avgpool2d", "flatten", "dropout", "batchnorm")
]


@pytest.mark.parametrize("kind", _CLASSIC)
def test_layer_json_holds_only_its_kind_fields(kind: LayerKind) -> None:
    d = LayerSpec(kind=kind).to_dict()
    assert d["kind"] == kind.value
    trainable = {"activation", "init"} <= set(d)
    assert trainable == (kind in (LayerKind.DENSE, LayerKind.CONV2D))
    assert ("units" in d) == (kind == LayerKind.DENSE)
    assert ("p" in d) == (kind == LayerKind.DROPOUT)


@pytest.mark.parametrize("kind", list(LayerKind))
def test_every_layer_kind_round_trips_through_json(kind: LayerKind) -> None:
    spec = LayerSpec(kind=kind, units=6, heads=3, dropout=0.25)
    again = config._from_plain(LayerSpec, json.loads(json.dumps(spec.to_dict())), "layer")
    assert again.to_dict() == spec.to_dict()


def test_json_is_plain() -> None:
    d = json.loads(PRESETS["digits-cnn"][1].to_json())
    assert d["model"]["layers"][0] == {
        "kind": "conv2d",
        "channels": 8,
        "kernel": 3,
        "stride": 1,
        "padding": 1,
        "activation": "relu",
        "init": "kaiming_uniform",
    }
    assert d["train"]["loss"] == "cross_entropy"


# ---- validation messages name the field and the value ----------------------------------------

UNKNOWN_KEYS = [
    ("bogus", "bogus"),
    ("data.bogus", "data.bogus"),
    ("model.bogus", "model.bogus"),
    ("train.bogus", "train.bogus"),
    ("model.layers.1.bogus", "model.layers[1].bogus"),
]


@pytest.mark.parametrize(("path", "field"), UNKNOWN_KEYS)
def test_unknown_key_is_named(path: str, field: str) -> None:
    msg = _error(_with(path, 1))
    assert msg.startswith(f"{field}: unknown field")


@pytest.mark.parametrize(
    ("layer", "key"),
    [
        ({"kind": "dropout", "units": 4}, "units"),
        ({"kind": "flatten", "activation": "relu"}, "activation"),
        ({"kind": "maxpool2d", "padding": 1}, "padding"),
        ({"kind": "batchnorm", "p": 0.1}, "p"),
        ({"kind": "dense", "channels": 4}, "channels"),
    ],
)
def test_layer_key_of_another_kind_is_rejected(layer: dict[str, Any], key: str) -> None:
    d = _with("data.name", "digits")
    d["model"]["layers"] = [layer]
    assert _error(d).startswith(f"model.layers[0].{key}: unknown field")


WRONG_TYPES = [
    ("data.n_samples", "abc"),
    ("data.n_samples", 150.5),
    ("data.n_samples", True),
    ("data.n_samples", math.inf),
    ("data.noise", "5"),
    ("data.noise", math.nan),
    ("data.noise", math.inf),
    ("data.noise", -math.inf),
    ("data.noise", False),
    ("data.seed", None),
    ("data.csv_path", 3),
    ("data.features", "x1"),
    ("train.lr", math.nan),
    ("train.lr", math.inf),
    ("train.lr", [0.1]),
    ("train.batch_size", 2.5),
    ("model.layers", {"units": 3}),
]


@pytest.mark.parametrize(("path", "value"), WRONG_TYPES)
def test_wrong_type_names_field_and_value(path: str, value: Any) -> None:
    msg = _error(_with(path, value))
    assert msg.startswith(f"{path}: expected")
    assert repr(value) in msg


def test_wrong_type_inside_lists_and_objects() -> None:
    assert _error(_with("data.features", ["x1", 2])).startswith("data.features[1]: expected")
    d = _with("model.layers", [5])
    assert _error(d) == "model.layers[0]: expected an object, got int"
    assert _error(_with("data", [1])) == "data: expected an object, got list"
    assert _error([1]).startswith("config: expected an object")


def test_nan_from_json_text_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"^train\.lr: expected a finite number, got nan"):
        RunConfig.from_json('{"train": {"lr": NaN}}')
    with pytest.raises(ConfigError, match=r"^data\.noise: .*inf"):
        RunConfig.from_json('{"data": {"noise": Infinity}}')


def test_malformed_json() -> None:
    with pytest.raises(ConfigError, match=r"^config: not valid JSON"):
        RunConfig.from_json('{"train": ')


OUT_OF_RANGE = [
    ("data.n_samples", 19),
    ("data.n_samples", MAX_SAMPLES + 1),
    ("data.noise", -1),
    ("data.noise", 50.5),
    ("data.train_ratio", 0.05),
    ("data.train_ratio", 0.95),
    ("train.lr", 0),
    ("train.lr", 101),
    ("train.momentum", -0.1),
    ("train.momentum", 1.0),
    ("train.beta1", 1.0),
    ("train.beta2", 1.0),
    ("train.weight_decay", -1),
    ("train.weight_decay", 11),
    ("train.batch_size", 0),
    ("train.batch_size", MAX_SAMPLES + 1),
    ("train.l1", -0.5),
    ("train.l1", 11),
    ("train.l2", -0.5),
    ("train.l2", 11),
    ("train.grad_clip", -1),
    ("train.schedule_steps", 0),
    ("train.schedule_gamma", 1.5),
    ("train.schedule_gamma", -0.1),
    ("train.min_lr", -1),
    ("train.max_steps", -1),
    ("train.max_epochs", -1),
    ("train.target_test_loss", -1),
    ("train.eval_every", -1),
    ("train.steps_per_s", -1),
]


@pytest.mark.parametrize(("path", "value"), OUT_OF_RANGE)
def test_out_of_range_names_field_and_value(path: str, value: float) -> None:
    msg = _error(_with(path, value))
    assert msg.startswith(f"{path}: must be between")
    assert _got(msg) == value


LAYER_OUT_OF_RANGE = [
    ("units", 0),
    ("units", 513),
    ("channels", 0),
    ("channels", 129),
    ("kernel", 0),
    ("kernel", 9),
    ("stride", 0),
    ("stride", 9),
    ("padding", -1),
    ("padding", 5),
    ("p", -0.1),
    ("p", 0.96),
]


@pytest.mark.parametrize(("key", "value"), LAYER_OUT_OF_RANGE)
def test_layer_out_of_range_names_its_index(key: str, value: float) -> None:
    kind = {"units": "dense", "p": "dropout"}.get(key, "conv2d")
    d = _with("data.name", "digits")
    d["model"]["layers"] = [{"kind": "flatten"}, {"kind": kind, key: value}]
    msg = _error(d)
    assert msg.startswith(f"model.layers[1].{key}: must be between")
    assert _got(msg) == value


def test_layer_spec_alone_names_its_field() -> None:
    with pytest.raises(ConfigError, match=r"^units: must be between 1 and 512, got 0$"):
        LayerSpec(units=0)


UNKNOWN_ENUMS = [
    "data.name",
    "data.csv_task",
    "model.layers.0.kind",
    "model.layers.0.activation",
    "model.layers.0.init",
    "train.loss",
    "train.optimizer",
    "train.schedule",
    "train.device",
]


@pytest.mark.parametrize("path", UNKNOWN_ENUMS)
def test_unknown_enum_value(path: str) -> None:
    msg = _error(_with(path, "bogus"))
    field = path.replace(".0.", "[0].")
    assert msg.startswith(f"{field}: unknown value 'bogus'; one of [")


def test_other_data_rules() -> None:
    assert _error(_with("data.n_classes", 1)).startswith("data.n_classes: must be between")
    assert _error(_with("data.n_classes", 11)).startswith("data.n_classes: must be between")
    msg = _error(_with("data.n_classes", 3))  # circle has two classes
    assert msg.startswith("data.n_classes:") and "3" in msg
    assert DataConfig(name=DatasetName.SPIRAL, n_classes=3).num_classes == 3
    msg = _error(_with("data.features", ["x1", "x3"]))
    assert msg.startswith("data.features[1]: unknown feature 'x3'")
    msg = _error(_with("data.features", ["x1", "x1"]))
    assert msg.startswith("data.features: repeated feature") and "'x1'" in msg
    too_many = ["x1"] * (MAX_CUSTOM_FEATURES + 1)
    assert _error(_with("data.custom_features", too_many)).startswith("data.custom_features:")
    assert _error(_with("data.features", [])).startswith("data.features: pick at least one")
    assert _error(_with("data.name", "csv")).startswith("data.csv_path:")


def test_model_rules() -> None:
    layers = [{"kind": "dense"}] * (MAX_LAYERS + 1)
    msg = _error(_with("model.layers", layers))
    assert msg.startswith("model.layers: at most") and str(MAX_LAYERS + 1) in msg
    msg = _error(_with("model.output_activation", "swish"))
    assert msg.startswith("model.output_activation: unknown 'swish'")
    for act in ["auto", *[a.value for a in Activation]]:
        assert RunConfig.from_dict(_with("model.output_activation", act))


@pytest.mark.parametrize("kind", ["conv2d", "maxpool2d", "avgpool2d"])
def test_spatial_layer_on_2d_data(kind: str) -> None:
    d = copy.deepcopy(DEFAULT)
    d["model"]["layers"] = [{"kind": "dense"}, {"kind": kind}]
    assert _error(d).startswith(f"model.layers[1]: {kind} needs image data")
    d["data"]["name"] = "digits"
    assert RunConfig.from_dict(d).model.layers[1].kind == LayerKind(kind)


@pytest.mark.parametrize("loss", ["cross_entropy", "bce"])
def test_classification_loss_on_regression(loss: str) -> None:
    d = _with("data.name", "reg-plane")
    d["train"]["loss"] = loss
    assert _error(d) == f"train.loss: {loss!r} needs a classification dataset"
    d["data"]["name"] = "csv"
    d["data"]["csv_path"] = "x.csv"
    d["data"]["csv_task"] = "regression"
    assert _error(d).startswith("train.loss:")
    d["data"]["csv_task"] = "classification"
    assert RunConfig.from_dict(d).data.task == Task.CLASSIFICATION


# ---- with_value --------------------------------------------------------------------------------


def test_with_value_sets_fields_and_validates() -> None:
    cfg = RunConfig()
    assert with_value(cfg, "train.lr", 0.1).train.lr == 0.1
    assert with_value(cfg, "data.noise", 25).data.noise == 25.0
    assert with_value(cfg, "train.optimizer", "adam").train.optimizer.value == "adam"
    assert cfg == RunConfig()  # the original is untouched
    with pytest.raises(ConfigError, match=r"^train\.lr: must be between .* got -1(\.0)?$"):
        with_value(cfg, "train.lr", -1)


def test_with_value_on_nested_and_list_paths() -> None:
    cfg = RunConfig()
    new = with_value(cfg, "model.layers.1.units", 7)
    assert [s.units for s in new.model.layers] == [cfg.model.layers[0].units, 7]
    new = with_value(cfg, "model.layers.0.activation", "relu")
    assert new.model.layers[0].activation == Activation.RELU
    assert with_value(cfg, "data.features.1", "x1^2").data.features == ("x1", "x1^2")
    assert with_value(cfg, "data.features", ["x2"]).data.features == ("x2",)
    layers = [{"kind": "dense", "units": 3}]
    assert with_value(cfg, "model.layers", layers).model == ModelConfig((LayerSpec(units=3),))


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("bogus", "bogus: no such field"),
        ("bogus.lr", "bogus: no such field"),
        ("train.bogus", "train.bogus: no such field"),
        ("train.lr.x", "train.lr.x: no such field"),
        ("model.layers.5.units", "model.layers.5: no such list item"),
        ("model.layers.x.units", "model.layers.x: no such list item"),
        ("data.features.9", "data.features.9: no such list item"),
        ("model.layers.0.p", "model.layers[0].p: unknown field"),
    ],
)
def test_with_value_bad_paths(path: str, named: str) -> None:
    with pytest.raises(ConfigError) as info:
        with_value(RunConfig(), path, 1)
    assert str(info.value).startswith(named)


def test_replace_whole_sections() -> None:
    cfg = RunConfig().replace(train=TrainConfig(lr=0.5))
    assert cfg.train.lr == 0.5 and cfg.data == DataConfig()
