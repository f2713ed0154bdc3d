"""The Sequences page's views: curves, predictions, hidden state, gates, the gradient through
time, attention maps and the text sample, drawn from snapshots and the trainer's answers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import streamlit as st

from playground.figures import curves
from playground.figures import sequences as figs
from playground.train.runinfo import RunInfo
from playground.train.snapshot import Snapshot
from playground.train.trainer import RequestError, Trainer
from ui import views
from ui.controls import draw
from ui.sequences_captions import caption
from ui.sequences_state import SequencesState
from ui.sequences_widgets import RECURRENT, SEQ

PLOT = {"displayModeBar": False}
SAMPLE_LEN = 160  # characters of the live text sample
INTERNALS = ("hidden", "gates", "grad_through_time", "attention")


def _task(info: RunInfo) -> str:
    """The run's task: sine, copy, parity, reverse, sort or text."""
    return info.config.data.name.value


def _label(vocab: tuple[str, ...], k: Any) -> str:
    """A token's display: its vocabulary entry ("" for -1, no target there)."""
    if isinstance(k, str):
        return k
    return "" if k < 0 else vocab[k] if k < len(vocab) else str(k)


def _labels(vocab: tuple[str, ...], seqs: list[Any]) -> list[list[str]]:
    return [[_label(vocab, k) for k in seq] for seq in seqs]


def prediction_figure(info: RunInfo, examples: Mapping[str, Any]) -> Any:
    """Predictions against targets on the snapshot's few test sequences."""
    if not info.is_classification:
        mask = np.asarray(examples["mask"], dtype=bool)  # (S, T)
        targets = np.where(mask, np.asarray(examples["targets"], dtype=np.float64), np.nan)
        return figs.value_predictions(examples["inputs"], targets, examples["predictions"])
    vocab = info.feature_names
    rows = [_labels(vocab, examples[k]) for k in ("inputs", "targets", "predictions")]
    return figs.token_predictions(*rows, examples["mask"])


def layer_options(info: RunInfo) -> list[int]:
    """Indices of the layers whose insides can be shown (every layer but the output)."""
    return [i for i, name in enumerate(info.layer_names) if name != "output"]


def view_controls(trainer: Trainer, state: SequencesState) -> None:
    """Test sequence, layer, log scale (and the text sample's temperature and start); a new run
    starts them on the layer the engine follows by default."""
    s, info = st.session_state, trainer.info
    options = layer_options(info) or [0]
    if state.selected is None or state.selected[0] is not info:
        s["seq_layer"] = int(trainer.latest().extra.get("hidden_layer", options[0]))
        s["seq_example"] = min(int(s["seq_example"]), info.n_test - 1)
        state.selected = (info, -1, -1)
    cols = st.columns([1, 1, 0.8] + [1, 1] * (_task(info) == "text"))
    draw(SEQ["seq_example"], cols[0], max_value=info.n_test - 1)
    cols[1].selectbox(SEQ["seq_layer"].label, options, key="seq_layer", help=SEQ["seq_layer"].help,
                      format_func=lambda i: info.layer_names[i])  # fmt: skip
    draw(SEQ["seq_log"], cols[2])
    if len(cols) == 5:
        draw(SEQ["seq_temperature"], cols[3])
        draw(SEQ["seq_prompt"], cols[4])


def internals(trainer: Trainer, snap: Snapshot, state: SequencesState) -> Mapping[str, Any]:
    """Hidden state, gates, gradient and attention of the chosen sequence and layer: the
    snapshot's when it follows them, else asked now (and the trainer told to follow them)."""
    want = (int(st.session_state["seq_example"]), int(st.session_state["seq_layer"]))
    extra = snap.extra
    if (extra.get("sequence_index"), extra.get("hidden_layer")) == want:
        return extra
    if state.selected != (trainer.info, *want):
        trainer.ask("select", index=want[0], layer=want[1])
        state.selected = (trainer.info, *want)
    return trainer.ask("internals", index=want[0], layer=want[1])


def _tokens(info: RunInfo, data: Mapping[str, Any], snap: Snapshot) -> list[str] | None:
    """The chosen sequence's input tokens, to label the attention maps."""
    if "inputs" in data:
        seq = data["inputs"]
    else:
        examples, i = snap.extra.get("examples") or {}, int(st.session_state["seq_example"])
        if i >= len(examples.get("inputs", ())):
            return None
        seq = examples["inputs"][i]
    if not info.is_classification:
        return [f"{v:.2f}" for v in seq]
    return [_label(info.feature_names, k) for k in seq]


