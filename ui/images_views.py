"""The Images page's views: the live area (curves, confusion matrix, filters, feature maps), the
chosen example, saliency maps and the drawn digit's prediction, all asked of the trainer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from playground.explain.image_probes import cell_examples, confusion_matrix, per_class_accuracy
from playground.explain.saliency import METHODS
from playground.figures import curves
from playground.figures import images as figs
from playground.train.runinfo import RunInfo
from playground.train.snapshot import Snapshot
from playground.train.trainer import RequestError, Trainer
from ui import views
from ui.controls import draw
from ui.diagnostics_view import diagnostics_panel
from ui.drawing import draw_digit, thumbnail
from ui.images_transfer import transfer_views
from ui.images_widgets import IMAGES, N_CLASSES
from ui.state import ImagesState, SaliencyResult

MAX_CELL_EXAMPLES = 12
DEFAULT_METHODS = ("gradient", "input_x_gradient", "integrated_gradients")
SALIENCY_TIMEOUT_S = 60.0  # several methods, some with many forward passes
PLOT = {"displayModeBar": False}
AGAIN = "press Compute saliency again"


@dataclass(frozen=True)
class Example:
    """The image the feature maps and saliency maps explain."""

    x: np.ndarray  # (1, 8, 8)
    label: str
    true_class: int | None  # None for a drawing


@dataclass
class StampedSaliency(SaliencyResult):
    """A saliency answer with the run and the step it was computed at, to tell when it is stale."""

    step: int
    run: RunInfo  # the run's identity: a Reset or a rebuild publishes a new RunInfo


def predictions(info: RunInfo, snap: Snapshot) -> tuple[np.ndarray, np.ndarray]:
    """True (N_test,) and predicted (N_test,) classes of the test set."""
    return info.y_test, snap.test_output.argmax(axis=1)


def chosen_example(info: RunInfo, snap: Snapshot, state: ImagesState) -> Example | None:
    """The example the widgets pick, or None (no drawing yet, an empty cell)."""
    s = st.session_state
    if s["img_source"] == "drawing":
        drawn = state.drawing
        return None if drawn is None else Example(drawn[None], "your drawing", None)
    i = min(int(s["img_index"]), info.n_test - 1)
    if s["img_source"] == "confusion cell":
        if snap.test_output is None:
            return None
        idx = cell_examples(*predictions(info, snap), int(s["img_true"]), int(s["img_pred"]))
        if not len(idx):
            return None
        i = int(idx[min(int(s["img_cell_pick"]), len(idx) - 1)])
    return Example(info.images_test[i], f"test example #{i}", int(info.y_test[i]))


def _pick_cell(event: Any, state: ImagesState) -> None:
    """A newly clicked cell of the matrix sets the true/predicted selectboxes."""
    points = event.selection.points if event is not None else []
    cell = (int(points[0]["y"]), int(points[0]["x"])) if points else None
    if cell is not None and cell != state.cell_seen:
        st.session_state["img_true"], st.session_state["img_pred"] = cell
    state.cell_seen = cell


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


def confusion(info: RunInfo, snap: Snapshot, state: ImagesState) -> None:
    """Per-class accuracy, the clickable confusion matrix, and the chosen cell's digits."""
    y_true, y_pred = predictions(info, snap)
    cm = confusion_matrix(y_true, y_pred, N_CLASSES)
    acc = per_class_accuracy(cm)
    st.markdown("**Per-class test accuracy** · " + " · ".join(
        f"{c}: {'–' if np.isnan(a) else f'{a:.0%}'}" for c, a in enumerate(acc)))  # fmt: skip
    cm_col, cell_col = st.columns([1.1, 1])
    with cm_col:
        fig = clickable_cells(figs.confusion_matrix_figure(cm), cm)
        event = st.plotly_chart(fig, key="img_cm", on_select="rerun", selection_mode="points",
                                config=PLOT)  # fmt: skip
    with cell_col:
        _pick_cell(event, state)
        c = st.columns(2)
        t, p = draw(IMAGES["img_true"], c[0]), draw(IMAGES["img_pred"], c[1])
        idx = cell_examples(y_true, y_pred, t, p)
        what = "correctly classified" if t == p else "misclassified"
        st.caption(f"{len(idx)} test digits of class {t} predicted as {p} ({what}).")
        shown = idx[:MAX_CELL_EXAMPLES]
        if len(shown):
            probs = snap.test_output[shown]  # (K, 10)
            st.image([thumbnail(info.images_test[i, 0]) for i in shown], width=64,
                     caption=[f"#{i} p({p})={q[p]:.2f} p({t})={q[t]:.2f}"
                              for i, q in zip(shown, probs)])  # fmt: skip


def inside_cnn(trainer: Trainer, snap: Snapshot, state: ImagesState) -> None:
    """Every conv filter, and the chosen example's feature maps layer by layer."""
    for probe in (p for p in snap.layers if p.weights.ndim == 4):  # (O, I, k, k) conv weights
        st.markdown(f"**Filters of {probe.name}** (one row per filter, one column per input)")
        st.plotly_chart(figs.filters_figure(probe.weights), key=f"img_filters_{probe.name}",
                        config=PLOT)  # fmt: skip
    example = chosen_example(trainer.info, snap, state)
    if example is None:
        st.caption("Feature maps: choose an example (left) to see them.")
        return
    st.markdown(f"**Feature maps of {example.label}**, layer by layer")
    try:
        maps = trainer.ask("feature_maps", x=example.x)
    except RequestError as e:
        st.warning(f"No feature maps: {e}")
        return
    st.plotly_chart(figs.feature_maps_figure(maps), key="img_feature_maps", config=PLOT)


