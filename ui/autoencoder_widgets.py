"""The Autoencoder page's widget <-> config table (AE), its state and its widget groups."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import streamlit as st

from playground.choices import TWO_D_SETS, DatasetName
from playground.config import ConfigError, RunConfig
from playground.presets import get_preset
from playground.settings.ae import AeVariant
from ui.controls import (
    NUMBER,
    RADIO,
    SELECT,
    SLIDER,
    TEXT,
    Control,
    Values,
    config_from_widgets,
    draw,
    init_state,
    table,
    widget_values,
)
from ui.layer_tokens import layers_from_url, layers_to_url
from ui.state import get_session
from ui.widgets import LEARNING_RATES

PRESET = "ae-digits"
DATASETS = ["digits", "moons", "circle", "gauss", "xor", "spiral", "blobs"]
VARIANTS = {"plain": "plain", "denoising": "denoising", "vae": "variational (VAE)"}
BETAS = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
MAX_PAGE_LATENT = 8


@dataclass
class AutoencoderState:
    """The page's last valid setup (None until the page first runs)."""

    config: RunConfig | None = None


def page_state() -> AutoencoderState:
    """This tab's Autoencoder state, created on first use."""
    return get_session().pages.setdefault("autoencoder", AutoencoderState())


def initial_config() -> RunConfig:
    """The page's first setup: the ae-digits preset, stopping on epochs rather than steps."""
    cfg = get_preset(PRESET)
    return cfg.replace(train=dataclasses.replace(cfg.train, max_steps=0, max_epochs=300))


def _on_data() -> None:
    """A 2-D set gets 1 bottleneck unit (2 would just copy the points), digits get 2."""
    is_2d = DatasetName(st.session_state["ae_data"]) in TWO_D_SETS
    st.session_state["ae_latent"] = 1 if is_2d else 2


def _put_layers(d: dict, v: Values) -> None:
    d["model"]["layers"] = layers_from_url(str(v["ae_layers"]).strip().replace(" ", ""))


def _is(variant: AeVariant) -> object:
    return lambda v: v.get("ae_variant") == variant.value


AE = table(
    Control("ae_data", "data.name", SELECT, "Data", options=DATASETS, on_change=_on_data,
            help="8x8 digits (64 pixels), or a 2-D point set (the autoencoder then reconstructs "
            "the points x1, x2)."),
    Control("ae_variant", "ae.variant", RADIO, "Autoencoder", options=list(VARIANTS),
            widget_options={"format_func": VARIANTS.get},
            help="plain: input -> bottleneck -> reconstruction. denoising: the encoder sees the "
            "input with Gaussian noise added and must reconstruct the clean one. variational: "
            "the encoder gives a mean and a spread per bottleneck unit, the decoder gets a sample "
            "(z = mu + sigma * eps), and a KL term pulls the codes towards N(0, 1)."),
    Control("ae_latent", "ae.latent", NUMBER, "Bottleneck units", lo=1, hi=MAX_PAGE_LATENT,
            parse=int,
            help="Size of the code between encoder and decoder. 2 can be drawn as a plane; with "
            "more, the charts show the first two and hold the others at their mean."),
    Control("ae_noise", "ae.noise", SLIDER, "Input noise (std)", lo=0.05, hi=1.0, step=0.05,
            when=_is(AeVariant.DENOISING),
            help="Standard deviation of the Gaussian noise added to every input value while "
            "training (pixels are 0 to 1)."),
    Control("ae_beta", "ae.beta", SELECT, "β: weight of the KL term", options=BETAS,
            parse=float, when=_is(AeVariant.VAE), widget_options={"accept_new_options": True},
            help="The loss is the squared error summed over the inputs plus β x KL. Larger β: "
            "a tidier latent plane, blurrier reconstructions. Changing it starts a new run."),
    Control("ae_layers", kind=TEXT, label="Encoder hidden layers",
            get=lambda c: layers_to_url(c.model.layers), put=_put_layers,
            help="Comma-separated layers before the bottleneck, e.g. 64:elu,32:elu (units:"
            "activation[:init]) or conv2d:8:3:1:1:relu for a conv layer on digits; 'none' for "
            "a linear autoencoder. The decoder mirrors the dense ones."),
    Control("ae_lr", "train.lr", SELECT, "Learning rate", options=LEARNING_RATES, parse=float,
            widget_options={"accept_new_options": True},
            help="Adam's step size. Changes live while it trains."),
    Control("ae_batch", "train.batch_size", NUMBER, "Batch size", lo=1, hi=1024, parse=int,
            help="Examples per update. Changes live."),
    Control("ae_epochs", "train.max_epochs", NUMBER, "Stop after epochs", lo=0, hi=10**6,
            parse=int, help="Stop after this many passes over the training set (0 = never)."),
    # view settings: the latent point to decode
    Control("ae_z1", kind=NUMBER, label="z1", default=0.0, step=0.1,
            help="First latent coordinate to decode (or click the latent chart)."),
    Control("ae_z2", kind=NUMBER, label="z2", default=0.0, step=0.1,
            help="Second latent coordinate to decode (or click the latent chart)."),
)  # fmt: skip

MODEL_KEYS = ("ae_data", "ae_variant", "ae_latent", "ae_noise", "ae_beta", "ae_layers")
TRAIN_KEYS = ("ae_lr", "ae_batch", "ae_epochs")


def ae_config(base: RunConfig) -> RunConfig:
    """The RunConfig the ae_ widgets describe; ConfigError naming the field if it is invalid."""
    return config_from_widgets(AE, base, st.session_state)


def start_values(cfg: RunConfig) -> None:
    """Fill in every ae_ widget that has no value yet from cfg."""
    init_state(widget_values(AE, cfg))


def controls(keys: tuple[str, ...]) -> None:
    """Draw the controls named (those whose condition holds)."""
    for key in keys:
        c = AE[key]
        if c.when is None or c.when(st.session_state):
            draw(c)


def picked_point() -> tuple[float, float]:
    """The latent point chosen to decode (z1, z2)."""
    return float(st.session_state["ae_z1"]), float(st.session_state["ae_z2"])


def pick_from_chart() -> None:
    """on_select of the latent chart: the clicked spot becomes (z1, z2)."""
    event = st.session_state.get("ae_latent_chart")
    points = event.selection.points if event is not None else []
    if points:
        st.session_state["ae_z1"] = round(float(points[0]["x"]), 3)
        st.session_state["ae_z2"] = round(float(points[0]["y"]), 3)


def refuse(e: ConfigError) -> str:
    """The message shown for a setup that cannot run."""
    return f"{e} — the current run keeps going with the last valid setup."
