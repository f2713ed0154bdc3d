"""Digits: train an MLP or CNN, confusion matrix, filters, saliency."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import numpy as np
import streamlit as st
import torch

from playground.config import ConfigError
from playground.explain.image_probes import (
    cell_examples,
    confusion_matrix,
    feature_maps,
    per_class_accuracy,
    predict_proba,
)
from playground.explain.saliency import BASELINES, METHODS, attribute
from playground.figures import curves
from playground.figures import images as figs
from playground.train.snapshot import Snapshot
from ui import images_widgets as iw
from ui import views
from ui.diagnostics_view import diagnostics_panel
from ui.state import get_session, trainer_slot
from ui.widgets import init_state

REFRESH_S = 0.5
MAX_CELL_EXAMPLES = 12
SOURCES = ("test set", "confusion cell", "drawing")
DEFAULT_METHODS = ("gradient", "input_x_gradient", "integrated_gradients")
PLOT = {"displayModeBar": False}
Example = tuple[np.ndarray, str, int | None]  # image (1, 8, 8), label, true class

sess = get_session()
if "images" not in sess.pages:
    sess.pages["images"] = iw.initial_config()
init_state(iw.widget_values(sess.pages["images"]))
init_state({"img_source": SOURCES[0], "img_index": 0, "img_cell_pick": 0, "img_true": 0,
            "img_pred": 0, "img_target": -1, "img_shared": True, "img_abs": False,
            "img_baseline": "zeros", "img_inside": True})  # fmt: skip
slot = trainer_slot("images")
s = st.session_state


def _command(name: str) -> None:
    if slot.trainer is not None:
        getattr(slot.trainer, name)()


st.title("Images & saliency")
for col, (key, label, helptext) in zip(st.columns([1, 1, 1, 1, 6]), [
    ("img_play", "▶ Play", "Train continuously in the background."),
    ("img_pause", "⏸ Pause", "Stop after the current step."),
    ("img_step", "⏭ Step", "Pause and take exactly one update."),
    ("img_reset", "⟲ Reset", "Back to step 0 with the same initial weights."),
]):  # fmt: skip
    command = {"img_play": "start"}.get(key, key.removeprefix("img_"))
    col.button(label, key=key, on_click=_command, args=(command,), help=helptext,
               use_container_width=True)  # fmt: skip

left, right = st.columns([1, 2.6], gap="medium")
with left:
    st.subheader("Model")
    iw.model_controls()
    config_error = st.empty()
with st.sidebar:
    st.header("Training")
    iw.train_controls()
try:
    sess.pages["images"] = iw.config_from_widgets(sess.pages["images"])
except ConfigError as e:
    config_error.error(f"{e} — the current run keeps going with the last valid setup.")
cfg = sess.pages["images"]
cnn = iw.is_cnn(cfg)
trainer = slot.ensure(cfg)
if trainer is None:
    st.error(f"This setup cannot run: {slot.error}")
    st.stop()
n_test = len(trainer.data.y_test)

with left:
    st.subheader("Example")
    st.radio("Example from", SOURCES, key="img_source", horizontal=True,
             help="The image for the feature maps and the saliency maps: a test digit, one "
             "from the selected confusion-matrix cell, or your own drawing.")  # fmt: skip
    st.number_input("Test example", 0, n_test - 1, key="img_index",
                    help="Index of the digit in the test set.")  # fmt: skip
    st.number_input("Example in the cell", 0, 10**5, key="img_cell_pick",
                    help="Which of the selected cell's examples (0 = the first).")  # fmt: skip


def _predictions(snap: Snapshot) -> tuple[np.ndarray, np.ndarray]:
    """True (N_test,) and predicted (N_test,) classes of the test set."""
    return trainer.data.y_test.numpy(), snap.test_output.argmax(axis=1)


def _example(snap: Snapshot) -> Example | None:
    """The chosen example, or None (no drawing yet, an empty cell)."""
    d = trainer.data
    if s["img_source"] == "drawing":
        drawn = sess.pages.get("images_drawing")
        return None if drawn is None else (drawn[None], "your drawing", None)
    i = min(int(s["img_index"]), n_test - 1)
    if s["img_source"] == "confusion cell":
        if snap.test_output is None:
            return None
        idx = cell_examples(*_predictions(snap), int(s["img_true"]), int(s["img_pred"]))
        if not len(idx):
            return None
        i = int(idx[min(int(s["img_cell_pick"]), len(idx) - 1)])
    return d.X_test[i].numpy(), f"test example #{i}", int(d.y_test[i])


def _pick_cell(event: Any) -> None:
    """A newly clicked cell of the matrix sets the true/predicted selectboxes."""
    points = event.selection.points if event is not None else []
    cell = (int(points[0]["y"]), int(points[0]["x"])) if points else None
    if cell is not None and cell != sess.pages.get("images_cell_seen"):
        s["img_true"], s["img_pred"] = cell
    sess.pages["images_cell_seen"] = cell


def _confusion(snap: Snapshot) -> None:
    y_true, y_pred = _predictions(snap)
    cm = confusion_matrix(y_true, y_pred, iw.N_CLASSES)
    acc = per_class_accuracy(cm)
    st.markdown("**Per-class test accuracy** · " + " · ".join(
        f"{c}: {'–' if np.isnan(a) else f'{a:.0%}'}" for c, a in enumerate(acc)))  # fmt: skip
    cm_col, cell_col = st.columns([1.1, 1])
    with cm_col:
        fig = iw.clickable_cells(figs.confusion_matrix_figure(cm), cm)
        event = st.plotly_chart(fig, key="img_cm", on_select="rerun", selection_mode="points",
                                config=PLOT)  # fmt: skip
    with cell_col:
        _pick_cell(event)
        classes = list(range(iw.N_CLASSES))
        c = st.columns(2)
        t = c[0].selectbox("True class", classes, key="img_true",
                           help="Row of the confusion matrix (or click a cell).")  # fmt: skip
        p = c[1].selectbox("Predicted class", classes, key="img_pred",
                           help="Column of the confusion matrix (or click a cell).")  # fmt: skip
        idx = cell_examples(y_true, y_pred, t, p)
        what = "correctly classified" if t == p else "misclassified"
        st.caption(f"{len(idx)} test digits of class {t} predicted as {p} ({what}).")
        shown = idx[:MAX_CELL_EXAMPLES]
        if len(shown):
            probs = snap.test_output[shown]  # (K, 10)
            st.image([iw.thumbnail(trainer.data.X_test[i, 0].numpy()) for i in shown], width=64,
                     caption=[f"#{i} p({p})={q[p]:.2f} p({t})={q[t]:.2f}"
                              for i, q in zip(shown, probs)])  # fmt: skip


def _inside_cnn(snap: Snapshot) -> None:
    for probe in (p for p in snap.layers if p.weights.ndim == 4):  # (O, I, k, k) conv weights
        st.markdown(f"**Filters of {probe.name}** (one row per filter, one column per input)")
        st.plotly_chart(figs.filters_figure(probe.weights), config=PLOT)
    example = _example(snap)
    if example is None:
        st.caption("Feature maps: choose an example (left) to see them.")
        return
    st.markdown(f"**Feature maps of {example[1]}**, layer by layer")
    maps = feature_maps(trainer.model_copy(), example[0])  # a copy: training goes on
    st.plotly_chart(figs.feature_maps_figure(maps), config=PLOT)


def live() -> None:
    snap = trainer.latest()
    views.status_line(snap)
    views.metrics(snap, True)
    loss_col, acc_col = st.columns(2)
    with loss_col:
        views.loss_chart(snap, False, 0)
    acc_col.plotly_chart(curves.accuracy_curve(snap.history), config=PLOT)
    if snap.test_output is not None:
        _confusion(snap)
    if cnn and s["img_inside"]:
        _inside_cnn(snap)
    if s.get("img_diagnostics"):
        diagnostics_panel(snap, key="img_diag")
    if running and not snap.is_active:
        st.rerun()  # the run stopped by itself: redraw the page once, then stop refreshing


def _options(name: str) -> dict[str, Any]:
    """Keyword options of a method from the page's widgets (its baseline)."""
    if "baseline" not in METHODS[name].options:
        return {}
    opts: dict[str, Any] = {"baseline": s["img_baseline"]}
    if s["img_baseline"] == "mean":
        opts["mean_image"] = trainer.data.X_train.mean(dim=0).numpy()  # (1, 8, 8)
    return opts


