"""The Images page's widget <-> config table (IMAGES) and its widget groups."""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from playground.choices import WEIGHT_INITS
from playground.config import (
    MAX_CHANNELS,
    MAX_LAYERS,
    Activation,
    ConfigError,
    Init,
    LayerKind,
    LayerSpec,
    Optimizer,
    RunConfig,
)
from playground.explain.saliency import BASELINES
from playground.nn.model import build_model, output_head
from playground.presets import get_preset
from ui.controls import (
    NUMBER,
    RADIO,
    SELECT,
    TOGGLE,
    Control,
    Values,
    added_layer_values,
    config_from_widgets,
    draw,
    init_state,
    layer_widget_values,
    table,
    widget_values,
)
from ui.images_transfer import CONTROLS as TRANSFER_CONTROLS
from ui.images_transfer import freeze_values
from ui.widgets import ACTIVATIONS, LEARNING_RATES

MODELS = {"MLP": "digits-mlp", "CNN": "digits-cnn"}  # starting points -> preset names
KINDS = ("conv2d", "maxpool2d", "avgpool2d", "dense", "dropout", "batchnorm")
IMAGE_SHAPE = (1, 8, 8)  # one digit: (C, H, W)
N_CLASSES = 10
SOURCES = ("test set", "confusion cell", "drawing")
LAYER_FIELDS = ("kind", "units", "channels", "kernel", "act", "init", "p")
LAYER_HELP = {
    "kind": "conv2d: learned 2-D filters; maxpool2d/avgpool2d: halve the image by taking the "
    "max/mean of each window; dense: neurons over all inputs (the image is flattened first); "
    "dropout: randomly silences inputs while training; batchnorm: normalises activations.",
    "units": "Neurons in this dense layer.",
    "channels": "Filters (output channels) in this conv layer; each is shown as an image.",
    "kernel": "Window size in pixels. Conv layers pad to keep the size; pools use a stride "
    "equal to the window.",
    "act": "This layer's non-linearity.",
    "init": "How this layer's weights start (kaiming suits ReLU, xavier suits tanh).",
    "p": "Probability that dropout silences each input while training.",
}


def initial_config() -> RunConfig:
    """The page's first setup: the MLP preset, stopping on epochs rather than steps."""
    cfg = get_preset(MODELS["MLP"])
    augment = dataclasses.replace(cfg.augment, test_shift=1.0)  # the shifted test set is on
    return cfg.replace(train=dataclasses.replace(cfg.train, max_steps=0, max_epochs=50),
                       augment=augment)  # fmt: skip


def is_cnn(cfg: RunConfig) -> bool:
    """True when the model has a conv layer."""
    return any(spec.kind == LayerKind.CONV2D for spec in cfg.model.layers)


def _on_model() -> None:
    preset = get_preset(MODELS[st.session_state["img_model"]])
    init_state(layer_values(preset.model.layers), force=True)


IMAGES = table(
    Control("img_model", kind=RADIO, label="Start from", options=list(MODELS),
            get=lambda c: "CNN" if is_cnn(c) else "MLP", on_change=_on_model,
            widget_options={"horizontal": True},
            help="Starting point: a multi-layer perceptron on the 64 pixels, or a small CNN. "
            "Picking one loads its layers; edit them below."),
    Control("img_n_layers", kind=NUMBER, label="Hidden layers", lo=0, hi=MAX_LAYERS,
            get=lambda c: len(c.model.layers), put=lambda d, v: _put_layers(d, v),
            help="Hidden layers before the 10-way output layer."),
    Control("img_lr", "train.lr", SELECT, "Learning rate", options=LEARNING_RATES, parse=float,
            widget_options={"accept_new_options": True},
            help="Step size of each update. Changes live while it trains."),
    Control("img_optimizer", "train.optimizer", SELECT, "Optimizer",
            options=[o.value for o in Optimizer],
            help="How gradients become updates. Changing it starts a new run."),
    Control("img_batch", "train.batch_size", NUMBER, "Batch size", lo=1, hi=1024, parse=int,
            help="Examples per update. Changes live."),
    Control("img_epochs", "train.max_epochs", NUMBER, "Stop after epochs", lo=0, hi=10**6,
            parse=int,
            help="Stop after this many passes over the training set (0 = never). Changes live."),
    # view settings: which example, which class, how the maps are drawn
    Control("img_source", kind=RADIO, label="Example from", options=SOURCES, default=SOURCES[0],
            widget_options={"horizontal": True},
            help="The image for the feature maps and the saliency maps: a test digit, one "
            "from the selected confusion-matrix cell, or your own drawing."),
    Control("img_index", kind=NUMBER, label="Test example", lo=0, default=0,
            help="Index of the digit in the test set."),
    Control("img_cell_pick", kind=NUMBER, label="Example in the cell", lo=0, hi=10**5, default=0,
            help="Which of the selected cell's examples (0 = the first)."),
    Control("img_true", kind=SELECT, label="True class", options=range(N_CLASSES), default=0,
            help="Row of the confusion matrix (or click a cell)."),
    Control("img_pred", kind=SELECT, label="Predicted class", options=range(N_CLASSES),
            default=0, help="Column of the confusion matrix (or click a cell)."),
    Control("img_target", kind=SELECT, label="Target class", options=range(-1, N_CLASSES),
            default=-1, widget_options={"format_func": lambda k: "predicted" if k < 0 else str(k)},
            help="The class whose score is explained."),
    Control("img_baseline", kind=SELECT, label="Baseline", options=BASELINES, default="zeros",
            help="Reference image of integrated gradients and DeepLIFT: black, a blurred copy, "
            "or the mean training digit."),
    Control("img_shared", kind=TOGGLE, label="Shared scale", default=True,
            help="One colour scale for every method."),
    Control("img_abs", kind=TOGGLE, label="Absolute", default=False,
            help="Show |attribution| (ignore the sign)."),
    Control("img_inside", kind=TOGGLE, label="Show filters and feature maps", default=True,
            help="Draw every conv filter and the chosen example's feature maps."),
    Control("img_diagnostics", kind=TOGGLE, label="Show diagnostics", default=False,
            help="Gradient flow with warnings, weight/gradient/activation histograms over time, "
            "dead and saturated units."),
)  # fmt: skip


