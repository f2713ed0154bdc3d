"""Widget groups: each draws its controls (keyed, with help) and returns the values they hold."""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground.config import (
    FEATURES,
    MAX_LAYERS,
    Activation,
    Init,
    LayerKind,
    LayerSpec,
    Loss,
    Optimizer,
    RunConfig,
    Schedule,
    Task,
)

LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REG_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
SPEEDS = {"max": 0.0, "100/s": 100.0, "30/s": 30.0, "10/s": 10.0, "3/s": 3.0, "1/s": 1.0}
MAX_UI_UNITS = 64
TOY_SETS = {
    Task.CLASSIFICATION: ["circle", "xor", "gauss", "spiral", "moons", "blobs"],
    Task.REGRESSION: ["reg-plane", "reg-gauss"],
}
HELP = {
    "dataset": "Which data to learn. Orange and blue are the two classes (more colours: more "
    "classes). Try spiral: it needs depth or the sin features.",
    "problem": "Classification predicts a class per point; regression predicts a number.",
    "noise": "How much the points are jittered (0-50 %). Noisy data is harder and tempts the "
    "network to overfit: compare train and test loss.",
    "train_ratio": "Share of the points used for training; the rest measures the test loss.",
    "batch_size": "Examples per update. Small batches: noisy but frequent steps.",
    "n_classes": "Number of spiral arms or blobs (classes).",
    "regenerate": "Draw a new sample of the same dataset; the network starts again.",
    "features": "Inputs fed to the network, computed from the point (x1, x2). With x1^2 and "
    "x2^2 a single neuron can draw a circle.",
    "custom_features": "Your own inputs as expressions over x1 and x2, separated by ';', "
    "e.g. x1*x2^2; exp(-x1^2). Allowed: + - * / ^, sin cos tan exp log sqrt abs tanh sigmoid.",
    "n_layers": "Hidden layers between the inputs and the output (0 = a linear model).",
    "activation": "Applied to every hidden layer (change single layers below).",
    "units": "Neurons in this layer. Each draws a heatmap of its output over the plane.",
    "layer_activation": "This layer's non-linearity.",
    "init": "How this layer's weights start: zeros (they never break symmetry), small normal, "
    "Xavier, He (kaiming), orthogonal, or TensorFlow Playground's U(-0.5, 0.5).",
    "lr": "Step size of each update. Changes live. Too big (try 10) and the loss explodes.",
    "regularization": "Penalty on large weights: L1 pushes weights to exactly 0, L2 shrinks them.",
    "reg_rate": "Strength of the penalty. Changes live.",
    "loss": "What is minimised. mse with a tanh output and +-1 targets is TF Playground's.",
    "optimizer": "How gradients become updates: plain SGD, momentum, or adaptive (Adam, ...).",
    "momentum": "Fraction of the previous update kept (momentum, nesterov, rmsprop).",
    "schedule": "How the learning rate changes over steps. Changes live.",
    "schedule_steps": "Schedule period in steps (step decay period, cosine length, half cycle).",
    "speed": "Steps per second: slow it down to watch single updates in class.",
    "max_epochs": "Stop after this many epochs (0 = never).",
    "target_test_loss": "Stop once the test loss is below this (0 = never).",
    "seed": "Seed of the initial weights and batch order: same seed, same run.",
    "data_seed": "Seed of the data sample.",
    "n_samples": "Number of points (train + test).",
    "device": "auto uses a GPU when there is one.",
    "layer_kind": "dense: neurons; dropout: randomly silences inputs while training; "
    "batchnorm: normalises activations.",
}


def init_state(values: dict[str, Any], force: bool = False) -> None:
    """Put widget values into session state before the widgets are drawn."""
    for key, value in values.items():
        if force or key not in st.session_state:
            st.session_state[key] = value


def feature_key(name: str) -> str:
    """A widget key for a feature name ("x1^2" -> "feat_x1_2")."""
    return "feat_" + "".join(c if c.isalnum() else "_" for c in name)


def widget_values(cfg: RunConfig) -> dict[str, Any]:
    """Every Playground widget's value for a config (the inverse of config_from_widgets)."""
    d, t = cfg.data, cfg.train
    reg = "L1" if t.l1 else ("L2" if t.l2 else "none")
    values: dict[str, Any] = {
        "problem": d.task.value,
        "dataset": d.name.value,
        "n_classes": d.n_classes,
        "noise": int(d.noise),
        "train_ratio": round(d.train_ratio * 100),
        "n_samples": d.n_samples,
        "data_seed": d.seed,
        "batch_size": t.batch_size,
        "custom_features": "; ".join(d.custom_features),
        "n_layers": len(cfg.model.layers),
        "lr": t.lr,
        "regularization": reg,
        "reg_rate": t.l1 or t.l2,
        "loss": t.loss.value,
        "optimizer": t.optimizer.value,
        "momentum": t.momentum,
        "schedule": t.schedule.value,
        "schedule_steps": t.schedule_steps,
        "speed": next((k for k, v in SPEEDS.items() if v == t.steps_per_s), "max"),
        "max_epochs": t.max_epochs,
        "target_test_loss": t.target_test_loss,
        "seed": t.seed,
        "device": t.device.value,
    }
    values |= {feature_key(f): f in d.features for f in FEATURES}
    for i, spec in enumerate(cfg.model.layers):
        values |= {
            f"kind_{i}": spec.kind.value,
            f"units_{i}": spec.units,
            f"act_{i}": spec.activation.value,
            f"init_{i}": spec.init.value,
            f"p_{i}": spec.p,
        }
    if cfg.model.layers:
        values["activation"] = cfg.model.layers[0].activation.value
    return values


