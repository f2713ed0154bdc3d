"""Declarative widget <-> config tables: a Control per widget, from which its initial value,
its part of the RunConfig, its URL parameter and the widget itself are all derived.

Like TensorFlow Playground's State.PROPS: a row names the widget's key, the config field it
edits (a dotted path such as "train.lr"), the widget's kind, choices or range, and how a config
value becomes a widget value (`fmt`) and back (`parse`). A row whose value is not one config
field says how to read it from the config (`get`) and write it into the config (`put`); a row
without a widget kind lives only in the URL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import streamlit as st

from playground.config import ConfigError, RunConfig

RADIO, SLIDER, SELECT, SELECT_SLIDER = "radio", "slider", "select", "select_slider"
NUMBER, CHECKBOX, TOGGLE, TEXT, CHECKS = "number", "checkbox", "toggle", "text", "checks"
Values = Mapping[str, Any]  # widget key -> value (st.session_state, or a plain dict in tests)
NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)  # digits 0-9 only


def plain(value: Any) -> Any:
    """A config value as a widget holds it: enums by their string."""
    return value.value if isinstance(value, Enum) else value


def same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Control:
    """One widget and the config field it edits (or a view setting outside the config)."""

    key: str  # the widget key; also the URL parameter's name unless `url` says otherwise
    path: str = ""  # dotted RunConfig field; "" = none (a view setting, or get/put below)
    kind: str = ""  # RADIO, SLIDER, ...; "" = no widget: the field is only in the URL
    label: str = ""
    help: str = ""
    options: Sequence[Any] | Callable[[Values], Sequence[Any]] = ()  # may depend on other widgets
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    fmt: Callable[[Any], Any] = plain  # config value -> widget value
    parse: Callable[[Any], Any] = same  # widget value -> config value
    get: Callable[[RunConfig], Any] | None = None  # widget value from the whole config
    put: Callable[[dict, Values], None] | None = None  # write the plain config dict
    default: Any = None  # the widget value of a row without a path or get
    url: str | None = ""  # URL name: "" = the key when the row has a path; None = not in the URL
    url_sep: str = ","  # joins a list field in the URL
    url_fmt: Callable[[Any], str] | None = None  # config value -> URL text (default: str)
    url_parse: Callable[[str], Any] | None = None  # URL text -> config value (default: by type)
    hide: str = ""  # the `<name>_hide=true` URL switch that hides it ("" = the key)
    when: Callable[[Values], bool] | None = None  # drawn only while this holds
    on_change: Callable[[], None] | None = None
    widget_options: Mapping[str, Any] = field(default_factory=dict)  # extra st.* arguments
    allowed: str = ""  # what a typed value may be, for messages ("" = lo to hi)

    @property
    def url_name(self) -> str | None:
        """The URL parameter holding this row, or None."""
        if self.url is None or not (self.path or self.url):
            return None
        return self.url or self.key

    @property
    def hide_name(self) -> str:
        return self.hide or self.key


Table = dict[str, Control]


def table(*controls: Control) -> Table:
    """Controls by key (keys must be unique)."""
    out: Table = {}
    for c in controls:
        if c.key in out:
            raise ValueError(f"two controls with the key {c.key!r}")
        out[c.key] = c
    return out


def check_key(prefix: str, option: str) -> str:
    """The key of one checkbox of a CHECKS row ("feat", "x1^2" -> "feat_x1_2")."""
    return f"{prefix}_" + "".join(c if c.isalnum() else "_" for c in option)


def read(cfg: RunConfig | dict, path: str) -> Any:
    """The value at a dotted path of a config or its plain dict."""
    node: Any = cfg
    for part in path.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def write(d: dict, path: str, value: Any) -> None:
    """Set a dotted path of a plain config dict."""
    *parents, last = path.split(".")
    for part in parents:
        d = d[part]
    d[last] = value


def parse_number(text: Any) -> float:
    """A typed number: plain decimal text in ASCII digits ("3", "-0.5", "1e-3"), or a number.

    float() alone would take "٣" (an Arabic-Indic 3), "1_0", "nan" and "inf".
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str) or not NUMBER_TEXT.fullmatch(text.strip()):
        raise ConfigError(f"{text!r} is not a number written with the digits 0-9")
    return float(text)


