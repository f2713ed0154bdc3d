"""The Playground page's widget <-> config table (PLAYGROUND) and its widget groups."""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground.choices import WEIGHT_INITS
from playground.config import (
    FEATURES,
    MAX_LAYERS,
    MULTICLASS_SETS,
    Activation,
    DatasetName,
    Init,
    LayerKind,
    LayerSpec,
    Loss,
    Optimizer,
    RunConfig,
    Schedule,
    Task,
)
from playground.data.expressions import parse_expression
from ui.controls import (
    CHECKS,
    NUMBER,
    RADIO,
    SELECT,
    SELECT_SLIDER,
    SLIDER,
    TEXT,
    TOGGLE,
    Control,
    Values,
    config_from_widgets,
    draw,
    draw_rows,
    init_state,
    is_shown,
    parse_number,
    table,
    widget_values,
)
from ui.layer_tokens import layers_from_url, layers_to_url

LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REG_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
SPEEDS = {"max": 0.0, "100/s": 100.0, "30/s": 30.0, "10/s": 10.0, "3/s": 3.0, "1/s": 1.0}
MAX_UI_UNITS = 64
MAX_SEED = 2**31 - 1
TOY_SETS = {
    Task.CLASSIFICATION: ["circle", "xor", "gauss", "spiral", "moons", "blobs"],
    Task.REGRESSION: ["reg-plane", "reg-gauss"],
}
EXTRA_VIEW_NAMES = (
    "Curves", "Weights", "Diagnostics", "Input gradient", "Neuron", "3-D output", "Error",
)  # fmt: skip
MOMENTUM_OPTIMIZERS = ("momentum", "nesterov", "rmsprop")
ACTIVATIONS = [a.value for a in Activation]
LAYER_HELP = {
    "units": "Neurons in this layer. Each draws a heatmap of its output over the plane.",
    "act": "This layer's non-linearity.",
    "init": "How this layer's weights start. playground: TensorFlow Playground's, weights "
    "U(-0.5, 0.5) and biases 0.1; zeros: all 0, so the neurons stay identical; uniform: "
    "U(-0.05, 0.05); normal: N(0, 0.01²); xavier_uniform / xavier_normal: variance 2 / (fan_in "
    "+ fan_out), for tanh; kaiming_uniform / kaiming_normal (He): variance 2 / fan_in, for ReLU; "
    "orthogonal: a random orthogonal matrix. The others start biases at 0.",
    "kind": "dense: neurons; dropout: randomly silences inputs while training; batchnorm: "
    "normalises activations; rbf (first layer only): Gaussians exp(-|x - c|² / 2σ²), learnt c, σ.",
    "rbf": "Centres start at the k-means centroids of the training inputs, or uniform at random "
    "over their box; each width σ at the distance to the nearest other centre.",
    "p": "Probability that dropout silences each input while training.",
}


# ---- rows that are not one config field -----------------------------------------------------


def _regularization(cfg: RunConfig) -> str:
    return "L1" if cfg.train.l1 else ("L2" if cfg.train.l2 else "none")


def _put_penalty(d: dict, v: Values) -> None:
    """regularization + reg_rate -> train.l1 and train.l2."""
    rate = float(v["reg_rate"])
    d["train"] |= {
        "l1": rate if v["regularization"] == "L1" else 0.0,
        "l2": rate if v["regularization"] == "L2" else 0.0,
    }


def _put_n_classes(d: dict, v: Values) -> None:
    d["data"]["n_classes"] = int(v["n_classes"]) if _multiclass(v) else 2


def _multiclass(v: Values) -> bool:
    return DatasetName(v["dataset"]) in MULTICLASS_SETS


def _toy_sets(v: Values) -> list[str]:
    return TOY_SETS[Task(v["problem"])]


def _losses(v: Values) -> list[str]:
    losses = [x.value for x in Loss]
    if Task(v["problem"]) == Task.REGRESSION:
        return [x for x in losses if x not in ("cross_entropy", "bce")]
    return losses


