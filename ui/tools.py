"""Playground tools: save/load the config, pick a neuron, set a weight by hand, explain a step."""

from __future__ import annotations

import streamlit as st

from playground.config import ConfigError, LayerKind, RunConfig
from playground.train.trainer import RequestError
from ui.controls import init_state
from ui.state import Session, TrainerSlot, get_session
from ui.views import escape_markdown
from ui.widgets import playground_values

MAX_CONFIG_BYTES = 1_000_000


def neuron_options(cfg: RunConfig) -> list[str]:
    """ "layer L neuron N" for every hidden dense neuron (L and N from 1)."""
    dense = [s for s in cfg.model.layers if s.kind == LayerKind.DENSE]
    return [f"layer {k + 1} neuron {j + 1}" for k, s in enumerate(dense) for j in range(s.units)]


PICKED = "_picked_neuron"  # a neuron clicked in the live view, for the picker's next draw


def pick_neuron(layer_names: tuple[str, ...], layer: int, unit: int) -> bool:
    """A neuron clicked in the live view (layer indexes layer_names) becomes the picked one on
    the next full run; False for a click that picks nothing (the output) or no change."""
    if not 0 <= layer < len(layer_names) - 1:
        return False
    label = f"layer {layer + 1} neuron {unit + 1}"
    if label == st.session_state.get("neuron"):
        return False
    st.session_state[PICKED] = label
    return True


def selected_neuron() -> tuple[int, int] | None:
    """(layer from 1, neuron from 0) of the neuron picked in the tools or clicked in the live
    view, if any (call it before the picker is drawn)."""
    picked = st.session_state.pop(PICKED, None)
    if picked and picked in neuron_options(get_session().config):
        st.session_state["neuron"] = picked
    label = st.session_state.get("neuron")
    if not label or label not in neuron_options(get_session().config):
        return None  # none, or "(no hidden neurons)" kept from a network without hidden layers
    parts = label.split()
    return int(parts[1]), int(parts[3]) - 1


def _load_config() -> None:
    upload = st.session_state.get("config_upload")
    if upload is None:
        return
    sess = get_session()
    try:
        if upload.size > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file: larger than {MAX_CONFIG_BYTES:,} bytes")
        text = upload.getvalue().decode("utf-8")
        cfg = RunConfig.from_json(text)
    except (ConfigError, UnicodeDecodeError) as e:
        sess.notices = [f"Could not load {upload.name}: {e}. The current run is unchanged."]
        return
    sess.config, sess.notices = cfg, [f"Loaded {upload.name}."]
    init_state(playground_values(cfg), force=True)


def _set_weight(slot: TrainerSlot) -> None:
    s = st.session_state
    layer, target, source = int(s["w_layer"]) - 1, int(s["w_to"]) - 1, int(s["w_from"]) - 1
    trainer, error = slot.trainer, "no run"
    try:
        if trainer is not None:
            ack = trainer.set_param(layer, target, None if source < 0 else source, s["w_value"])
            error = ack.error
    except ValueError as e:  # a value that is not a finite number
        error = str(e)
    if error:
        get_session().notices = [f"Could not set that weight: {error}"]


def tools(slot: TrainerSlot, sess: Session) -> None:
    """Save/load, neuron picker, weight editor, and the link to the Backprop page."""
    cfg = sess.config
    st.download_button("Save config (JSON)", cfg.to_json(), "playground-config.json",
                       "application/json", key="save_config",
                       help="Download every setting as JSON; load it here or use it with "
                       "`python -m playground train --config`.")  # fmt: skip
    st.file_uploader("Load config (JSON)", type=["json"], key="config_upload",
                     on_change=_load_config,
                     help="A file saved with the button above.")  # fmt: skip
    options = neuron_options(cfg)
    st.selectbox("Inspect neuron (More views → Neuron)", options or ["(no hidden neurons)"],
                 key="neuron", disabled=not options,
                 help="Outlined in the network picture; shown large under More views.")  # fmt: skip
    _weight_editor(slot)
    _explain_link(slot, sess)


def weight_shapes(slot: TrainerSlot) -> list[tuple[int, int]]:
    """(neurons, inputs) of each trainable layer of the live run, the output's last."""
    trainer = slot.trainer
    layers = trainer.latest().layers if trainer is not None else ()
    return [(int(p.weights.shape[0]), int(p.weights.shape[1])) for p in layers]


def _bounded(key: str, hi: int, lo: int = 1) -> int:
    """Bring a number input's value into lo..hi before it is drawn (the run's sizes changed)."""
    value = min(max(int(st.session_state.get(key, lo)), lo), hi)
    st.session_state[key] = value
    return hi


def _weight_editor(slot: TrainerSlot) -> None:
    """Layer, neuron, input and value of one weight, each bounded by the live layer sizes."""
    st.markdown("**Set a weight by hand** (from 0 = the bias)")
    shapes = weight_shapes(slot) or [(1, 1)]
    cols = st.columns(4)
    n_layers = _bounded("w_layer", len(shapes))
    layer = int(cols[0].number_input("Layer", 1, n_layers, key="w_layer",
                                     help=f"Trainable layer 1..{n_layers}; the last is the "
                                     "output."))  # fmt: skip
    rows, inputs = shapes[layer - 1]
    cols[1].number_input("To neuron", 1, _bounded("w_to", rows), key="w_to",
                         help=f"Neuron 1..{rows} of layer {layer}.")  # fmt: skip
    cols[2].number_input("From", 0, _bounded("w_from", inputs, lo=0), key="w_from",
                         help=f"Input 1..{inputs} of layer {layer}; 0 = the bias.")  # fmt: skip
    cols[3].number_input("Value", -100.0, 100.0, 0.0, key="w_value", format="%.4f")
    st.button("Set weight", key="set_weight", on_click=_set_weight, args=(slot,),
              help="Writes the value into the live model between two steps.")  # fmt: skip


def _explain_link(slot: TrainerSlot, sess: Session) -> None:
    """'Explain one step' opens the Backprop page on this network and one training example."""
    trainer = slot.trainer
    if trainer is None:
        return
    last = max(trainer.info.n_train - 1, 0)
    index = st.number_input("Training example for 'explain one step'", 0, last, 0,
                            key="explain_index")  # fmt: skip
    if not st.button("Explain one step", key="explain",
                     help="Open the Backprop page on this network (if it is small enough) "
                     "and this training example, every number shown."):  # fmt: skip
        return
    try:
        sess.backprop.request = trainer.ask("backprop_spec", index=int(index))
    except RequestError as e:
        st.warning(escape_markdown(f"Too big or unusual for the Backprop page: {e}"))
        return
    st.switch_page("app_pages/backprop.py")
