"""Widget groups of the Images page: model presets, layer builder, training, drawing a digit."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from playground.config import (
    MAX_CHANNELS,
    MAX_LAYERS,
    Activation,
    Init,
    LayerKind,
    LayerSpec,
    Optimizer,
    RunConfig,
)
from playground.nn.model import build_model, output_head
from playground.presets import get_preset
from ui.widgets import LEARNING_RATES, init_state

MODELS = {"MLP": "digits-mlp", "CNN": "digits-cnn"}  # starting points -> preset names
KINDS = ("conv2d", "maxpool2d", "avgpool2d", "dense", "dropout", "batchnorm")
IMAGE_SHAPE = (1, 8, 8)  # one digit: (C, H, W)
N_CLASSES = 10
CANVAS_PX = 192
BITMAP = 32  # the digits' originals were 32x32 bitmaps counted in 4x4 blocks
HELP = {
    "img_model": "Starting point: a multi-layer perceptron on the 64 pixels, or a small CNN. "
    "Picking one loads its layers; edit them below.",
    "img_n_layers": "Hidden layers before the 10-way output layer.",
    "img_kind": "conv2d: learned 2-D filters; maxpool2d/avgpool2d: halve the image by taking the "
    "max/mean of each window; dense: neurons over all inputs (the image is flattened first); "
    "dropout: randomly silences inputs while training; batchnorm: normalises activations.",
    "img_units": "Neurons in this dense layer.",
    "img_channels": "Filters (output channels) in this conv layer; each is shown as an image.",
    "img_kernel": "Window size in pixels. Conv layers pad to keep the size; pools use a stride "
    "equal to the window.",
    "img_act": "This layer's non-linearity.",
    "img_init": "How this layer's weights start (kaiming suits ReLU, xavier suits tanh).",
    "img_p": "Probability that dropout silences each input while training.",
    "img_lr": "Step size of each update. Changes live while it trains.",
    "img_optimizer": "How gradients become updates. Changing it starts a new run.",
    "img_batch": "Examples per update. Changes live.",
    "img_epochs": "Stop after this many passes over the training set (0 = never). Changes live.",
    "img_grid": "No drawing canvas here: type pixel values 0 (paper) to 16 (ink), like the data.",
}


def initial_config() -> RunConfig:
    """The page's first setup: the MLP preset, stopping on epochs rather than steps."""
    cfg = get_preset(MODELS["MLP"])
    return cfg.replace(train=dataclasses.replace(cfg.train, max_steps=0, max_epochs=50))


def is_cnn(cfg: RunConfig) -> bool:
    """True when the model has a conv layer."""
    return any(spec.kind == LayerKind.CONV2D for spec in cfg.model.layers)