def _compute_saliency(snap: Snapshot) -> None:
    """Every chosen method on a copy of the model; the result is kept for later reruns."""
    example = _example(snap)
    if example is None:
        st.warning("No example to explain: draw a digit or pick a non-empty cell.")
        return
    x, label, true_class = example
    model = trainer.model_copy()  # training goes on meanwhile
    xt = torch.from_numpy(x)[None]  # (1, 1, 8, 8)
    probs = predict_proba(model, xt)[0]  # (10,)
    target = int(np.argmax(probs)) if s["img_target"] < 0 else int(s["img_target"])
    maps, errors, methods = {}, [], list(s["img_methods"])
    bar = st.progress(0.0)
    for k, name in enumerate(methods):
        slow = METHODS[name].slow
        bar.progress(k / len(methods), text=f"{name}" + (" (many forward passes)" if slow else ""))
        with st.spinner(f"Running {name}…") if slow else nullcontext():
            try:
                maps[name] = attribute(model, xt, target, name, **_options(name))[0, 0].numpy()
            except (ValueError, RuntimeError) as e:
                errors.append(f"{name}: {e}")
    bar.empty()
    title = f"{label}, class {target} (p = {probs[target]:.2f}), at step {snap.step}"
    sess.pages["images_saliency"] = {"x": x[0], "maps": maps, "errors": errors, "title": title,
                                     "probs": probs, "true": true_class}  # fmt: skip