def _options(c: Control, values: Values) -> list[Any]:
    return list(c.options(values) if callable(c.options) else c.options)


# ---- config -> widgets -> config ------------------------------------------------------------


def widget_values(controls: Table, cfg: RunConfig) -> dict[str, Any]:
    """Every widget's value for a config (the inverse of config_dict)."""
    values: dict[str, Any] = {}
    for c in controls.values():
        if not c.kind:
            continue
        if c.get is not None:
            value = c.get(cfg)
        elif c.path:
            value = c.fmt(read(cfg, c.path))
        else:
            value = c.default
        if c.kind == CHECKS:
            values |= {check_key(c.key, o): o in value for o in _options(c, values)}
        else:
            values[c.key] = value
    return values


def widget_value(c: Control, values: Values) -> Any:
    """The row's widget value (a CHECKS row: the tuple of checked options)."""
    if c.kind == CHECKS:
        return tuple(o for o in _options(c, values) if values[check_key(c.key, o)])
    return values[c.key]


def config_dict(controls: Table, base: RunConfig, values: Values) -> dict:
    """base as a plain dict with every widget's field set from the widget values."""
    d = base.to_dict()
    for c in controls.values():
        if c.put is not None:
            c.put(d, values)
        elif c.kind and c.path:
            write(d, c.path, c.parse(widget_value(c, values)))
    return d


def config_from_widgets(controls: Table, base: RunConfig, values: Values) -> RunConfig:
    """The RunConfig the widgets describe (ConfigError naming the field on a bad value)."""
    try:
        return RunConfig.from_dict(config_dict(controls, base, values))
    except (TypeError, ValueError) as e:  # a typed value that is not a number
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(f"widgets: {e}") from None


# ---- typed values ----------------------------------------------------------------------------


def is_typed(c: Control) -> bool:
    """True for a widget the user types into: number and text inputs, open select boxes."""
    return c.kind in (NUMBER, TEXT) or bool(c.widget_options.get("accept_new_options"))


def allowed_text(c: Control) -> str:
    """What the control accepts, for a message ("1 to 64")."""
    if c.allowed:
        return c.allowed
    if c.lo is not None and c.hi is not None:
        return f"{c.lo:g} to {c.hi:g}"
    return "a value the control offers"


def typed_error(c: Control, value: Any, base: RunConfig, base_values: Values) -> str:
    """Why a typed value cannot be used, with every other widget at base_values ("" if it can)."""
    try:
        lo, hi = (-math.inf if c.lo is None else c.lo), (math.inf if c.hi is None else c.hi)
        if c.kind == NUMBER and not lo <= parse_number(value) <= hi:
            raise ConfigError("out of range")
        if c.path or c.put:
            config_from_widgets({c.key: c}, base, dict(base_values) | {c.key: value})
    except (ConfigError, TypeError, ValueError) as e:
        return str(e) or "not allowed"
    return ""


def check_typed(
    controls: Iterable[Control], base: RunConfig, base_values: Values, values: Values
) -> tuple[dict[str, Any], list[str]]:
    """Typed values that cannot be used: the previous value to restore for each, and one
    message per control naming it and what it accepts."""
    restore, messages = {}, []
    for c in controls:
        if not is_typed(c) or c.key not in values or c.key not in base_values:
            continue
        value, previous = values[c.key], base_values[c.key]
        if value == previous or not typed_error(c, value, base, base_values):
            continue
        restore[c.key] = previous
        messages.append(
            f"{c.label or c.key}: {value!r} is not allowed (allowed: {allowed_text(c)}); "
            f"kept {previous!r}."
        )
    return restore, messages