def _features(text: str, sep: str = ";") -> list[str]:
    """'x1*x2; sin(x1)' -> the expressions, each checked (DataError names a bad one)."""
    exprs = [c.strip() for c in text.split(sep) if c.strip()]
    for expr in exprs:
        parse_expression(expr)
    return exprs


def _speed_label(steps_per_s: float) -> str:
    return next((k for k, v in SPEEDS.items() if v == steps_per_s), "max")


def _on_problem() -> None:
    st.session_state["dataset"] = TOY_SETS[Task(st.session_state["problem"])][0]


def _on_regenerate() -> None:
    st.session_state["data_seed"] = int(st.session_state["data_seed"]) + 1


def _on_global_activation() -> None:
    for i in range(int(st.session_state["n_layers"])):
        st.session_state[f"act_{i}"] = st.session_state["activation"]


# ---- the table: data rows, then train rows, then the model (the URL applies them in order) ----

_seed = {"lo": 0, "hi": MAX_SEED, "kind": NUMBER, "parse": int, "hide": "seed"}
PLAYGROUND = table(
    Control("problem", kind=RADIO, label="Problem type", options=[t.value for t in Task],
            get=lambda c: c.data.task.value, on_change=_on_problem,
            widget_options={"horizontal": True},
            help="Classification predicts a class per point; regression predicts a number."),
    Control("dataset", "data.name", RADIO, "Dataset", options=_toy_sets,
            widget_options={"horizontal": True},
            help="Which data to learn. Orange and blue are the two classes (more colours: more "
            "classes). Try spiral: it needs depth or the sin features."),
    Control("n_samples", "data.n_samples", label="Samples", **_seed | {"lo": 20, "hi": 5000},
            step=50, help="Number of points (train + test)."),
    Control("noise", "data.noise", SLIDER, "Noise (%)", lo=0, hi=50, fmt=int, parse=float,
            help="How much the points are jittered (0-50 %). Noisy data is harder and tempts "
            "the network to overfit: compare train and test loss."),
    Control("train_ratio", "data.train_ratio", SLIDER, "Ratio of training data (%)", lo=10, hi=90,
            fmt=lambda r: round(r * 100), parse=lambda pct: pct / 100,
            help="Share of the points used for training; the rest measures the test loss."),
    Control("data_seed", "data.seed", label="Data seed", help="Seed of the data sample.", **_seed),
    Control("feat", "data.features", CHECKS, options=FEATURES, url="features", hide="features",
            help="Inputs fed to the network, computed from the point (x1, x2). With x1^2 and "
            "x2^2 a single neuron can draw a circle."),
    Control("custom_features", "data.custom_features", TEXT, "Your own features", url_sep="|",
            fmt="; ".join, parse=_features, url_parse=lambda s: _features(s, "|"),
            widget_options={"placeholder": "x1*x2^2; exp(-x1^2)"},
            allowed="expressions over x1, x2 separated by ';', with numbers, + - * / ^ and "
            "sin cos tan exp log sqrt abs tanh sigmoid",
            help="Your own inputs as expressions over x1 and x2, separated by ';', e.g. "
            "x1*x2^2; exp(-x1^2). Allowed: + - * / ^, sin cos tan exp log sqrt abs tanh sigmoid."),
    Control("n_classes", "data.n_classes", SLIDER, "Classes", lo=2, hi=6, when=_multiclass,
            put=_put_n_classes, help="Number of spiral arms or blobs (classes)."),
    Control("csv_path", "data.csv_path"),
    Control("csv_target", "data.csv_target"),
    Control("csv_task", "data.csv_task"),
    Control("loss", "train.loss", SELECT, "Loss", options=_losses,
            help="What is minimised. square, ½(o − t)² with a tanh output and ±1 targets, is "
            "TF Playground's; mse is twice it (twice the gradient too)."),
    Control("optimizer", "train.optimizer", SELECT, "Optimizer",
            options=[x.value for x in Optimizer],
            help="How gradients become updates: plain SGD, momentum, or adaptive (Adam, ...)."),
    Control("lr", "train.lr", SELECT, "Learning rate", options=LEARNING_RATES, parse=parse_number,
            widget_options={"accept_new_options": True},
            allowed="a number from 1e-07 to 100, in the digits 0-9",
            help="Step size of each update; pick one or type your own. Changes live. Too big "
            "stops learning: at 10 the tanh nets of circle, xor and spiral saturate within the "
            "first epoch and stay at chance (accuracy about 50 %, the loss flat, no nan), gauss "
            "still learns, and on the regression sets the loss turns nan within the first epoch "
            "(the last good weights come back)."),
    Control("momentum", "train.momentum", SLIDER, "Momentum", lo=0.0, hi=0.99, parse=float,
            hide="optimizer", when=lambda v: v["optimizer"] in MOMENTUM_OPTIMIZERS,
            help="Fraction of the previous update kept (momentum, nesterov, rmsprop)."),
    Control("beta1", "train.beta1"),
    Control("beta2", "train.beta2"),
    Control("weight_decay", "train.weight_decay"),
    Control("batch_size", "train.batch_size", SLIDER, "Batch size", lo=1, hi=100, parse=int,
            help="Examples per update. Small batches: noisy but frequent steps."),
    Control("l1", "train.l1"),  # the widgets regularization and reg_rate write these two
    Control("l2", "train.l2"),
    Control("grad_clip", "train.grad_clip"),
    Control("schedule", "train.schedule", SELECT, "LR schedule",
            options=[x.value for x in Schedule],
            help="How the learning rate changes over steps. Changes live."),
    Control("schedule_steps", "train.schedule_steps", NUMBER, "Schedule steps", lo=1, hi=10**7,
            parse=int, hide="schedule", when=lambda v: v["schedule"] != "constant",
            help="Schedule period in steps (step decay period, cosine length, half cycle)."),
    Control("schedule_gamma", "train.schedule_gamma"),
    Control("min_lr", "train.min_lr"),
    Control("max_steps", "train.max_steps"),
    Control("max_epochs", "train.max_epochs", NUMBER, "Stop after epochs", lo=0, hi=10**7,
            parse=int, hide="stops", help="Stop after this many epochs (0 = never)."),
    Control("target_test_loss", "train.target_test_loss", NUMBER, "Stop at test loss", lo=0.0,
            hi=100.0, parse=float, hide="stops", widget_options={"format": "%.4f"},
            help="Stop once the test loss is below this (0 = never)."),
    Control("eval_every", "train.eval_every"),
    Control("device", "train.device", SELECT, "Device", options=["auto", "cpu", "cuda"],
            help="auto uses a GPU when there is one."),
    Control("seed", "train.seed", label="Seed",
            help="Seed of the initial weights and batch order: same seed, same run.", **_seed),
    Control("speed", "train.steps_per_s", SELECT_SLIDER, "Speed", options=list(SPEEDS),
            url="steps_per_s", fmt=_speed_label, parse=SPEEDS.__getitem__,
            help="Steps per second: slow it down to watch single updates in class."),
    Control("layers", "model.layers", url_fmt=layers_to_url, url_parse=layers_from_url),
    Control("output_activation", "model.output_activation"),
    # widgets that are not one config field
    Control("regularization", kind=SELECT, label="Regularization", options=["none", "L1", "L2"],
            get=_regularization, put=_put_penalty,
            help="Penalty on large weights: L1 pushes weights to exactly 0, L2 shrinks them."),
    Control("reg_rate", kind=SELECT, label="Regularization rate", options=REG_RATES,
            get=lambda c: c.train.l1 or c.train.l2, hide="regularization",
            help="Strength of the penalty. Changes live."),
    Control("n_layers", kind=NUMBER, label="Hidden layers", lo=0, hi=MAX_LAYERS,
            get=lambda c: len(c.model.layers), put=lambda d, v: _put_layers(d, v),
            help="Hidden layers between the inputs and the output (0 = a linear model)."),
    Control("activation", kind=SELECT, label="Activation (all layers)", options=ACTIVATIONS,
            get=lambda c: (c.model.layers or (LayerSpec(),))[0].activation.value,
            on_change=_on_global_activation,
            help="Applied to every hidden layer (change single layers below)."),
    # view settings: not in the config; the first two travel in the URL
    Control("show_test", kind=TOGGLE, label="Show test data", default=False, url="show_test",
            help="Draw the test points too."),
    Control("discretize", kind=TOGGLE, label="Discretize output", default=False, url="discretize",
            help="Show only the predicted class, not the score."),
    Control("log_y", kind=TOGGLE, label="Log scale", default=False,
            help="A log axis shows slow late progress."),
    Control("last_n", kind=NUMBER, label="Last N steps", lo=0, hi=10**9, step=100, default=0,
            help="Show only the recent part of the curves (0 = all)."),
    Control("extra_view", kind=SELECT, label="More views", options=EXTRA_VIEW_NAMES,
            default=EXTRA_VIEW_NAMES[0],
            help="Curves, weight matrices, diagnostics (gradient flow, histograms over time, dead "
            "and saturated units), one neuron large, the output in 3-D, or the error per test "
            "point."),
)  # fmt: skip
VIEW_KEYS = tuple(k for k, c in PLAYGROUND.items() if c.kind and not c.path and not c.get)