def _show_saliency() -> None:
    res = sess.pages.get("images_saliency")
    if res is None:
        return
    st.markdown(f"**Saliency of {res['title']}**")
    for error in res["errors"]:
        st.warning(error)
    if res["maps"]:
        fig = figs.saliency_grid(res["x"], res["maps"], s["img_shared"], absolute=s["img_abs"])
        st.plotly_chart(fig, config=PLOT)
    st.plotly_chart(figs.probabilities_bar(res["probs"], true_class=res["true"]), config=PLOT)


def _method_controls() -> None:
    options = [m for m in METHODS if cnn or not METHODS[m].needs_conv]
    if "img_methods" not in s or sess.pages.get("images_methods_cnn") != cnn:
        s["img_methods"] = [*DEFAULT_METHODS, *(["gradcam"] if cnn else [])]
    s["img_methods"] = [m for m in s["img_methods"] if m in options]
    sess.pages["images_methods_cnn"] = cnn
    st.multiselect("Methods", options, key="img_methods",
                   help="Attribution methods to compare side by side, via Captum.")  # fmt: skip
    c = st.columns(4)
    c[0].selectbox("Target class", [-1, *range(iw.N_CLASSES)], key="img_target",
                   format_func=lambda k: "predicted" if k < 0 else str(k),
                   help="The class whose score is explained.")  # fmt: skip
    c[1].selectbox("Baseline", BASELINES, key="img_baseline",
                   help="Reference image of integrated gradients and DeepLIFT: black, "
                   "a blurred copy, or the mean training digit.")  # fmt: skip
    c[2].toggle("Shared scale", key="img_shared", help="One colour scale for every method.")
    c[3].toggle("Absolute", key="img_abs", help="Show |attribution| (ignore the sign).")


draw_col, saliency_col = st.container().columns([1, 2.2], gap="medium")
with draw_col:
    st.subheader("Draw a digit")
    drawn = iw.draw_digit()  # (8, 8) in [0, 1] or None
    sess.pages["images_drawing"] = drawn
    if drawn is not None:
        p_drawn = predict_proba(trainer.model_copy(), torch.from_numpy(drawn)[None, None])[0]
        st.image(iw.thumbnail(drawn), width=96, caption="8x8, as the network sees it")
        st.plotly_chart(figs.probabilities_bar(p_drawn), config=PLOT)
with saliency_col:
    st.subheader("Saliency")
    _method_controls()
    if st.button("Compute saliency", key="img_saliency",
                 help="Explain the chosen example with every chosen method, on a copy of the "
                 "model taken now (training goes on)."):  # fmt: skip
        _compute_saliency(trainer.latest())
    _show_saliency()
    with st.expander("What each method shows"):
        for m in s["img_methods"]:
            st.markdown(f"**{m}**: {METHODS[m].description}  \n*{METHODS[m].paper}*")

running = trainer.latest().is_active
with right:
    if cnn:
        st.toggle("Show filters and feature maps", key="img_inside",
                  help="Draw every conv filter and the chosen example's feature maps.")  # fmt: skip
    st.toggle("Show diagnostics", key="img_diagnostics",
              help="Gradient flow with warnings, weight/gradient/activation histograms over "
              "time, dead and saturated units.")  # fmt: skip
    st.fragment(run_every=REFRESH_S if running else None)(live)()
