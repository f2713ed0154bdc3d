"""The Compare page's controls (preset or custom axis, values, steps) and its live views."""

from __future__ import annotations

import streamlit as st

from playground.config import RunConfig
from playground.figures import boundary
from playground.figures import diagnostics as figs
from playground.figures.theme import NEGATIVE, NEUTRAL, POSITIVE, class_color
from playground.train.compare import (
    AXES,
    MAX_VARIANTS,
    PRESETS,
    CompareRun,
    Variant,
    make_variants,
    parse_values,
)
from playground.train.runinfo import RunInfo
from playground.train.snapshot import Snapshot
from ui.controls import (
    NUMBER,
    SELECT,
    TEXT,
    TOGGLE,
    Control,
    draw,
    init_state,
    table,
    widget_values,
)

CUSTOM = "Custom: pick an axis"
AXIS_DEFAULTS = {
    "optimizer": "sgd, momentum, adam",
    "lr": "0.003, 0.03, 0.3",
    "batch_size": "1, 10, 50",
    "activation": "tanh, relu",
    "init": "xavier_uniform, kaiming_uniform",
    "regularization": "none, l2:0.003, l1:0.003",
    "depth": "1, 2, 4",
}
CHART = {"displayModeBar": False}
COLOUR_NAMES = {NEGATIVE: "orange", POSITIVE: "blue"}  # the theme's two ends, in words


def _axis_changed() -> None:
    st.session_state["cmp_values"] = AXIS_DEFAULTS[st.session_state["cmp_axis"]]


COMPARE = table(
    Control("cmp_preset", kind=SELECT, label="Compare", options=[*PRESETS, CUSTOM],
            default=next(iter(PRESETS)),
            help="A ready-made comparison, or your own axis and values."),
    Control("cmp_axis", kind=SELECT, label="Axis", options=AXES, default="lr",
            on_change=_axis_changed, help="What differs between the variants; all else stays."),
    Control("cmp_values", kind=TEXT, label="Values", default=AXIS_DEFAULTS["lr"],
            help=f"2 to {MAX_VARIANTS} comma-separated values, e.g. 0.003, 0.03, 0.3."),
    Control("cmp_steps", kind=NUMBER, label="Steps", lo=10, hi=10**7, step=500, default=2000,
            help="Every variant stops after this many steps (its train.max_steps)."),
    Control("cmp_log", kind=TOGGLE, label="Log scale", default=False,
            help="A log loss axis shows late progress."),
)  # fmt: skip


def init_widgets() -> None:
    """The compare widgets' first values."""
    init_state(widget_values(COMPARE, RunConfig()))


def describe(cfg: RunConfig) -> str:
    """One line about the setup the variants start from."""
    units = "-".join(str(s.units) for s in cfg.model.layers if s.kind.value == "dense") or "none"
    acts = sorted({s.activation.value for s in cfg.model.layers if s.is_trainable}) or ["-"]
    t = cfg.train
    return (f"{cfg.data.name.value} data · hidden {units} ({', '.join(acts)}) · "
            f"{t.optimizer.value} lr {t.lr:g} · batch {t.batch_size} · seed {t.seed}")  # fmt: skip


def variant_controls(base: RunConfig) -> tuple[list[Variant], int]:
    """Preset or custom axis and values, and the step budget; ConfigError on bad values."""
    top, c = st.columns([2, 1.3, 2, 1]), COMPARE
    preset = draw(c["cmp_preset"], top[0])
    if preset == CUSTOM:
        axis = draw(c["cmp_axis"], top[1])
        text = draw(c["cmp_values"], top[2], help=f"2 to {MAX_VARIANTS} comma-separated values, "
                    f"e.g. {AXIS_DEFAULTS[axis]}.")  # fmt: skip
        values = parse_values(axis, text)
    else:
        axis, values = PRESETS[preset]
        top[1].text_input("Axis", axis, disabled=True, help="What differs between the variants.")
        top[2].text_input("Values", ", ".join(map(str, values)), disabled=True,
                          help="This preset's values; pick Custom to type your own.")  # fmt: skip
    steps = draw(c["cmp_steps"], top[3])
    return make_variants(base, axis, list(values)), int(steps)


