"""The URL form of a model's layers: "8:tanh:xavier_uniform,dropout:0.1"."""

from __future__ import annotations

from playground.config import ConfigError, Init, LayerKind, LayerSpec
from playground.settings.base import KIND_FIELDS
from ui.controls import parse_number


def layer_to_token(spec: LayerSpec) -> str:
    """'8:tanh:xavier_uniform' for dense; 'conv2d:8:3:1:1:relu:he' style for the others."""
    d = spec.to_dict()
    values = [str(d[k]) for k in KIND_FIELDS[spec.kind]]
    head = [] if spec.kind == LayerKind.DENSE else [spec.kind.value]
    return ":".join(head + values)


def layer_from_token(token: str) -> dict:
    """The inverse of layer_to_token, as a plain dict for RunConfig.from_dict; a dense token
    without its init ("8:tanh") gets the page's, TensorFlow Playground's."""
    parts = token.split(":")
    kind = LayerKind.DENSE
    if parts[0] in {k.value for k in LayerKind}:
        kind = LayerKind(parts.pop(0))
    names = KIND_FIELDS[kind]
    if len(parts) > len(names):
        raise ConfigError(f"layers: {token!r} has too many parts for a {kind.value} layer")
    numeric = ("units", "channels", "kernel", "stride", "padding", "p")
    default = {"init": Init.PLAYGROUND.value} if kind == LayerKind.DENSE else {}
    return (
        {"kind": kind.value}
        | default
        | {name: _number(raw) if name in numeric else raw for name, raw in zip(names, parts)}
    )


def _number(raw: str) -> float | int:
    try:
        value = parse_number(raw)  # digits 0-9 only: int() would take "٣"
    except ConfigError:
        raise ConfigError(f"layers: {raw!r} is not a number written with 0-9") from None
    return int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower() else value


def layers_to_url(layers: tuple[LayerSpec, ...]) -> str:
    """Every layer's token, comma-separated ("none" for no hidden layer)."""
    return ",".join(layer_to_token(s) for s in layers) or "none"


def layers_from_url(raw: str) -> list[dict]:
    """The inverse of layers_to_url."""
    return [] if raw in ("", "none") else [layer_from_token(t) for t in raw.split(",")]
