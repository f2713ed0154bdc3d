"""The GAN page's state (Session.pages["gan"]), its widget <-> config table (GAN) and groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from playground.config import Activation, ConfigError, Optimizer, RunConfig, with_value
from playground.data.points import parse_points
from playground.figures.gan import points_editor
from playground.preset_sets.gan import SMILE
from playground.presets import get_preset
from playground.settings.gan import MAX_NOISE_DIM, POINT_BOUND, GanLoss
from ui.controls import (
    NUMBER,
    RADIO,
    SELECT,
    TEXT,
    TOGGLE,
    Control,
    Values,
    config_from_widgets,
    draw,
    init_state,
    table,
    widget_values,
)
from ui.state import get_session
from ui.widgets import LEARNING_RATES

SETUPS = {  # the "Start from" box -> preset names
    "ring of 8 Gaussians": "gan-ring",
    "ring, generator too fast (mode collapse)": "gan-ring-collapse",
    "two moons": "gan-moons",
    "a line": "gan-line",
    "drawn points (a smile)": "gan-points",
}
COLLAPSE = "ring, generator too fast (mode collapse)"
DATA = ("ring", "moons", "line", "points")
ACTS = ("leaky_relu", "relu", "tanh", "elu", "silu")
MAX_GAN_LAYERS, MAX_GAN_UNITS = 6, 256
PAGE_STEPS = 20_000  # the page's runs stop here (a preset's own stop is for headless runs)


@dataclass
class GanState:
    """The GAN page: its last valid config."""

    config: RunConfig | None = None


def gan_state() -> GanState:
    """This tab's GAN page state."""
    return get_session().pages.setdefault("gan", GanState())


def _layers(n: int, units: int, act: str) -> list[dict[str, Any]]:
    init = "kaiming_uniform" if act in ("relu", "leaky_relu", "elu", "silu") else "xavier_uniform"
    return [{"kind": "dense", "units": units, "activation": act, "init": init}] * n


def _put_nets(d: dict, v: Values) -> None:
    act = v["gan_act"]
    d["model"]["layers"] = _layers(int(v["gan_g_layers"]), int(v["gan_g_units"]), act)
    d["gan"]["d_layers"] = _layers(int(v["gan_d_layers"]), int(v["gan_d_units"]), act)


def _put_points(d: dict, v: Values) -> None:
    is_drawn = v["gan_data"] == "points"
    d["gan"]["points"] = [list(p) for p in parse_points(v["gan_points"])] if is_drawn else []


def _first(layers: tuple, field: str, default: Any) -> Any:
    return getattr(layers[0], field) if layers else default


def _on_setup() -> None:
    load_setup(SETUPS[st.session_state["gan_setup"]])


GAN = table(
    Control("gan_setup", kind=SELECT, label="Start from", options=list(SETUPS),
            default=next(iter(SETUPS)), on_change=_on_setup,
            help="A ready setup; picking one loads all its settings (and starts a new run)."),
    Control("gan_data", "data.name", RADIO, "Real data", options=DATA,
            widget_options={"horizontal": True},
            help="The distribution the generator must learn to imitate. ring: 8 Gaussian modes "
            "(mode collapse shows here); points: your own points, each a mode."),
    Control("gan_points", kind=TEXT, label="Drawn points (one 'x1, x2' per line)",
            get=lambda c: "\n".join(f"{x:g}, {y:g}" for x, y in c.gan.points or SMILE),
            put=_put_points, when=lambda v: v["gan_data"] == "points",
            help="Each point is the centre of a small Gaussian (sigma 0.2) of real data; x1 and "
            "x2 between -6 and 6, at most 64 points."),
    Control("gan_samples", "data.n_samples", NUMBER, "Real points", lo=100, hi=20000,
            parse=int, help="How many real points are drawn (half for training)."),
    Control("gan_noise", "gan.noise_dim", NUMBER, "Noise dimensions", lo=1, hi=MAX_NOISE_DIM,
            parse=int, help="The generator's input z ~ N(0, I) has this many dimensions."),
    Control("gan_g_layers", kind=NUMBER, label="G hidden layers", lo=0, hi=MAX_GAN_LAYERS,
            get=lambda c: len(c.model.layers), put=_put_nets,
            help="Hidden layers of the generator (noise -> layers -> x1, x2)."),
    Control("gan_g_units", kind=NUMBER, label="G neurons", lo=1, hi=MAX_GAN_UNITS,
            get=lambda c: _first(c.model.layers, "units", 64), put=lambda d, v: None,
            help="Neurons in each of the generator's hidden layers."),
    Control("gan_d_layers", kind=NUMBER, label="D hidden layers", lo=0, hi=MAX_GAN_LAYERS,
            get=lambda c: len(c.gan.d_layers), put=lambda d, v: None,
            help="Hidden layers of the discriminator (x1, x2 -> layers -> P(real))."),
    Control("gan_d_units", kind=NUMBER, label="D neurons", lo=1, hi=MAX_GAN_UNITS,
            get=lambda c: _first(c.gan.d_layers, "units", 64), put=lambda d, v: None,
            help="Neurons in each of the discriminator's hidden layers."),
    Control("gan_act", kind=SELECT, label="Activation", options=ACTS,
            get=lambda c: _first(c.model.layers, "activation", Activation.LEAKY_RELU).value,
            put=lambda d, v: None, help="The hidden layers' non-linearity (both networks)."),
    Control("gan_g_lr", "train.lr", SELECT, "G learning rate", options=LEARNING_RATES,
            parse=float, widget_options={"accept_new_options": True},
            help="The generator's step size. Changes live."),
    Control("gan_d_lr", "gan.d_lr", SELECT, "D learning rate", options=LEARNING_RATES,
            parse=float, widget_options={"accept_new_options": True},
            help="The discriminator's step size. Changing it starts a new run."),
    Control("gan_k", "gan.k_steps", NUMBER, "D steps per G step (k)", lo=1, hi=10, parse=int,
            help="Discriminator updates before each generator update."),
    Control("gan_loss", "gan.loss", RADIO, "Generator loss", options=[x.value for x in GanLoss],
            widget_options={"horizontal": True},
            help="non_saturating: G minimises -log D(G(z)); minimax: G minimises "
            "log(1 - D(G(z))), whose gradient vanishes while D easily spots the fakes."),
    Control("gan_optimizer", "train.optimizer", SELECT, "Optimizer",
            options=[o.value for o in Optimizer], help="Both networks' optimizer."),
    Control("gan_batch", "train.batch_size", NUMBER, "Batch size", lo=1, hi=1024, parse=int,
            help="Real points (and as many fakes) per update. Changes live."),
    Control("gan_steps", "train.max_steps", NUMBER, "Stop after steps", lo=0, hi=10**7,
            parse=int, help="Stop after this many generator steps (0 = never). Changes live."),
    Control("gan_heat", kind=TOGGLE, label="Heatmap", default=True,
            help="The discriminator's probability that a point is real, over the plane."),
    Control("gan_arrows", kind=TOGGLE, label="Gradient arrows", default=True,
            help="On 150 generated samples: where the next generator step pushes each one."),
)  # fmt: skip