# ---- the per-layer widgets (their number changes) -------------------------------------------


def layer_values(layers: tuple[LayerSpec, ...]) -> dict[str, Any]:
    """The per-layer widgets' values: kind_i, units_i, act_i, init_i, p_i."""
    values: dict[str, Any] = {}
    for i, spec in enumerate(layers):
        values |= {f"kind_{i}": spec.kind.value, f"units_{i}": spec.units,
                   f"act_{i}": spec.activation.value, f"init_{i}": spec.init.value,
                   f"p_{i}": spec.p}  # fmt: skip
    return values


def _layer_dict(v: Values, i: int) -> dict[str, Any]:
    kind = v.get(f"kind_{i}", "dense")
    if kind == LayerKind.DENSE.value:
        return {"kind": kind, "units": int(v.get(f"units_{i}", 4)),
                "activation": v.get(f"act_{i}", v.get("activation", "tanh")),
                "init": v.get(f"init_{i}", Init.PLAYGROUND.value)}  # fmt: skip
    if kind == LayerKind.DROPOUT.value:
        return {"kind": kind, "p": float(v.get(f"p_{i}", 0.5))}
    if kind == LayerKind.RBF.value:  # its init box offers kmeans and uniform only
        return {"kind": kind, "units": int(v.get(f"units_{i}", 4)), "init": v.get(f"init_{i}")}
    return {"kind": kind}


