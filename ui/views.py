"""Live views of a Playground run: status line, metrics and charts drawn from one Snapshot."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from playground.figures import boundary, curves, images, network, weights
from playground.figures.theme import NEGATIVE, NEUTRAL, POSITIVE, class_color
from playground.nn.engine import grid_axis
from playground.train.runinfo import RunInfo
from playground.train.snapshot import Snapshot, Status
from playground.train.trainer import RequestError, Trainer
from ui.diagnostics_view import diagnostics_panel

ARROWS = 20  # the input gradient's grid: ARROWS x ARROWS arrows

_STATUS_ICON = {
    Status.RUNNING: ":material/play_arrow:",
    Status.WAITING: ":material/hourglass_top:",
    Status.PAUSED: ":material/pause:",
    Status.IDLE: ":material/stop:",
    Status.DONE: ":material/check_circle:",
    Status.DIVERGED: ":material/warning:",
    Status.FAILED: ":material/error:",
    Status.CLOSED: ":material/stop:",
}


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: str) -> str:
    """Text shown as typed inside a Streamlit message: `__init__` stays `__init__`, not bold."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def guarded(view: Callable[..., None]) -> Callable[..., None]:
    """A view that fails shows its error in place; the rest of the page and the run go on."""

    @functools.wraps(view)
    def safe(*args: Any, **kwargs: Any) -> None:
        try:
            view(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - one broken chart must not blank the page
            st.error(
                escape_markdown(f"This view failed and was skipped ({type(e).__name__}: {e}).")
            )

    return safe


LIVE_WIDTH = 310  # px of a live Plotly chart (the Images page's loss curve)


def live_chart(fig: Any, width: int = LIVE_WIDTH) -> None:
    """A chart redrawn several times a second, at a fixed width. Streamlit re-mounts a Plotly
    chart whenever its figure changes, and one that takes its container's width stays hidden
    until it has measured it: at 5 refreshes a second it would blink."""
    fig.layout.width = width
    st.plotly_chart(fig, config={"displayModeBar": False}, width="content")


def _fmt(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.4f}"


def status_line(snap: Snapshot) -> None:
    """The `status` container: status word, step and epoch numbers, speed, device."""
    with st.container(key="status"):
        speed = f" · {snap.steps_per_s:,.0f} steps/s" if snap.is_active else ""
        st.markdown(
            f"{_STATUS_ICON[snap.status]} **{snap.status.value}** · step {snap.step} · "
            f"epoch {snap.epoch}{speed} · lr {snap.lr:g} · device {snap.device.upper()}"
        )
        if snap.status in (Status.DIVERGED, Status.FAILED):
            st.error(escape_markdown(snap.message))
        elif snap.message:
            st.info(escape_markdown(snap.message))
        if snap.probe_error:
            text = f"A view's probe failed (training goes on): {snap.probe_error}"
            st.warning(escape_markdown(text))


@guarded
def metrics(snap: Snapshot, classification: bool) -> None:
    """Train and test loss (and accuracy) as TensorFlow Playground shows them."""
    text = f"Test loss **{_fmt(snap.test_loss)}** · Training loss **{_fmt(snap.train_loss)}**"
    if classification:
        text += f"  \nTest accuracy **{_fmt(snap.test_accuracy)}** · "
        text += f"training accuracy **{_fmt(snap.train_accuracy)}**"
    st.markdown(text)


def scale_legend(task: str, k: int) -> str:
    """The boundary chart's colour key as HTML (drawn by the page: a Plotly colour bar would
    cost the live chart a second layout pass on every refresh)."""
    if k > 1:
        swatches = " ".join(
            f"<span style='color:{class_color(c)}'>&#9632;</span>&nbsp;{c}" for c in range(k)
        )
        return f"<small>Winning class {swatches} · paler = less confident</small>"
    what = "prediction" if task == "regression" else "output"
    bar = f"linear-gradient(to right, {NEGATIVE}, {NEUTRAL}, {POSITIVE})"
    box = f"display:inline-block;width:120px;height:10px;background:{bar};border:1px solid #ccc"
    return (
        f"<small>{what} &minus;1 <span style='{box}'></span> +1 · the same colours show "
        "every neuron's output and, on the links, negative (orange) and positive (blue) "
        "weights</small>"
    )


def network_figure(info: RunInfo, snap: Snapshot, selected: tuple[int, int] | None) -> Any:
    """The network picture of a snapshot (None without 2-D grids): every output unit drawn."""
    if snap.grid is None or not snap.layers or info.input_grids is None:
        return None
    return network.network_graph(
        list(info.feature_names), info.input_grids, [p.weights for p in snap.layers],
        [p.bias for p in snap.layers], list(snap.neuron_grids), snap.grid, selected=selected,
    )  # fmt: skip


@guarded
def loss_chart(snap: Snapshot, log_y: bool, last_n: int) -> None:
    with st.container(key="loss_chart"):
        fig = curves.loss_curve(snap.history, log_y=log_y, last_n_steps=last_n)
        live_chart(fig)


def _curves_view(trainer: Trainer, snap: Snapshot, opts: dict) -> None:
    """Loss (and accuracy) curves with hover and zoom (the live view draws them too)."""
    last_n = opts.get("last_n", 0)
    fig = curves.loss_curve(snap.history, log_y=opts.get("log_y", False), last_n_steps=last_n)
    if not trainer.info.is_classification:
        st.plotly_chart(fig)
        st.caption("Regression has no accuracy; the loss is the mean error.")
        return
    left, right = st.columns(2)
    left.plotly_chart(fig)
    right.plotly_chart(curves.accuracy_curve(snap.history, last_n_steps=last_n))


def _weights_view(trainer: Trainer, snap: Snapshot, opts: dict) -> None:
    if snap.layers:
        names = [p.name for p in snap.layers]
        st.plotly_chart(weights.weight_heatmaps(names, [p.weights for p in snap.layers]))
        st.plotly_chart(weights.grad_norm_bars(names, [p.grad_norm for p in snap.layers]))


def _diagnostics_view(trainer: Trainer, snap: Snapshot, opts: dict) -> None:
    diagnostics_panel(snap, key="diag", last_n=opts.get("last_n", 0))


def _surface_view(trainer: Trainer, snap: Snapshot, opts: dict) -> None:
    if snap.grid is not None:
        st.plotly_chart(boundary.output_surface_3d(snap.grid[0], snap.grid_bound))


@guarded
def extra_view(name: str, trainer: Trainer, snap: Snapshot, opts: dict) -> None:
    """The one secondary view the user picked (only it is computed)."""
    EXTRA_VIEWS[name](trainer, snap, opts)


def _neuron_view(trainer: Trainer, snap: Snapshot, opts: dict) -> None:
    neuron = opts.get("neuron")
    if not snap.neuron_grids:
        st.caption("No hidden neurons: add a hidden layer.")
        return
    layer, unit = neuron or (1, 0)
    layer = min(max(layer, 1), len(snap.neuron_grids))
    grid = snap.neuron_grids[layer - 1]
    unit = min(unit, grid.shape[0] - 1)
    title = f"Layer {layer}, neuron {unit + 1}: its output over the input plane"
    st.plotly_chart(boundary.neuron_heatmap(grid[unit], snap.grid_bound, title))


def _error_view(trainer: Trainer, snap: Snapshot, opts: dict) -> None:
    info = trainer.info
    if snap.grid is None or info.points_test is None:
        return
    if snap.test_output is None or snap.test_output.shape[1] != 1:
        st.caption("The error view needs a single output (regression or two classes).")
        return
    y = info.y_test.astype(np.float32)
    if info.is_classification:
        y = 2 * y - 1  # the +-1 score the output is compared with
    st.plotly_chart(boundary.regression_error(info.points_test, y, snap.test_output[:, 0]))
    st.caption("Error at each test point: the model's output minus the target.")


def _input_gradient_view(trainer: Trainer, snap: Snapshot, opts: dict) -> None:
    """d output / d (x1, x2) as arrows over the output: where the model is most sensitive."""
    if snap.grid is None:
        return
    axis = grid_axis(snap.grid_bound, ARROWS)
    units = trainer.info.output_units  # 1 score; 2 logits (class 1's); more: the likeliest's
    k = 0 if units == 1 else (1 if units == 2 else int(np.argmax(snap.grid.mean(axis=(1, 2)))))
    try:
        gx, gy = trainer.ask("input_gradient", axis=axis, output_index=k)
    except RequestError as e:
        st.warning(f"No input gradient: {e}")
        return
    r = snap.grid.shape[-1]
    base = snap.grid[0][:: r // ARROWS, :: r // ARROWS][:ARROWS, :ARROWS]
    st.plotly_chart(images.gradient_field(axis, axis, gx, gy, base, normalize=True))
    which = "the output" if units == 1 else f"class {k}'s output (logit)"
    st.caption(f"Arrows: the gradient of {which} with respect to (x1, x2) on a 20x20 grid, "
               "through the input features (arrow length scaled to the largest).")  # fmt: skip


EXTRA_VIEWS: dict[str, Callable[[Trainer, Snapshot, dict], None]] = {
    "Curves": _curves_view,
    "Weights": _weights_view,
    "Diagnostics": _diagnostics_view,
    "Input gradient": _input_gradient_view,
    "Neuron": _neuron_view,
    "3-D output": _surface_view,
    "Error": _error_view,
}