def _layer_from_state(i: int) -> dict[str, Any]:
    s = st.session_state
    kind = s.get(f"kind_{i}", "dense")
    d = {"kind": kind}
    if kind == LayerKind.DENSE.value:
        d |= {
            "units": int(s.get(f"units_{i}", 4)),
            "activation": s.get(f"act_{i}", s.get("activation", "tanh")),
            "init": s.get(f"init_{i}", Init.XAVIER_UNIFORM.value),
        }
    elif kind == LayerKind.DROPOUT.value:
        d["p"] = float(s.get(f"p_{i}", 0.5))
    return d


def config_from_widgets(base: RunConfig) -> RunConfig:
    """The RunConfig the Playground widgets describe (raises ConfigError on a bad value)."""
    s = st.session_state
    d = base.to_dict()
    customs = [c.strip() for c in s["custom_features"].split(";") if c.strip()]
    d["data"] |= {
        "name": s["dataset"],
        "n_classes": int(s["n_classes"]) if s["dataset"] in ("spiral", "blobs") else 2,
        "noise": float(s["noise"]),
        "train_ratio": s["train_ratio"] / 100,
        "n_samples": int(s["n_samples"]),
        "seed": int(s["data_seed"]),
        "features": [f for f in FEATURES if s[feature_key(f)]],
        "custom_features": customs,
    }
    d["model"]["layers"] = [_layer_from_state(i) for i in range(int(s["n_layers"]))]
    rate = float(s["reg_rate"])
    d["train"] |= {
        "lr": float(s["lr"]),
        "l1": rate if s["regularization"] == "L1" else 0.0,
        "l2": rate if s["regularization"] == "L2" else 0.0,
        "batch_size": int(s["batch_size"]),
        "loss": s["loss"],
        "optimizer": s["optimizer"],
        "momentum": float(s["momentum"]),
        "schedule": s["schedule"],
        "schedule_steps": int(s["schedule_steps"]),
        "steps_per_s": SPEEDS[s["speed"]],
        "max_epochs": int(s["max_epochs"]),
        "target_test_loss": float(s["target_test_loss"]),
        "seed": int(s["seed"]),
        "device": s["device"],
    }
    return RunConfig.from_dict(d)


def _show(name: str, hidden: frozenset[str]) -> bool:
    return name not in hidden


def _on_problem() -> None:
    st.session_state["dataset"] = TOY_SETS[Task(st.session_state["problem"])][0]


def _on_regenerate() -> None:
    st.session_state["data_seed"] = int(st.session_state["data_seed"]) + 1


def _on_global_activation() -> None:
    for i in range(int(st.session_state["n_layers"])):
        st.session_state[f"act_{i}"] = st.session_state["activation"]


def data_controls(hidden: frozenset[str], previews: dict[str, Any] | None = None) -> None:
    """Problem type, dataset picker (with previews), noise, split, batch size, regenerate."""
    s = st.session_state
    if _show("problem", hidden):
        st.radio("Problem type", ["classification", "regression"], key="problem",
                 horizontal=True, on_change=_on_problem, help=HELP["problem"])  # fmt: skip
    options = TOY_SETS[Task(s["problem"])]
    if s["dataset"] not in options:
        s["dataset"] = options[0]
    if previews and _show("dataset", hidden):
        cols = st.columns(len(options))
        for col, name in zip(cols, options):
            col.image(previews[name], width="stretch")
    if _show("dataset", hidden):
        st.radio("Dataset", options, key="dataset", horizontal=True, help=HELP["dataset"])
    if s["dataset"] in ("spiral", "blobs") and _show("n_classes", hidden):
        st.slider("Classes", 2, 6, key="n_classes", help=HELP["n_classes"])
    for key, label, lo, hi in (
        ("train_ratio", "Ratio of training data (%)", 10, 90),
        ("noise", "Noise (%)", 0, 50),
        ("batch_size", "Batch size", 1, 100),
    ):
        if _show(key, hidden):
            st.slider(label, lo, hi, key=key, help=HELP[key])
    if _show("regenerate", hidden):
        st.button("Regenerate", key="regenerate", on_click=_on_regenerate, help=HELP["regenerate"])


def feature_controls(hidden: frozenset[str], error: str = "") -> None:
    """The seven input features as toggles, and the user's own feature expressions."""
    if _show("features", hidden):
        cols = st.columns(2)
        for i, name in enumerate(FEATURES):
            cols[i % 2].checkbox(name, key=feature_key(name), help=HELP["features"])
    if _show("custom_features", hidden):
        st.text_input("Your own features", key="custom_features", help=HELP["custom_features"],
                      placeholder="x1*x2^2; exp(-x1^2)")  # fmt: skip
        if error:
            st.error(error, icon="⚠️")