def run_info(runs: CompareRun) -> RunInfo:
    """The variants' shared description (they train on the same data)."""
    return runs.trainers[0].info


def live(runs: CompareRun, log_y: bool, started_active: bool) -> None:
    """Status line, loss (and accuracy) curves, boundaries and the table of every variant."""
    snaps, info = runs.snapshots(), run_info(runs)
    with st.container(key="cmp_status"):
        st.markdown(" · ".join(f"**{lbl}** {s.status.value} step {s.step}"
                               for lbl, s in zip(runs.labels, snaps)))  # fmt: skip
    histories = [(lbl, s.history) for lbl, s in zip(runs.labels, snaps)]
    cols = st.columns(2 if info.is_classification else 1)
    cols[0].plotly_chart(figs.variant_curves(histories, "loss", log_y=log_y), config=CHART,
                         key="cmp_loss")  # fmt: skip
    if info.is_classification:
        cols[1].plotly_chart(figs.variant_curves(histories, "accuracy"), config=CHART,
                             key="cmp_accuracy")  # fmt: skip
    boundaries(info, runs.labels, snaps)
    st.dataframe(runs.table(), hide_index=True, key="cmp_table")
    if started_active and not any(s.is_active for s in snaps):
        st.rerun()  # every run stopped by itself: redraw once, then stop refreshing


def boundaries(info: RunInfo, labels: list[str], snaps: list[Snapshot]) -> None:
    """Each variant's output over the plane with the training points, and one colour key."""
    if not info.is_2d:
        return
    cols = st.columns(min(len(snaps), 3))
    for i, (label, snap) in enumerate(zip(labels, snaps)):
        if snap.grid is None:
            continue
        fig = boundary.decision_boundary(
            snap.grid, snap.grid_bound, points_train=info.points_train, y_train=info.y_train,
            task=info.task.value, n_classes=info.n_classes, height=240,
        )  # fmt: skip
        with cols[i % len(cols)]:
            st.markdown(f"**{label}**")
            st.plotly_chart(fig, config=CHART, key=f"cmp_boundary_{i}")
    k = next((int(s.grid.shape[0]) for s in snaps if s.grid is not None), 0)
    if k:  # the charts carry no colour bar: one key for all of them
        st.markdown(colour_key(info.is_classification, k), unsafe_allow_html=True)


def _swatch(color: str) -> str:
    return f"<span style='color:{color}'>&#9632;</span>&nbsp;"


def colour_key(classification: bool, k: int) -> str:
    """The boundary row's colour key as HTML: what the background's and the dots' colours mean
    (k: outputs drawn per chart). The colours are the theme's, named in words."""
    dots = "dots: training points in their class's colour"
    if k > 1:
        swatches = " ".join(f"{_swatch(class_color(c))}{c}" for c in range(k))
        return f"<small>Winning class {swatches} · paler = less confident · {dots}</small>"
    ends = [
        f"{_swatch(c)}{COLOUR_NAMES[c]} {v}" for c, v in ((NEGATIVE, "&minus;1"), (POSITIVE, "+1"))
    ]
    bar = f"linear-gradient(to right, {NEGATIVE}, {NEUTRAL}, {POSITIVE})"
    box = f"<span style='display:inline-block;width:80px;height:10px;background:{bar}'></span>"
    if classification:  # class 0 is drawn orange and class 1 blue (theme.CLASS_COLORS)
        return (
            f"<small>Network output {ends[0]} = class 0 {box} {ends[1]} = class 1 · {dots}</small>"
        )
    return (
        f"<small>Prediction {ends[0]} {box} {ends[1]} · dots: targets on the same colours</small>"
    )