def gan_values(cfg: RunConfig) -> dict[str, Any]:
    """Every gan_ widget's value for a config (view settings included)."""
    return widget_values(GAN, cfg)


def setup_config(preset: str) -> RunConfig:
    """A preset as the page runs it: stopping after PAGE_STEPS."""
    cfg = get_preset(preset)
    return with_value(cfg, "train.max_steps", PAGE_STEPS)


def load_setup(preset: str) -> None:
    """Set every config widget from a preset (before the widgets are drawn)."""
    values = gan_values(setup_config(preset))
    view = ("gan_setup", "gan_heat", "gan_arrows")
    init_state({k: v for k, v in values.items() if k not in view}, force=True)


def provoke_collapse() -> None:
    """The collapse button: load the setup whose generator outruns its discriminator."""
    st.session_state["gan_setup"] = COLLAPSE
    load_setup(SETUPS[COLLAPSE])


def gan_config(base: RunConfig) -> RunConfig:
    """The RunConfig the gan_ widgets describe (ConfigError naming the field otherwise)."""
    return config_from_widgets(GAN, base, st.session_state)


def data_controls() -> None:
    """Setup, real data (and the drawn points), and its size."""
    for key in ("gan_setup", "gan_data"):
        draw(GAN[key])
    if st.session_state["gan_data"] == "points":
        c = GAN["gan_points"]
        st.text_area(c.label, key=c.key, help=c.help, height=140)
        _points_editor()
    draw(GAN["gan_samples"])


def network_controls() -> None:
    """Both networks' sizes, the activation and the noise dimension."""
    for row in (("gan_g_layers", "gan_g_units"), ("gan_d_layers", "gan_d_units")):
        for col, key in zip(st.columns(2), row):
            draw(GAN[key], col)
    for col, key in zip(st.columns(2), ("gan_act", "gan_noise")):
        draw(GAN[key], col)


def train_controls() -> None:
    """Learning rates, k, the generator's loss, optimizer, batch and stop."""
    for key in ("gan_g_lr", "gan_d_lr", "gan_k", "gan_loss", "gan_optimizer", "gan_batch",
                "gan_steps"):  # fmt: skip
        draw(GAN[key])


def with_clicked(text: str, clicked: list[dict[str, Any]]) -> str:
    """The points text with each clicked plane point (a Plotly selection's points) appended."""
    lines = [line for line in text.splitlines() if line.strip()]
    lines += [f"{float(p['x']):g}, {float(p['y']):g}" for p in clicked]
    return "\n".join(lines)


def _add_clicked() -> None:
    s = st.session_state
    clicked = [p for p in s["gan_draw"]["selection"]["points"] if p.get("curve_number") == 0]
    s["gan_points"] = with_clicked(s["gan_points"], clicked)


def _points_editor() -> None:
    """Click the plane to add a point (the text above then lists it)."""
    try:
        drawn = parse_points(st.session_state["gan_points"])
    except ConfigError:
        drawn = ()
    fig = points_editor(np.array(drawn, np.float64), POINT_BOUND)
    st.plotly_chart(fig, key="gan_draw", on_select=_add_clicked, selection_mode="points",
                    config={"displayModeBar": False})  # fmt: skip
    st.caption("Click the plane to add a point; edit the text to move or remove one.")
