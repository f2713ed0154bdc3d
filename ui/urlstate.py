"""Config <-> URL query parameters, so a copied link reproduces the setup (pure functions)."""

from __future__ import annotations

import dataclasses

from playground.config import (
    _KIND_FIELDS,
    ConfigError,
    LayerKind,
    LayerSpec,
    RunConfig,
    with_value,
)

# Short URL names: "seed" is the training seed, "data_seed" the data's.
_RENAME = {"data.seed": "data_seed", "data.name": "dataset", "train.seed": "seed"}
LIST_FIELDS = frozenset({"data.features", "data.custom_features"})
_SEP = {"data.features": ",", "data.custom_features": "|"}  # expressions may hold commas
UI_PARAMS = ("show_test", "discretize")  # view toggles that are not part of the RunConfig
HIDE_SUFFIX = "_hide"


def _paths() -> dict[str, str]:
    """URL name -> dotted config path for every data and train field, plus the layers."""
    out = {}
    for section in ("data", "train"):
        for f in dataclasses.fields(getattr(RunConfig(), section)):
            path = f"{section}.{f.name}"
            out[_RENAME.get(path, f.name)] = path
    out["layers"] = "model.layers"
    out["output_activation"] = "model.output_activation"
    return out


URL_FIELDS = _paths()


def layer_to_token(spec: LayerSpec) -> str:
    """'8:tanh:xavier_uniform' for dense; 'conv2d:8:3:1:1:relu:he' style for the others."""
    d = spec.to_dict()
    values = [str(d[k]) for k in _KIND_FIELDS[spec.kind]]
    head = [] if spec.kind == LayerKind.DENSE else [spec.kind.value]
    return ":".join(head + values)


def layer_from_token(token: str) -> dict:
    """The inverse of layer_to_token, as a plain dict for RunConfig.from_dict."""
    parts = token.split(":")
    kind = LayerKind.DENSE
    if parts[0] in {k.value for k in LayerKind}:
        kind = LayerKind(parts.pop(0))
    names = _KIND_FIELDS[kind]
    if len(parts) > len(names):
        raise ConfigError(f"layers: {token!r} has too many parts for a {kind.value} layer")
    d: dict = {"kind": kind.value}
    for name, raw in zip(names, parts):
        d[name] = (
            _number(raw)
            if name in ("units", "channels", "kernel", "stride", "padding", "p")
            else raw
        )
    return d


def _number(raw: str) -> float | int:
    try:
        return int(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"layers: {raw!r} is not a number") from None


def config_to_params(cfg: RunConfig) -> dict[str, str]:
    """Query parameters holding every field that differs from the defaults."""
    default, current = RunConfig().to_dict(), cfg.to_dict()
    params = {}
    for name, path in URL_FIELDS.items():
        value, base = _get(current, path), _get(default, path)
        if value == base:
            continue
        if path == "model.layers":
            params[name] = ",".join(layer_to_token(s) for s in cfg.model.layers) or "none"
        elif path in LIST_FIELDS:
            params[name] = _SEP[path].join(value) or "none"
        else:
            params[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return params


def config_from_params(
    params: dict[str, str], base: RunConfig | None = None
) -> tuple[RunConfig, list[str]]:
    """Apply known query parameters to base; returns the config and one message per bad one."""
    cfg, errors = base or RunConfig(), []
    for name, path in URL_FIELDS.items():  # data before train: later checks see the dataset
        if name not in params:
            continue
        raw = params[name]
        try:
            cfg = with_value(cfg, path, _parse(path, raw, cfg))
        except (ConfigError, ValueError) as e:
            errors.append(f"URL parameter {name}={raw!r} ignored: {e}")
    return cfg, errors


def _parse(path: str, raw: str, cfg: RunConfig):
    if path == "model.layers":
        return [] if raw in ("", "none") else [layer_from_token(t) for t in raw.split(",")]
    if path in LIST_FIELDS:
        return [] if raw in ("", "none") else raw.split(_SEP[path])
    current = _get(cfg.to_dict(), path)
    if isinstance(current, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(current, (int, float)):
        return _number_or_fail(raw, type(current))
    return raw


def _number_or_fail(raw: str, kind: type):
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a number") from None
    return int(value) if kind is int and value.is_integer() else value


def _get(d: dict, path: str):
    for key in path.split("."):
        d = d[key]
    return d


def hidden_controls(params: dict[str, str]) -> frozenset[str]:
    """Controls a teacher hid with `<control>_hide=true` (TensorFlow Playground's convention)."""
    return frozenset(
        k[: -len(HIDE_SUFFIX)]
        for k, v in params.items()
        if k.endswith(HIDE_SUFFIX) and v.lower() in ("1", "true", "yes")
    )
