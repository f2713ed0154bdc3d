"""What every config section shares: the error, range checks, plain conversion, LayerSpec."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any

from playground.choices import MAX_CHANNELS, MAX_HEADS, MAX_UNITS, Activation, Init, LayerKind


class ConfigError(ValueError):
    """A config value is bad; the message names the field and the value."""


def fail(path: str, msg: str) -> typing.NoReturn:
    raise ConfigError(f"{path}: {msg}")


def check_range(path: str, value: float, lo: float, hi: float) -> None:
    if not (lo <= value <= hi):
        fail(path, f"must be between {lo} and {hi}, got {str(value)[:40]}")


KIND_FIELDS: dict[LayerKind, tuple[str, ...]] = {
    LayerKind.DENSE: ("units", "activation", "init"),
    LayerKind.CONV2D: ("channels", "kernel", "stride", "padding", "activation", "init"),
    LayerKind.MAXPOOL2D: ("kernel", "stride"),
    LayerKind.AVGPOOL2D: ("kernel", "stride"),
    LayerKind.FLATTEN: (),
    LayerKind.DROPOUT: ("p",),
    LayerKind.BATCHNORM: (),
    LayerKind.RNN: ("units", "init", "dropout"),
    LayerKind.LSTM: ("units", "init", "dropout"),
    LayerKind.GRU: ("units", "init", "dropout"),
    LayerKind.EMBEDDING: ("units",),
    LayerKind.TRANSFORMER: ("units", "heads", "causal", "dropout"),
    LayerKind.RBF: ("units", "init"),
}


@dataclass(frozen=True)
class LayerSpec:
    kind: LayerKind = LayerKind.DENSE
    units: int = 4
    activation: Activation = Activation.TANH
    init: Init = Init.XAVIER_UNIFORM
    channels: int = 8
    kernel: int = 3
    stride: int = 1
    padding: int = 1
    p: float = 0.5  # a dropout layer's probability
    heads: int = 2  # transformer: attention heads (units must divide by it)
    causal: bool = True  # transformer: a position attends only to itself and earlier ones
    dropout: float = 0.0  # recurrent and transformer layers: dropout on their outputs

    def __post_init__(self) -> None:
        check_range("units", self.units, 1, MAX_UNITS)
        check_range("channels", self.channels, 1, MAX_CHANNELS)
        check_range("kernel", self.kernel, 1, 8)
        check_range("stride", self.stride, 1, 8)
        check_range("padding", self.padding, 0, 4)
        check_range("p", self.p, 0.0, 0.95)
        check_range("heads", self.heads, 1, MAX_HEADS)
        check_range("dropout", self.dropout, 0.0, 0.95)
        if self.init == Init.KMEANS and self.kind != LayerKind.RBF:
            fail("init", "kmeans places rbf centres; other layers take a weight init")
        if not isinstance(self.causal, bool):
            fail("causal", f"expected true or false, got {self.causal!r}")

    @property
    def is_trainable(self) -> bool:
        return self.kind in (LayerKind.DENSE, LayerKind.CONV2D)

    def to_dict(self) -> dict[str, Any]:
        """Only the fields that mean something for this kind of layer."""
        return {"kind": self.kind.value} | {
            k: to_plain(getattr(self, k)) for k in KIND_FIELDS[self.kind]
        }


def to_plain(obj: Any) -> Any:
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, LayerSpec):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [to_plain(x) for x in obj]
    return obj
