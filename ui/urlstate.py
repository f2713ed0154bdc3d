"""Config <-> URL query parameters, derived from the Playground's control table (pure functions).

A copied link reproduces the setup: every config field that differs from the page's default
(PAGE_DEFAULT) is one parameter, named by its row in ui.widgets.PLAYGROUND (the widget's key, or
the row's `url`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from playground.config import ConfigError, Init, ModelConfig, RunConfig, with_value
from ui.controls import Control, Table, parse_number, read
from ui.layer_tokens import layer_from_token, layer_to_token
from ui.widgets import PLAYGROUND, VIEW_KEYS

HIDE_SUFFIX = "_hide"
LESSON_PARAM = "lesson"  # ?lesson=NAME opens a guided lesson (ui/lessons_view.py)
TRUE = ("1", "true", "yes")
UI_PARAMS = tuple(k for k in VIEW_KEYS if PLAYGROUND[k].url_name)  # view toggles in the URL
__all__ = ["config_from_params", "config_to_params", "layer_from_token", "layer_to_token"]


def _page_default() -> RunConfig:
    """The default config with TensorFlow Playground's initialisation: TFP's 4-2 tanh network
    on the circle starts from U(-0.5, 0.5) weights and 0.1 biases (Init.PLAYGROUND)."""
    base = RunConfig()
    layers = tuple(dataclasses.replace(s, init=Init.PLAYGROUND) for s in base.model.layers)
    return base.replace(model=ModelConfig(layers, base.model.output_activation))


PAGE_DEFAULT = _page_default()  # the Playground page's first setup; links hold the differences


def url_rows(controls: Table = PLAYGROUND) -> list[Control]:
    """The rows of config fields that travel in the URL, in the order they are applied."""
    return [c for c in controls.values() if c.path and c.url_name]


def config_to_params(
    cfg: RunConfig, controls: Table = PLAYGROUND, default: RunConfig = PAGE_DEFAULT
) -> dict[str, str]:
    """Query parameters holding every field that differs from the page's default."""
    params = {}
    for c in url_rows(controls):
        value = read(cfg, c.path)
        if value != read(default, c.path):
            params[c.url_name] = _to_text(c, value)
    return params


def _to_text(c: Control, value: Any) -> str:
    if c.url_fmt is not None:
        return c.url_fmt(value)
    if isinstance(value, tuple):
        return c.url_sep.join(value) or "none"
    if isinstance(value, bool):
        return str(value).lower()
    return str(getattr(value, "value", value))


def config_from_params(
    params: Mapping[str, str], base: RunConfig | None = None, controls: Table = PLAYGROUND
) -> tuple[RunConfig, list[str]]:
    """Apply known query parameters to base (the page's default); returns the config and one
    message per bad value, which is dropped (the rest of the link still applies)."""
    cfg, errors = base or PAGE_DEFAULT, []
    for c in url_rows(controls):  # data before train: later checks see the dataset
        raw = params.get(c.url_name)
        if raw is None:
            continue
        try:
            cfg = with_value(cfg, c.path, _from_text(c, raw, read(cfg, c.path)))
        except (ConfigError, TypeError, ValueError) as e:
            errors.append(f"URL parameter {c.url_name}={raw!r} ignored: {e}")
    return cfg, errors


def _from_text(c: Control, raw: str, current: Any) -> Any:
    if c.url_parse is not None:
        return c.url_parse(raw)
    if isinstance(current, tuple):
        return [] if raw in ("", "none") else raw.split(c.url_sep)
    if isinstance(current, bool):
        return raw.lower() in TRUE
    if isinstance(current, (int, float)):
        return _number(raw, type(current))
    return raw


def _number(raw: str, kind: type) -> float | int:
    value = parse_number(raw)  # digits 0-9 only: float() would take "٣" and "nan"
    return int(value) if kind is int and value.is_integer() else value


def view_from_params(params: Mapping[str, str]) -> dict[str, bool]:
    """The view toggles a link sets (show_test=true, ...); the others off."""
    return {k: params.get(PLAYGROUND[k].url_name, "false") == "true" for k in UI_PARAMS}


def view_to_params(view: Mapping[str, Any]) -> dict[str, str]:
    """The view toggles that are on, as query parameters."""
    return {PLAYGROUND[k].url_name: "true" for k in UI_PARAMS if view.get(k)}


def hidden_controls(params: Mapping[str, str]) -> frozenset[str]:
    """Controls a teacher hid with `<control>_hide=true` (TensorFlow Playground's convention)."""
    return frozenset(
        k[: -len(HIDE_SUFFIX)]
        for k, v in params.items()
        if k.endswith(HIDE_SUFFIX) and v.lower() in TRUE
    )


def hide_params(params: Mapping[str, str]) -> dict[str, str]:
    """The `<control>_hide` parameters and the lesson, kept as they are in the page's URL."""
    return {k: v for k, v in params.items() if k.endswith(HIDE_SUFFIX) or k == LESSON_PARAM}