# ---- the per-layer widgets (their number changes) -------------------------------------------


def layer_values(layers: tuple[LayerSpec, ...]) -> dict[str, Any]:
    """img_n_layers and each layer's img_<field>_<i> widget value."""
    return layer_widget_values("img_", layers, LAYER_FIELDS)


def _layer_dict(v: Values, i: int) -> dict[str, Any]:
    kind = v[f"img_kind_{i}"]
    k = int(v[f"img_kernel_{i}"])
    act, init = v[f"img_act_{i}"], v[f"img_init_{i}"]
    if kind == "dense":
        return {"kind": kind, "units": int(v[f"img_units_{i}"]), "activation": act, "init": init}
    if kind == "conv2d":
        return {"kind": kind, "channels": int(v[f"img_channels_{i}"]), "kernel": k, "stride": 1,
                "padding": k // 2, "activation": act, "init": init}  # fmt: skip
    if kind in ("maxpool2d", "avgpool2d"):
        return {"kind": kind, "kernel": k, "stride": k}
    if kind == "dropout":
        return {"kind": kind, "p": float(v[f"img_p_{i}"])}
    return {"kind": kind}


def _put_layers(d: dict, v: Values) -> None:
    d["model"]["layers"] = [_layer_dict(v, i) for i in range(int(v["img_n_layers"]))]


def _new_layer_defaults(n: int) -> dict[str, Any]:
    """A layer added with the + control starts like the one before it."""
    first = LayerSpec(activation=Activation.RELU, init=Init.KAIMING_UNIFORM)
    return added_layer_values("img_", LAYER_FIELDS, first, n, st.session_state)


# ---- values and config ----------------------------------------------------------------------


def images_values(cfg: RunConfig) -> dict[str, Any]:
    """Every img_ widget's value for a config (the inverse of images_config), view included."""
    values = widget_values(IMAGES | TRANSFER_CONTROLS, cfg) | layer_values(cfg.model.layers)
    return values | freeze_values(cfg)


def images_config(base: RunConfig) -> RunConfig:
    """The RunConfig the img_ widgets describe; ConfigError if it is invalid or cannot be built."""
    cfg = config_from_widgets(IMAGES | TRANSFER_CONTROLS, base, st.session_state)
    try:  # the layers' shapes must fit together: build it once here
        build_model(cfg.model, IMAGE_SHAPE, output_head(cfg, N_CLASSES), cfg.train.seed)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    return cfg


# ---- widget groups --------------------------------------------------------------------------


def model_controls() -> None:
    """Preset picker, number of layers, and each layer's kind and settings."""
    draw(IMAGES["img_model"])
    draw(IMAGES["img_n_layers"])
    n = int(st.session_state["img_n_layers"])
    init_state(_new_layer_defaults(n))
    for i in range(n):
        kind = st.session_state[f"img_kind_{i}"]
        with st.expander(f"Layer {i + 1}: {kind}", expanded=False):
            _layer_controls(i, kind)


def _layer_controls(i: int, kind: str) -> None:
    h = LAYER_HELP
    st.selectbox("Kind", KINDS, key=f"img_kind_{i}", help=h["kind"])
    cols = st.columns(2)
    if kind == "dense":
        cols[0].number_input("Neurons", 1, 256, key=f"img_units_{i}", help=h["units"])
    if kind == "conv2d":
        cols[0].number_input("Channels", 1, MAX_CHANNELS, key=f"img_channels_{i}",
                             help=h["channels"])  # fmt: skip
    if kind in ("conv2d", "maxpool2d", "avgpool2d"):
        cols[1].number_input("Kernel", 1, 8, key=f"img_kernel_{i}", help=h["kernel"])
    if kind in ("dense", "conv2d"):
        cols[0].selectbox("Activation", ACTIVATIONS, key=f"img_act_{i}", help=h["act"])
        cols[1].selectbox(
            "Init", [x.value for x in WEIGHT_INITS], key=f"img_init_{i}", help=h["init"]
        )
    if kind == "dropout":
        st.slider("Drop probability", 0.0, 0.9, key=f"img_p_{i}", help=h["p"])


def train_controls() -> None:
    """Learning rate, optimizer, batch size and the epoch stop."""
    for key in ("img_lr", "img_optimizer", "img_batch", "img_epochs"):
        draw(IMAGES[key])


def example_controls(n_test: int) -> None:
    """Where the explained example comes from: a test digit, a confusion cell, the drawing."""
    draw(IMAGES["img_source"])
    draw(IMAGES["img_index"], max_value=max(n_test - 1, 0))
    draw(IMAGES["img_cell_pick"])