def number_row(key: str, label: str, lo: float, hi: float) -> Control:
    """A number input outside the table (a per-layer neuron count), for check_typed."""
    return Control(key, kind=NUMBER, label=label, lo=lo, hi=hi)


def init_state(values: Mapping[str, Any], force: bool = False) -> None:
    """Put widget values into session state before the widgets are drawn."""
    for key, value in values.items():
        if force or key not in st.session_state:
            st.session_state[key] = value


# ---- drawing --------------------------------------------------------------------------------


def is_shown(c: Control, hidden: Iterable[str] = ()) -> bool:
    """True unless the row is hidden by the URL or its condition does not hold."""
    return c.hide_name not in hidden and (c.when is None or c.when(st.session_state))


def draw(c: Control, where: Any = st, **overrides: Any) -> Any:
    """Draw the row's widget (keyed, with help) in `where`; returns its value."""
    args: dict[str, Any] = {"key": c.key, "help": c.help, **c.widget_options, **overrides}
    if c.on_change is not None:
        args.setdefault("on_change", c.on_change)
    bounds = {k: v for k, v in (("min_value", c.lo), ("max_value", c.hi)) if v is not None}
    if c.step is not None:
        bounds["step"] = c.step
    if c.kind == CHECKS:
        return _draw_checks(c, where, args)
    if c.kind in (RADIO, SELECT, SELECT_SLIDER):
        widget = {RADIO: where.radio, SELECT: where.selectbox, SELECT_SLIDER: where.select_slider}
        return widget[c.kind](c.label, _options(c, st.session_state), **args)
    if c.kind in (SLIDER, NUMBER):
        widget = where.slider if c.kind == SLIDER else where.number_input
        return widget(c.label, **(bounds | args))
    simple = {CHECKBOX: where.checkbox, TOGGLE: where.toggle, TEXT: where.text_input}
    return simple[c.kind](c.label, **args)


def _draw_checks(c: Control, where: Any, args: dict[str, Any]) -> tuple[Any, ...]:
    """One checkbox per option, in two columns."""
    cols = where.columns(2)
    args.pop("key")
    for i, option in enumerate(_options(c, st.session_state)):
        cols[i % 2].checkbox(str(option), key=check_key(c.key, option), **args)
    return widget_value(c, st.session_state)


def draw_rows(
    controls: Table, rows: Sequence[Sequence[str]], hidden: Iterable[str] = (), where: Any = st
) -> None:
    """Draw rows of controls: one key = full width, several = side by side in columns."""
    hidden = frozenset(hidden)
    for keys in rows:
        shown = [controls[k] for k in keys if is_shown(controls[k], hidden)]
        if len(keys) == 1:
            for c in shown:
                draw(c, where)
        elif shown:
            for col, c in zip(where.columns(len(keys)), shown):
                draw(c, col)


# ---- per-layer widgets: <prefix><field>_<i>, their number changing with the layers ------------

LAYER_ATTRS = {"act": "activation"}  # a layer widget's field name -> its LayerSpec attribute


def layer_widget_values(prefix: str, layers: Sequence[Any], fields: Sequence[str]) -> dict:
    """<prefix>n_layers and each layer's <prefix><field>_<i> widget value."""
    values: dict[str, Any] = {f"{prefix}n_layers": len(layers)}
    for i, spec in enumerate(layers):
        values |= {f"{prefix}{f}_{i}": plain(getattr(spec, LAYER_ATTRS.get(f, f))) for f in fields}
    return values


def added_layer_values(
    prefix: str, fields: Sequence[str], first: Any, n: int, state: Values
) -> dict[str, Any]:
    """Widget values for n layers where any not yet in `state` starts like the layer before it
    (the first like the LayerSpec `first`): a layer added with the + control."""
    base = layer_widget_values(prefix, (first,), fields)
    out: dict[str, Any] = {}
    for i in range(n):
        for f in fields:
            prev = f"{prefix}{f}_{i - 1}"
            out[f"{prefix}{f}_{i}"] = state.get(prev, out.get(prev, base[f"{prefix}{f}_0"]))
    return out
