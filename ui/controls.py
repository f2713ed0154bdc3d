"""Declarative widget <-> config tables: a Control per widget, from which its initial value,
its part of the RunConfig, its URL parameter and the widget itself are all derived.

Like TensorFlow Playground's State.PROPS: a row names the widget's key, the config field it
edits (a dotted path such as "train.lr"), the widget's kind, choices or range, and how a config
value becomes a widget value (`fmt`) and back (`parse`). A row whose value is not one config
field says how to read it from the config (`get`) and write it into the config (`put`); a row
without a widget kind lives only in the URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import streamlit as st

from playground.config import ConfigError, RunConfig

RADIO, SLIDER, SELECT, SELECT_SLIDER = "radio", "slider", "select", "select_slider"
NUMBER, CHECKBOX, TOGGLE, TEXT, CHECKS = "number", "checkbox", "toggle", "text", "checks"
Values = Mapping[str, Any]  # widget key -> value (st.session_state, or a plain dict in tests)


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