def _layer_values(layers: tuple[LayerSpec, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {"img_n_layers": len(layers)}
    for i, spec in enumerate(layers):
        values |= {
            f"img_kind_{i}": spec.kind.value,
            f"img_units_{i}": spec.units,
            f"img_channels_{i}": spec.channels,
            f"img_kernel_{i}": spec.kernel,
            f"img_act_{i}": spec.activation.value,
            f"img_init_{i}": spec.init.value,
            f"img_p_{i}": spec.p,
        }
    return values


def widget_values(cfg: RunConfig) -> dict[str, Any]:
    """Every img_ widget's value for a config (the inverse of config_from_widgets)."""
    t = cfg.train
    values = _layer_values(cfg.model.layers)
    return values | {
        "img_model": "CNN" if is_cnn(cfg) else "MLP",
        "img_lr": t.lr,
        "img_optimizer": t.optimizer.value,
        "img_batch": t.batch_size,
        "img_epochs": t.max_epochs,
    }


def _on_model() -> None:
    preset = get_preset(MODELS[st.session_state["img_model"]])
    init_state(_layer_values(preset.model.layers), force=True)


def _layer_dict(i: int) -> dict[str, Any]:
    s = st.session_state
    kind = s[f"img_kind_{i}"]
    k = int(s[f"img_kernel_{i}"])
    act, init = s[f"img_act_{i}"], s[f"img_init_{i}"]
    if kind == "dense":
        return {"kind": kind, "units": int(s[f"img_units_{i}"]), "activation": act, "init": init}
    if kind == "conv2d":
        return {"kind": kind, "channels": int(s[f"img_channels_{i}"]), "kernel": k, "stride": 1,
                "padding": k // 2, "activation": act, "init": init}  # fmt: skip
    if kind in ("maxpool2d", "avgpool2d"):
        return {"kind": kind, "kernel": k, "stride": k}
    if kind == "dropout":
        return {"kind": kind, "p": float(s[f"img_p_{i}"])}
    return {"kind": kind}


def config_from_widgets(base: RunConfig) -> RunConfig:
    """The RunConfig the img_ widgets describe; ConfigError if it is invalid or cannot be built."""
    s = st.session_state
    d = base.to_dict()
    d["model"]["layers"] = [_layer_dict(i) for i in range(int(s["img_n_layers"]))]
    d["train"] |= {
        "lr": float(s["img_lr"]),
        "optimizer": s["img_optimizer"],
        "batch_size": int(s["img_batch"]),
        "max_epochs": int(s["img_epochs"]),
        "max_steps": 0,
    }
    cfg = RunConfig.from_dict(d)
    build_model(cfg.model, IMAGE_SHAPE, output_head(cfg, N_CLASSES), cfg.train.seed)  # shapes
    return cfg


def _new_layer_defaults(n: int) -> dict[str, Any]:
    """A layer added with the + control starts like the one before it."""
    s, out = st.session_state, {}
    first = _layer_values((LayerSpec(activation=Activation.RELU, init=Init.KAIMING_UNIFORM),))
    for i in range(n):
        for name in ("kind", "units", "channels", "kernel", "act", "init", "p"):
            prev = f"img_{name}_{i - 1}"
            out[f"img_{name}_{i}"] = s.get(prev, out.get(prev, first[f"img_{name}_0"]))
    return out


def model_controls() -> None:
    """Preset picker, number of layers, and each layer's kind and settings."""
    st.radio("Start from", list(MODELS), key="img_model", horizontal=True, on_change=_on_model,
             help=HELP["img_model"])  # fmt: skip
    st.number_input("Hidden layers", 0, MAX_LAYERS, key="img_n_layers", help=HELP["img_n_layers"])
    n = int(st.session_state["img_n_layers"])
    init_state(_new_layer_defaults(n))
    acts, inits = [a.value for a in Activation], [x.value for x in Init]
    for i in range(n):
        kind = st.session_state[f"img_kind_{i}"]
        with st.expander(f"Layer {i + 1}: {kind}", expanded=False):
            st.selectbox("Kind", KINDS, key=f"img_kind_{i}", help=HELP["img_kind"])
            cols = st.columns(2)
            if kind == "dense":
                cols[0].number_input("Neurons", 1, 256, key=f"img_units_{i}",
                                     help=HELP["img_units"])  # fmt: skip
            if kind == "conv2d":
                cols[0].number_input("Channels", 1, MAX_CHANNELS, key=f"img_channels_{i}",
                                     help=HELP["img_channels"])  # fmt: skip
            if kind in ("conv2d", "maxpool2d", "avgpool2d"):
                cols[1].number_input("Kernel", 1, 8, key=f"img_kernel_{i}", help=HELP["img_kernel"])
            if kind in ("dense", "conv2d"):
                cols[0].selectbox("Activation", acts, key=f"img_act_{i}", help=HELP["img_act"])
                cols[1].selectbox("Init", inits, key=f"img_init_{i}", help=HELP["img_init"])
            if kind == "dropout":
                st.slider("Drop probability", 0.0, 0.9, key=f"img_p_{i}", help=HELP["img_p"])


def train_controls() -> None:
    """Learning rate, optimizer, batch size and the epoch stop."""
    st.selectbox("Learning rate", LEARNING_RATES, key="img_lr", accept_new_options=True,
                 help=HELP["img_lr"])  # fmt: skip
    st.selectbox("Optimizer", [o.value for o in Optimizer], key="img_optimizer",
                 help=HELP["img_optimizer"])  # fmt: skip
    st.number_input("Batch size", 1, 1024, key="img_batch", help=HELP["img_batch"])
    st.number_input("Stop after epochs", 0, 10**6, key="img_epochs", help=HELP["img_epochs"])


def downsample_drawing(rgba: np.ndarray) -> np.ndarray | None:
    """Canvas pixels (H, W, 4) -> (8, 8) in [0, 1] the way the digits were made; None if blank.

    The originals were 32x32 bitmaps cut into 4x4 blocks whose "on" pixels were counted (0..16);
    scikit-learn stores those counts, and the dataset here divides them by 16. So: ink mask,
    crop to the ink and centre it in a square (aspect kept), 32x32 bitmap, 4x4 block counts.
    """
    rgba = np.asarray(rgba)
    alpha = rgba[..., 3] if rgba.shape[-1] == 4 else np.full(rgba.shape[:2], 255)
    ink = (alpha > 127) & (rgba[..., :3].mean(axis=-1) < 128)  # (H, W) dark, opaque strokes
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return None
    box = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    side = max(box.shape)
    square = np.zeros((side, side), dtype=np.uint8)
    top, left = (side - box.shape[0]) // 2, (side - box.shape[1]) // 2
    square[top : top + box.shape[0], left : left + box.shape[1]] = box * 255
    small = Image.fromarray(square).resize((BITMAP, BITMAP), Image.Resampling.BOX)
    bitmap = np.asarray(small) > 127  # (32, 32) on/off
    counts = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3))  # (8, 8) in 0..16
    return (counts / 16.0).astype(np.float32)


def draw_digit() -> np.ndarray | None:
    """A drawing canvas (or an 8x8 grid if the canvas is unavailable) -> (8, 8) in [0, 1]."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # noqa: BLE001 - any import failure means: use the grid instead
        st.info("The drawing canvas could not load here: type the digit's pixels instead.")
        st.caption(HELP["img_grid"])
        grid = st.data_editor(pd.DataFrame(np.zeros((8, 8), dtype=int)), key="img_grid")
        values = np.clip(grid.to_numpy(dtype=np.float32), 0, 16) / 16.0
        return values if values.any() else None
    st.caption("Draw one digit, large and centred; the bin icon clears the canvas.")
    result = st_canvas(stroke_width=16, stroke_color="#000000", background_color="",
                       height=CANVAS_PX, width=CANVAS_PX, drawing_mode="freedraw",
                       return_image_data=True, key="img_canvas")  # fmt: skip
    data = result.image_data if result is not None else None
    return downsample_drawing(data) if data is not None else None


def thumbnail(img: np.ndarray, scale: int = 8) -> np.ndarray:
    """An (8, 8) image in [0, 1] as an (8*scale+2, 8*scale+2) picture: dark ink, white, framed."""
    big = 1.0 - np.kron(np.clip(img, 0.0, 1.0), np.ones((scale, scale), dtype=np.float32))
    return np.pad(big, 1, constant_values=0.8)


def clickable_cells(fig: go.Figure, cm: np.ndarray) -> go.Figure:
    """Add an invisible marker on each cell of a confusion matrix (C, C) so a click selects it.

    Streamlit returns no selection for clicks on a go.Heatmap (streamlit/streamlit#8760);
    it does for scatter points, which then also carry the cell's hover text.
    """
    names = [str(c) for c in range(len(cm))]
    xs, ys = np.meshgrid(names, names)  # (C, C): column = predicted, row = true
    marker = {"size": 26, "symbol": "square", "opacity": 0.0}
    fig.add_trace(go.Scatter(x=xs.ravel(), y=ys.ravel(), customdata=np.asarray(cm).ravel(),
                             mode="markers", marker=marker, showlegend=False,
                             hovertemplate="true %{y}, predicted %{x}<br>count %{customdata}"
                             "<br>click to see these digits<extra></extra>"))  # fmt: skip
    return fig