def curves_row(info: RunInfo, snap: Snapshot) -> None:
    """Loss and (for token tasks) accuracy against the step."""
    left, right = st.columns(2)
    left.plotly_chart(curves.loss_curve(snap.history), key="seq_loss", config=PLOT)
    if info.is_classification:
        right.plotly_chart(curves.accuracy_curve(snap.history), key="seq_acc", config=PLOT)
    st.caption(caption("curves", _task(info)))


def metrics_line(info: RunInfo, snap: Snapshot) -> None:
    """Losses, accuracy, and the share of test sequences entirely right."""
    views.metrics(snap, info.is_classification)
    whole = snap.history.get("sequence_accuracy")
    if info.is_classification and whole is not None and len(whole) and math.isfinite(whole[-1]):
        st.markdown(f"Test sequences entirely right **{whole[-1]:.1%}**")


def inside_views(trainer: Trainer, snap: Snapshot, state: SequencesState) -> None:
    """Hidden state, gates, gradient through time and attention of the chosen sequence/layer."""
    info = trainer.info
    try:
        data = internals(trainer, snap, state)
    except RequestError as e:
        st.warning(f"No view of the inside: {e}")
        return
    if not all(k in data for k in INTERNALS):
        st.caption("The inside views appear with the first snapshot.")
        return
    name = info.layer_names[int(st.session_state["seq_layer"])]
    kind, task = name.split(" ")[0], _task(info)
    with st.container(key="seq_hidden_view"):
        title = f"Hidden state of {name}, test sequence {st.session_state['seq_example']}"
        st.plotly_chart(figs.state_heatmap(data["hidden"], title=title), key="seq_hidden",
                        config=PLOT)  # fmt: skip
    st.caption(caption("hidden", task, kind if kind not in RECURRENT else ""))
    if data["gates"]:
        st.plotly_chart(figs.gate_heatmaps(data["gates"], title=f"Gates of {name}"),
                        key="seq_gates", config=PLOT)  # fmt: skip
    if data["gates"] or kind == "rnn":
        st.caption(caption("gates", task, kind))
    grad = figs.gradient_through_time({name: data["grad_through_time"]},
                                      log_y=bool(st.session_state["seq_log"]))  # fmt: skip
    st.plotly_chart(grad, key="seq_grad", config=PLOT)
    st.caption(caption("grad", task, kind))
    if data["attention"]:
        with st.container(key="seq_attention_view"):
            fig = figs.attention_maps(data["attention"], _tokens(info, data, snap))
            st.plotly_chart(fig, key="seq_attention", config=PLOT)
        st.caption(caption("attention", task))


def text_sample(trainer: Trainer) -> None:
    """A sample written by the current model at the chosen temperature (text only)."""
    temperature, prompt = float(st.session_state["seq_temperature"]), st.session_state["seq_prompt"]
    try:
        sample = trainer.ask("sample", temperature=temperature, length=SAMPLE_LEN, prompt=prompt)
    except RequestError as e:
        st.warning(f"No sample: {e}")
        return
    with st.container(key="seq_sample"):
        st.markdown(f"**Sample at temperature {temperature:g}**")
        st.code(sample, language=None, wrap_lines=True)
    st.caption(caption("sample", "text"))


def live(trainer: Trainer, state: SequencesState, started: Snapshot) -> None:
    """The live area, redrawn from the newest snapshot.

    Args:
        started: the snapshot the page was drawn with (a run that stops redraws the page).
    """
    snap, info = trainer.latest(), trainer.info
    views.status_line(snap)
    metrics_line(info, snap)
    curves_row(info, snap)
    examples = snap.extra.get("examples")
    if examples and len(examples.get("inputs", ())):
        st.plotly_chart(prediction_figure(info, examples), key="seq_predictions", config=PLOT)
        st.caption(caption("predictions", _task(info)))
    if _task(info) == "text":
        text_sample(trainer)
    inside_views(trainer, snap, state)
    if started.is_active and not snap.is_active:
        st.rerun()  # the run stopped by itself: redraw the page once, then stop refreshing
