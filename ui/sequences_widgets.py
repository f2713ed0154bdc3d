"""The Sequences page's widget <-> config table (SEQ) and its widget groups."""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from playground.choices import MAX_HEADS, WEIGHT_INITS, ModelKind
from playground.config import MAX_LAYERS, MAX_SAMPLES, LayerSpec, Optimizer, RunConfig
from playground.presets import PRESETS, get_preset
from playground.settings.seq import MAX_DELAY, MAX_SEQ_LEN
from ui.controls import (
    NUMBER,
    SELECT,
    SLIDER,
    TEXT,
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
from ui.sequences_state import get_state
from ui.widgets import ACTIVATIONS, LEARNING_RATES

TASKS = ("sine", "copy", "parity", "reverse", "sort", "text")
TASK_HELP = (
    "sine: predict the next value of a noisy sine wave; copy: a symbol is shown, then blanks, "
    "and after `delay` steps the network must recall it (a test of long memory); parity: after "
    "each bit, is the count of 1s so far odd?; reverse / sort: read digits, then write them "
    "reversed / sorted; text: predict the next character of a small bundled text."
)
KINDS = ("rnn", "lstm", "gru", "embedding", "transformer", "dense", "dropout")
RECURRENT = ("rnn", "lstm", "gru")
OPEN_KINDS = (*RECURRENT, "transformer")  # layers whose settings start unfolded
VIEW_KEYS = ("seq_preset", "seq_example", "seq_layer", "seq_log", "seq_temperature", "seq_prompt")
START = "seq-copy-lstm"  # the page's first setup: the key RNN-vs-LSTM scenario
MAX_PAGE_UNITS = 256  # the page keeps layers small enough to train live on a CPU
LAYER_FIELDS = ("kind", "units", "heads", "causal", "dropout", "init", "act", "p")
LAYER_HELP = {
    "kind": "rnn: h_t = tanh(W x_t + U h_(t-1) + b); lstm: adds a cell state guarded by input, "
    "forget and output gates; gru: update and reset gates; embedding: a learned vector per "
    "token (first layer only); transformer: self-attention over every step, then a per-step "
    "MLP; dense: neurons applied to each step alone; dropout: silences inputs while training.",
    "units": "Width of this layer's output vector at each step (its hidden state).",
    "heads": "Attention heads; units must divide by it. Each head has its own map.",
    "causal": "Each step may attend only to itself and earlier steps.",
    "dropout": "Dropout on this layer's outputs while training.",
    "init": "How this layer's weights start (orthogonal suits recurrent weights).",
    "act": "This dense layer's non-linearity.",
    "p": "Probability that dropout silences each input while training.",
}


def sequence_presets() -> list[str]:
    """Names of the presets of sequence runs."""
    return [n for n, (_, cfg) in PRESETS.items() if cfg.kind == ModelKind.SEQUENCE]


def page_preset(name: str) -> RunConfig:
    """A preset as the page runs it: until paused (no step limit or target loss)."""
    cfg = get_preset(name)
    train = dataclasses.replace(cfg.train, max_steps=0, max_epochs=0, target_test_loss=0.0)
    return cfg.replace(train=train)


def initial_config() -> RunConfig:
    """The page's first setup: the LSTM on the copy task."""
    return page_preset(START)


def _loss_for(task: str) -> str:
    """The loss the engine takes for a task: mse for sine's numbers, cross-entropy for tokens."""
    return "mse" if task == "sine" else "cross_entropy"


def _put_task(d: dict, v: Values) -> None:
    """The task, and a loss that fits it (a sine run may keep mse, square, huber or mae)."""
    d["data"]["name"] = v["seq_task"]
    if (d["train"]["loss"] == "cross_entropy") != (v["seq_task"] != "sine"):
        d["train"]["loss"] = _loss_for(v["seq_task"])


def load_preset() -> None:
    """Start from the chosen preset: the page's config (fields without a widget too) and every
    setup widget's value (view settings are kept)."""
    cfg = page_preset(st.session_state["seq_preset"])
    get_state().config = cfg
    init_state({k: v for k, v in seq_values(cfg).items() if k not in VIEW_KEYS}, force=True)


def _on_task() -> None:
    """Sine's inputs are numbers: drop an embedding layer when switching to it."""
    s = st.session_state
    if s["seq_task"] == "sine" and s["seq_n_layers"] and s["seq_kind_0"] == "embedding":
        n = int(s["seq_n_layers"])
        for i in range(1, n):
            for name in LAYER_FIELDS:
                s[f"seq_{name}_{i - 1}"] = s[f"seq_{name}_{i}"]
        s["seq_n_layers"] = n - 1


def _lr_options(v: Values) -> list[float]:
    """The usual learning rates, and the current one if a preset or the user chose another."""
    lr = v.get("seq_lr")
    if isinstance(lr, (int, float)) and lr not in LEARNING_RATES:
        return sorted([*LEARNING_RATES, lr])
    return LEARNING_RATES


def _task_is(*names: str) -> Any:
    return lambda v: v["seq_task"] in names


SEQ = table(
    Control("seq_preset", kind=SELECT, label="Preset", default=START,
            options=lambda v: sequence_presets(), on_change=load_preset,
            help="Load a known setup (task, network and training). seq-copy-rnn and "
            "seq-copy-lstm differ only in the recurrent cell: compare their gradient through "
            "time."),
    Control("seq_task", kind=SELECT, label="Task", options=TASKS, get=lambda c: c.data.name.value,
            put=_put_task, on_change=_on_task, help=TASK_HELP),
    Control("seq_delay", "seq.delay", NUMBER, "Delay (steps)", lo=1, hi=MAX_DELAY, parse=int,
            when=_task_is("copy"),
            help="Copy: steps between the symbol and the cue to recall it. Past about 10, a "
            "plain RNN's gradient fades before it reaches the symbol."),
    Control("seq_symbols", "seq.symbols", NUMBER, "Symbols", lo=2, hi=32, parse=int,
            when=_task_is("copy"), help="Copy: how many different symbols can be shown."),
    Control("seq_length", "seq.seq_len", NUMBER, "Length", lo=2, hi=MAX_SEQ_LEN, parse=int,
            when=lambda v: v["seq_task"] != "copy",
            help="Steps per sequence (sine, parity, text), or digits to read (reverse, sort: "
            "the sequence is twice as long, the answer follows the digits)."),
    Control("seq_samples", "data.n_samples", NUMBER, "Sequences", lo=20, hi=MAX_SAMPLES,
            parse=int, help="How many sequences are generated, train and test together."),
    Control("seq_noise", "data.noise", SLIDER, "Noise (%)", lo=0.0, hi=50.0, step=1.0,
            parse=float,
            when=_task_is("sine"), help="Sine: noise added to the wave."),
    Control("seq_n_layers", kind=NUMBER, label="Layers", lo=1, hi=MAX_LAYERS,
            get=lambda c: len(c.model.layers), put=lambda d, v: _put_layers(d, v),
            help="Layers before the per-step output layer (added by itself)."),
    Control("seq_lr", "train.lr", SELECT, "Learning rate", options=_lr_options, parse=float,
            widget_options={"accept_new_options": True},
            help="Step size of each update. Changes live while it trains."),
    Control("seq_optimizer", "train.optimizer", SELECT, "Optimizer",
            options=[o.value for o in Optimizer],
            help="How gradients become updates. Changing it starts a new run."),
    Control("seq_batch", "train.batch_size", NUMBER, "Batch size", lo=1, hi=1024, parse=int,
            help="Sequences per update. Changes live."),
    Control("seq_clip", "train.grad_clip", NUMBER, "Gradient clipping", lo=0.0, hi=1000.0,
            step=0.5, parse=float,
            help="Largest global gradient norm per update (0 = off): tames the exploding "
            "gradients of recurrent nets. Changes live."),
    Control("seq_bptt", "seq.bptt", NUMBER, "Truncated BPTT (steps)", lo=0, hi=2 * MAX_SEQ_LEN,
            parse=int,
            help="Backpropagate through at most this many steps (0 = the whole sequence). A "
            "window shorter than the copy delay cannot learn it: the gradient is cut."),
    Control("seq_seed", "train.seed", NUMBER, "Seed", lo=0, hi=2**31 - 1, parse=int,
            help="Seeds the initial weights and the batch order."),
    # view settings: which test sequence and layer the views follow, how they are drawn
    Control("seq_example", kind=NUMBER, label="Test sequence", lo=0, default=0,
            help="The test sequence whose hidden state, gates, gradient and attention are shown."),
    Control("seq_layer", kind=SELECT, label="Layer", default=0,
            help="The layer whose hidden state, gates and gradient through time are shown."),
    Control("seq_log", kind=TOGGLE, label="Log scale", default=True,
            help="Gradient through time on a log axis: vanishing shows as a straight fall."),
    Control("seq_temperature", kind=SLIDER, label="Temperature", lo=0.05, hi=2.0, step=0.05,
            default=0.8,
            help="Text: below 1 the sample keeps to the likeliest characters, above 1 it takes "
            "more chances."),
    Control("seq_prompt", kind=TEXT, label="Sample starts with", default="",
            widget_options={"max_chars": 40},
            help="Text: the sample continues these characters (each must occur in the text)."),
)  # fmt: skip


# ---- the per-layer widgets (their number changes) -------------------------------------------


def layer_values(layers: tuple[LayerSpec, ...]) -> dict[str, Any]:
    """seq_n_layers and each layer's seq_<field>_<i> widget value."""
    return layer_widget_values("seq_", layers, LAYER_FIELDS)


def _layer_dict(v: Values, i: int) -> dict[str, Any]:
    kind, units = v[f"seq_kind_{i}"], int(v[f"seq_units_{i}"])
    init, dropout = v[f"seq_init_{i}"], float(v[f"seq_dropout_{i}"])
    if kind in RECURRENT:
        return {"kind": kind, "units": units, "init": init, "dropout": dropout}
    if kind == "transformer":
        return {"kind": kind, "units": units, "heads": int(v[f"seq_heads_{i}"]),
                "causal": bool(v[f"seq_causal_{i}"]), "dropout": dropout}  # fmt: skip
    if kind == "embedding":
        return {"kind": kind, "units": units}
    if kind == "dense":
        return {"kind": kind, "units": units, "activation": v[f"seq_act_{i}"], "init": init}
    return {"kind": kind, "p": float(v[f"seq_p_{i}"])}


def _put_layers(d: dict, v: Values) -> None:
    d["model"]["layers"] = [_layer_dict(v, i) for i in range(int(v["seq_n_layers"]))]


def _new_layer_defaults(n: int) -> dict[str, Any]:
    """A layer added with the + control starts like the one before it."""
    return added_layer_values("seq_", LAYER_FIELDS, LayerSpec(), n, st.session_state)


# ---- values and config ----------------------------------------------------------------------


def seq_values(cfg: RunConfig) -> dict[str, Any]:
    """Every seq_ widget's value for a config (the inverse of seq_config), view included."""
    return widget_values(SEQ, cfg) | layer_values(cfg.model.layers)


def seq_config(base: RunConfig) -> RunConfig:
    """The RunConfig the seq_ widgets describe; ConfigError naming the field if it is invalid."""
    return config_from_widgets(SEQ, base, st.session_state)


def is_edited(cfg: RunConfig) -> bool:
    """True once the setup differs from the preset last loaded."""
    return page_preset(st.session_state["seq_preset"]) != cfg


# ---- widget groups --------------------------------------------------------------------------


def task_controls() -> Any:
    """Preset, task and the task's own settings; returns a placeholder under the preset box."""
    draw(SEQ["seq_preset"])
    edited = st.empty()
    draw(SEQ["seq_task"])
    shown = [c for c in (SEQ[k] for k in ("seq_delay", "seq_symbols", "seq_length"))
             if c.when(st.session_state)]  # fmt: skip
    for col, c in zip(st.columns(len(shown)), shown):
        draw(c, col)
    cols = st.columns(2)
    draw(SEQ["seq_samples"], cols[0])
    if SEQ["seq_noise"].when(st.session_state):
        draw(SEQ["seq_noise"], cols[1])
    return edited


def model_controls() -> None:
    """Number of layers, and each layer's kind and settings."""
    draw(SEQ["seq_n_layers"])
    n = int(st.session_state["seq_n_layers"])
    init_state(_new_layer_defaults(n))
    for i in range(n):
        s = st.session_state
        kind = s[f"seq_kind_{i}"]
        width = "" if kind == "dropout" else f" ({s[f'seq_units_{i}']} units)"
        with st.expander(f"Layer {i + 1}: {kind}{width}", expanded=kind in OPEN_KINDS):
            _layer_controls(i, kind)


def _layer_controls(i: int, kind: str) -> None:
    h = LAYER_HELP
    st.selectbox("Kind", KINDS, key=f"seq_kind_{i}", help=h["kind"])
    cols = st.columns(2)
    if kind != "dropout":
        cols[0].number_input("Units", 1, MAX_PAGE_UNITS, key=f"seq_units_{i}", help=h["units"])
    if kind in (*RECURRENT, "dense"):
        inits = [x.value for x in WEIGHT_INITS]
        cols[1].selectbox("Init", inits, key=f"seq_init_{i}", help=h["init"])
    if kind == "transformer":
        cols[1].number_input("Heads", 1, MAX_HEADS, key=f"seq_heads_{i}", help=h["heads"])
        st.toggle("Causal", key=f"seq_causal_{i}", help=h["causal"])
    if kind in (*RECURRENT, "transformer"):
        st.slider("Dropout", 0.0, 0.9, key=f"seq_dropout_{i}", help=h["dropout"])
    if kind == "dense":
        cols[0].selectbox("Activation", ACTIVATIONS, key=f"seq_act_{i}", help=h["act"])
    if kind == "dropout":
        st.slider("Drop probability", 0.0, 0.9, key=f"seq_p_{i}", help=h["p"])


def train_controls() -> None:
    """Optimizer, learning rate, batch size, clipping, truncated BPTT, seed."""
    for key in ("seq_optimizer", "seq_lr", "seq_batch", "seq_clip", "seq_bptt", "seq_seed"):
        draw(SEQ[key])