def _put_layers(d: dict, v: Values) -> None:
    d["model"]["layers"] = [_layer_dict(v, i) for i in range(int(v["n_layers"]))]


def _new_layer_defaults(n: int) -> dict[str, Any]:
    """Widget values for layers added with the + control: like the layer before them."""
    s = st.session_state
    act = Activation(s.get("activation", "tanh"))
    first = layer_values((LayerSpec(activation=act, init=Init.PLAYGROUND),))
    out: dict[str, Any] = {}
    for i in range(n):
        out |= {f"{name}_{i}": s.get(f"{name}_{i - 1}", first[f"{name}_0"])
                for name in ("kind", "units", "act", "init")}  # fmt: skip
        out[f"p_{i}"] = 0.5
    return out


# ---- Playground values and config -----------------------------------------------------------


def playground_values(cfg: RunConfig) -> dict[str, Any]:
    """Every Playground widget's value for a config (the inverse of playground_config); the
    view settings (not part of a config) are left out."""
    values = widget_values(PLAYGROUND, cfg) | layer_values(cfg.model.layers)
    return {k: v for k, v in values.items() if k not in VIEW_KEYS}


def view_defaults() -> dict[str, Any]:
    """The view settings' initial values."""
    return {k: PLAYGROUND[k].default for k in VIEW_KEYS}


def playground_config(base: RunConfig) -> RunConfig:
    """The RunConfig the Playground widgets describe (raises ConfigError on a bad value)."""
    return config_from_widgets(PLAYGROUND, base, st.session_state)


# ---- widget groups --------------------------------------------------------------------------