def live(trainer: Trainer, state: ImagesState, cnn: bool, started: Snapshot) -> None:
    """The live area: status, curves, confusion matrix, filters, diagnostics.

    Args:
        started: the snapshot the page was drawn with (a run that stops redraws the page).
    """
    snap, s = trainer.latest(), st.session_state
    views.status_line(snap)
    views.metrics(snap, True)
    loss_col, acc_col = st.columns(2)
    with loss_col:
        views.loss_chart(snap, False, 0)
    acc_col.plotly_chart(curves.accuracy_curve(snap.history), key="img_acc", config=PLOT)
    transfer_views(snap)  # fine-tuned vs from scratch; plain vs shifted test set
    if snap.test_output is not None:
        confusion(trainer.info, snap, state)
    if cnn and s["img_inside"]:
        inside_cnn(trainer, snap, state)
    if s["img_diagnostics"]:
        diagnostics_panel(snap, key="img_diag")
    if started.is_active and not snap.is_active:
        st.rerun()  # the run stopped by itself: redraw the page once, then stop refreshing


def method_controls(state: ImagesState, cnn: bool) -> None:
    """The attribution methods (a CNN adds Grad-CAM), target class, baseline, scale."""
    s = st.session_state
    options = [m for m in METHODS if cnn or not METHODS[m].needs_conv]
    if "img_methods" not in s or state.methods_for_cnn != cnn:
        s["img_methods"] = [*DEFAULT_METHODS, *(["gradcam"] if cnn else [])]
    s["img_methods"] = [m for m in s["img_methods"] if m in options]
    state.methods_for_cnn = cnn
    st.multiselect("Methods", options, key="img_methods",
                   help="Attribution methods to compare side by side, via Captum.")  # fmt: skip
    for col, key in zip(st.columns(4), ("img_target", "img_baseline", "img_shared", "img_abs")):
        draw(IMAGES[key], col)


def _method_options(info: RunInfo, methods: list[str]) -> dict[str, dict[str, Any]]:
    """Keyword options per method from the widgets (the baseline of those that take one)."""
    baseline = st.session_state["img_baseline"]
    opts: dict[str, Any] = {"baseline": baseline}
    if baseline == "mean":
        opts["mean_image"] = info.mean_image  # (1, 8, 8)
    return {m: opts for m in methods if "baseline" in METHODS[m].options}


def compute_saliency(trainer: Trainer, state: ImagesState) -> None:
    """Every chosen method, answered by the trainer between two steps; kept in the state."""
    info, snap = trainer.info, trainer.latest()
    example = chosen_example(info, snap, state)
    if example is None:
        st.warning("No example to explain: draw a digit or pick a non-empty cell.")
        return
    methods = list(st.session_state["img_methods"])
    try:
        with st.spinner(f"Running {', '.join(methods)}…"):
            res = trainer.ask("saliency", timeout=SALIENCY_TIMEOUT_S, x=example.x,
                              target=int(st.session_state["img_target"]), methods=methods,
                              options=_method_options(info, methods))  # fmt: skip
    except RequestError as e:
        st.error(f"Saliency failed: {e}")
        return
    target, probs = res["target"], res["probs"]
    title = f"{example.label}, class {target} (p = {probs[target]:.2f})"
    state.saliency = StampedSaliency(example.x[0], dict(res["maps"]), list(res["errors"]), title,
                                     probs, example.true_class, int(res["step"]), info)  # fmt: skip


def staleness(res: SaliencyResult, trainer: Trainer) -> str | None:
    """Why a kept result no longer describes the model (its run or step has moved on), or None."""
    step, run = getattr(res, "step", None), getattr(res, "run", None)
    if step is None or run is not trainer.info:
        return f"Computed on an earlier run (reset or rebuilt since): {AGAIN}."
    now = trainer.latest().step
    if now == step:
        return None
    return f"Computed at step {step}; the model is now at step {now}: {AGAIN}."


def show_saliency(trainer: Trainer, state: ImagesState) -> None:
    """The kept saliency maps side by side and the class probabilities, greyed out when stale."""
    res, s = state.saliency, st.session_state
    if res is None:
        return
    stale = staleness(res, trainer)
    st.markdown(f":gray[Saliency of {res.title}]" if stale else f"**Saliency of {res.title}**")
    st.caption(stale or f"Computed at step {res.step}, the model's current step.")
    look = figs.faded if stale else (lambda fig: fig)
    for error in res.errors:
        st.warning(error)
    if res.maps:
        fig = figs.saliency_grid(res.x, res.maps, s["img_shared"], absolute=s["img_abs"])
        st.plotly_chart(look(fig), key="img_sal_maps", config=PLOT)
    bars = figs.probabilities_bar(res.probs, true_class=res.true_class)
    st.plotly_chart(look(bars), key="img_sal_probs", config=PLOT)


def drawing_panel(trainer: Trainer, state: ImagesState) -> None:
    """The drawing canvas and the network's prediction for the drawn digit."""
    drawn = draw_digit()  # (8, 8) in [0, 1] or None
    state.drawing = drawn
    if drawn is None:
        return
    try:
        probs = trainer.ask("predict_proba", x=drawn[None, None])[0]  # (10,)
    except RequestError as e:
        st.warning(f"No prediction: {e}")
        return
    st.image(thumbnail(drawn), width=96, caption="8x8, as the network sees it")
    st.plotly_chart(figs.probabilities_bar(probs), key="img_drawn_probs", config=PLOT)


def method_notes() -> None:
    """What each chosen method computes, and its paper."""
    with st.expander("What each method shows"):
        for m in st.session_state["img_methods"]:
            st.markdown(f"**{m}**: {METHODS[m].description}  \n*{METHODS[m].paper}*")