def network_controls(hidden: frozenset[str], kinds: tuple[str, ...] = ("dense",)) -> None:
    """Hidden layers: how many, and each one's kind, neurons, activation and init."""
    acts = [a.value for a in Activation]
    if _show("n_layers", hidden):
        st.number_input("Hidden layers", 0, MAX_LAYERS, key="n_layers", help=HELP["n_layers"])
    if _show("activation", hidden):
        st.selectbox("Activation (all layers)", acts, key="activation",
                     on_change=_on_global_activation, help=HELP["activation"])  # fmt: skip
    if not _show("layers", hidden):
        return
    n = int(st.session_state["n_layers"])
    init_state(_new_layer_defaults(n))
    for i in range(n):
        with st.expander(f"Layer {i + 1}", expanded=False):
            if len(kinds) > 1:
                st.selectbox("Kind", kinds, key=f"kind_{i}", help=HELP["layer_kind"])
            kind = st.session_state.get(f"kind_{i}", "dense")
            if kind == "dense":
                st.number_input("Neurons", 1, MAX_UI_UNITS, key=f"units_{i}", help=HELP["units"])
                st.selectbox("Activation", acts, key=f"act_{i}", help=HELP["layer_activation"])
                st.selectbox("Init", [x.value for x in Init], key=f"init_{i}", help=HELP["init"])
            elif kind == "dropout":
                st.slider("Drop probability", 0.0, 0.9, key=f"p_{i}")


def _new_layer_defaults(n: int) -> dict[str, Any]:
    """Widget values for layers added with the + control: like the layer before them."""
    s, out = st.session_state, {}
    for i in range(n):
        prev = i - 1
        spec = LayerSpec(activation=Activation(s.get("activation", "tanh")))
        out |= {
            f"kind_{i}": s.get(f"kind_{prev}", "dense") if prev >= 0 else "dense",
            f"units_{i}": s.get(f"units_{prev}", spec.units),
            f"act_{i}": s.get(f"act_{prev}", spec.activation.value),
            f"init_{i}": s.get(f"init_{prev}", spec.init.value),
            f"p_{i}": 0.5,
        }
    return out


def train_controls(hidden: frozenset[str], task: Task) -> None:
    """Learning rate, regularisation, loss, optimizer, schedule, speed, stops, seed, device."""
    if _show("lr", hidden):
        st.selectbox("Learning rate", LEARNING_RATES, key="lr", accept_new_options=True,
                     help=HELP["lr"])  # fmt: skip
    cols = st.columns(2)
    if _show("regularization", hidden):
        cols[0].selectbox("Regularization", ["none", "L1", "L2"], key="regularization",
                          help=HELP["regularization"])  # fmt: skip
        cols[1].selectbox("Regularization rate", REG_RATES, key="reg_rate", help=HELP["reg_rate"])
    losses = [x.value for x in Loss]
    if task == Task.REGRESSION:
        losses = [x for x in losses if x not in ("cross_entropy", "bce")]
    if _show("loss", hidden):
        cols[0].selectbox("Loss", losses, key="loss", help=HELP["loss"])
    if _show("optimizer", hidden):
        cols[1].selectbox("Optimizer", [x.value for x in Optimizer], key="optimizer",
                          help=HELP["optimizer"])  # fmt: skip
        if st.session_state["optimizer"] in ("momentum", "nesterov", "rmsprop"):
            st.slider("Momentum", 0.0, 0.99, key="momentum", help=HELP["momentum"])
    if _show("schedule", hidden):
        cols[0].selectbox("LR schedule", [x.value for x in Schedule], key="schedule",
                          help=HELP["schedule"])  # fmt: skip
        if st.session_state["schedule"] != "constant":
            cols[1].number_input("Schedule steps", 1, 10**7, key="schedule_steps",
                                 help=HELP["schedule_steps"])  # fmt: skip
    if _show("speed", hidden):
        st.select_slider("Speed", list(SPEEDS), key="speed", help=HELP["speed"])
    if _show("stops", hidden):
        cols = st.columns(2)
        cols[0].number_input("Stop after epochs", 0, 10**7, key="max_epochs",
                             help=HELP["max_epochs"])  # fmt: skip
        cols[1].number_input("Stop at test loss", 0.0, 100.0, key="target_test_loss",
                             format="%.4f", help=HELP["target_test_loss"])  # fmt: skip
    if _show("seed", hidden):
        cols = st.columns(3)
        cols[0].number_input("Seed", 0, 2**31 - 1, key="seed", help=HELP["seed"])
        cols[1].number_input("Data seed", 0, 2**31 - 1, key="data_seed", help=HELP["data_seed"])
        cols[2].number_input("Samples", 20, 5000, step=50, key="n_samples",
                             help=HELP["n_samples"])  # fmt: skip
    if _show("device", hidden):
        st.selectbox("Device", ["auto", "cpu", "cuda"], key="device", help=HELP["device"])