def data_controls(hidden: frozenset[str], previews: dict[str, Any] | None = None) -> None:
    """Dataset picker (with previews), noise, split, batch size, regenerate (the problem type
    is in the top bar, drawn before this)."""
    s, t = st.session_state, PLAYGROUND
    options = TOY_SETS[Task(s["problem"])]
    if s["dataset"] not in options:
        s["dataset"] = options[0]
    if is_shown(t["dataset"], hidden):
        if previews:
            for col, name in zip(st.columns(len(options)), options):
                col.image(previews[name], width="stretch")
        draw(t["dataset"])
    draw_rows(t, [["n_classes"], ["train_ratio"], ["noise"], ["batch_size"]], hidden)
    if "regenerate" not in hidden:
        st.button(
            "Regenerate",
            key="regenerate",
            on_click=_on_regenerate,
            help="Draw a new sample of the same dataset; the network starts again.",
        )


def feature_controls(hidden: frozenset[str]) -> None:
    """The seven input features as toggles, and the user's own feature expressions."""
    draw_rows(PLAYGROUND, [["feat"], ["custom_features"]], hidden)


def network_controls(hidden: frozenset[str], kinds: tuple[str, ...] = ("dense",)) -> None:
    """Hidden layers: how many, and each one's kind, neurons, activation and init (the
    activation of all layers is in the top bar)."""
    draw_rows(PLAYGROUND, [["n_layers"]], hidden)
    if "layers" in hidden:
        return
    n = int(st.session_state["n_layers"])
    init_state(_new_layer_defaults(n))
    k0 = (*kinds, "rbf")  # an rbf layer's inputs are the features: the first layer only
    for i in range(n):
        with st.expander(f"Layer {i + 1}", expanded=False):
            if len(kinds) > 1:
                st.selectbox("Kind", kinds if i else k0, key=f"kind_{i}", help=LAYER_HELP["kind"])
            kind = st.session_state.get(f"kind_{i}", "dense")
            if kind in ("dense", "rbf"):
                st.number_input("Neurons", 1, MAX_UI_UNITS, key=f"units_{i}",
                                help=LAYER_HELP["units"])  # fmt: skip
            if kind == "rbf":
                st.selectbox("Init", ["kmeans", "uniform"], key=f"init_{i}", help=LAYER_HELP["rbf"])
            if kind == "dense":
                st.selectbox("Activation", ACTIVATIONS, key=f"act_{i}", help=LAYER_HELP["act"])
                st.selectbox("Init", [x.value for x in WEIGHT_INITS], key=f"init_{i}",
                             help=LAYER_HELP["init"])  # fmt: skip
            elif kind == "dropout":
                st.slider("Drop probability", 0.0, 0.9, key=f"p_{i}", help=LAYER_HELP["p"])


TOP_BAR = {"lr": 1.0, "activation": 1.3, "regularization": 1.1, "reg_rate": 1.3, "problem": 1.7}
TRAIN_ROWS = (
    ["loss", "optimizer"], ["momentum"],
    ["schedule", "schedule_steps"], ["speed"], ["max_epochs", "target_test_loss"],
    ["seed", "data_seed", "n_samples"], ["device"],
)  # fmt: skip


def top_controls(hidden: frozenset[str]) -> None:
    """The top bar's settings, as in TensorFlow Playground: learning rate, activation,
    regularisation and its rate, problem type (one row, widths fitting their labels)."""
    shown = [k for k in TOP_BAR if is_shown(PLAYGROUND[k], hidden)]
    if shown:
        for col, key in zip(st.columns([TOP_BAR[k] for k in shown]), shown):
            draw(PLAYGROUND[key], col)


def train_controls(hidden: frozenset[str]) -> None:
    """Loss, optimizer, momentum, schedule, speed, stops, seeds, device."""
    draw_rows(PLAYGROUND, TRAIN_ROWS, hidden)


def view_controls(where: list[Any], keys: tuple[str, ...] = VIEW_KEYS) -> None:
    """View settings, one per column (show_test, discretize, log_y, last_n, extra_view)."""
    for col, key in zip(where, keys):
        draw(PLAYGROUND[key], col)
