"""The SOM page's widget <-> config table (SOM) and its widget groups."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import streamlit as st

from playground.choices import ModelKind
from playground.config import MAX_SEED, RunConfig
from playground.presets import PRESETS, get_preset
from playground.settings.som import MAX_SIDE, SomInit, Topology
from ui.controls import (
    NUMBER,
    RADIO,
    SELECT,
    SELECT_SLIDER,
    SLIDER,
    Control,
    Values,
    config_from_widgets,
    draw,
    draw_rows,
    init_state,
    table,
    widget_values,
)
from ui.state import get_session

START = "som-2d"
SPEEDS = {"max": 0.0, "3000/s": 3000.0, "1000/s": 1000.0, "300/s": 300.0, "100/s": 100.0,
          "10/s": 10.0}  # steps (examples) per second  # fmt: skip
DATASETS = ("moons", "circle", "spiral", "blobs", "xor", "gauss", "digits")
VIEW_KEYS = ("som_preset",)


@dataclass
class SomState:
    """The page's config (None until the page first runs: then its first preset)."""

    config: RunConfig | None = None


def get_state() -> SomState:
    """This tab's SomState, kept in the tab's Session under pages["som"]."""
    return get_session().pages.setdefault("som", SomState())


def som_presets() -> list[str]:
    """Names of the presets of self-organising maps."""
    return [n for n, (_, cfg) in PRESETS.items() if cfg.kind == ModelKind.SOM]


def page_preset(name: str) -> RunConfig:
    """A preset as the page runs it: until paused (no step limit)."""
    cfg = get_preset(name)
    return cfg.replace(train=dataclasses.replace(cfg.train, max_steps=0, max_epochs=0))


def load_preset() -> None:
    """Put the chosen preset's values into every setup widget."""
    values = som_values(page_preset(st.session_state["som_preset"]))
    init_state({k: v for k, v in values.items() if k not in VIEW_KEYS}, force=True)


def _put_data(d: dict, v: Values) -> None:
    """Digits take all their images; the 2-D sets TensorFlow Playground's 500 points."""
    digits = v["som_data"] == "digits"
    d["data"] |= {"name": v["som_data"], "n_samples": 1797 if digits else 500,
                  "train_ratio": 0.7 if digits else 0.5}  # fmt: skip


def _is_2d(v: Values) -> bool:
    return v["som_data"] != "digits"


SOM = table(
    Control("som_preset", kind=SELECT, label="Preset", default=START,
            options=lambda v: som_presets(), on_change=load_preset,
            help="Load a known setup: a map over two moons, or over 8x8 digits."),
    Control("som_data", kind=RADIO, label="Data", options=DATASETS, put=_put_data,
            get=lambda c: c.data.name.value, widget_options={"horizontal": True},
            help="What the map learns: points of a 2-D set (the map is drawn as a net over "
            "them) or 8x8 digit images (each prototype drawn as an image)."),
    Control("som_noise", "data.noise", SLIDER, "Noise (%)", lo=0, hi=50, parse=float,
            when=_is_2d, help="How much the 2-D points are jittered."),
    Control("som_width", "som.width", NUMBER, "Width", lo=1, hi=MAX_SIDE, parse=int,
            help="Units per row of the map."),
    Control("som_height", "som.height", NUMBER, "Height", lo=1, hi=MAX_SIDE, parse=int,
            help="Rows of the map."),
    Control("som_topology", "som.topology", RADIO, "Grid", options=[t.value for t in Topology],
            widget_options={"horizontal": True},
            help="hexagonal: each unit has 6 neighbours (odd rows shifted by half a unit); "
            "square: 4. Neighbours are the links drawn and define the topographic error."),
    Control("som_init", "som.init", RADIO, "Start", options=[i.value for i in SomInit],
            widget_options={"horizontal": True},
            help="uniform: prototypes at random over the data's bounding box; sample: at "
            "randomly chosen training examples."),
    Control("som_lr", "som.lr", NUMBER, "Learning rate", lo=1e-6, hi=1.0, step=0.05,
            parse=float, widget_options={"format": "%.3f"},
            help="How far the winning unit moves towards each example at step 0: "
            "w += lr * h * (x - w)."),
    Control("som_lr_end", "som.lr_end", NUMBER, "... decays to", lo=1e-6, hi=1.0, step=0.005,
            parse=float, widget_options={"format": "%.3f"},
            help="The learning rate after the decay steps (exponential decay, then held)."),
    Control("som_radius", "som.radius", NUMBER, "Radius σ", lo=0.0, hi=2.0 * MAX_SIDE,
            step=0.5, parse=float,
            help="Neighbourhood width at step 0, in grid units: h = exp(-d² / 2σ²) with d the "
            "grid distance to the winning unit. 0 = half the map's longer side."),
    Control("som_radius_end", "som.radius_end", NUMBER, "... decays to", lo=0.01,
            hi=2.0 * MAX_SIDE, step=0.1, parse=float,
            help="σ after the decay steps: small, so each unit ends up fitting its own region."),
    Control("som_decay", "som.decay_steps", NUMBER, "Decay steps", lo=1, hi=10**9, step=1000,
            parse=int, help="Steps (one example each) over which lr and σ decay."),
    Control("som_seed", "train.seed", NUMBER, "Seed", lo=0, hi=MAX_SEED, parse=int,
            help="Seeds the starting prototypes and the order of the examples."),
    Control("som_speed", "train.steps_per_s", SELECT_SLIDER, "Speed", options=list(SPEEDS),
            fmt=lambda v: next((k for k, x in SPEEDS.items() if x == v), "max"),
            parse=SPEEDS.__getitem__,
            help="Examples per second: slow it down to watch the map unfold. Changes live."),
)  # fmt: skip


def som_values(cfg: RunConfig) -> dict[str, Any]:
    """Every som_ widget's value for a config (the inverse of som_config)."""
    return widget_values(SOM, cfg)


def som_config(base: RunConfig) -> RunConfig:
    """The RunConfig the som_ widgets describe; ConfigError naming the field if invalid."""
    return config_from_widgets(SOM, base, st.session_state)


def setup_controls() -> None:
    """Preset, data, the map's shape and its start."""
    draw(SOM["som_preset"])
    draw_rows(SOM, [["som_data"], ["som_noise"], ["som_width", "som_height"], ["som_topology"],
                    ["som_init"]])  # fmt: skip


def schedule_controls() -> None:
    """Speed, learning rate and radius, their decay, the seed."""
    draw_rows(SOM, [["som_speed"], ["som_lr", "som_lr_end"], ["som_radius", "som_radius_end"],
                    ["som_decay"], ["som_seed"]])  # fmt: skip
