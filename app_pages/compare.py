"""Several runs from the same initial weights, side by side."""

from __future__ import annotations

import dataclasses

import streamlit as st

from playground.config import ConfigError, RunConfig, Task
from playground.figures import boundary
from playground.figures import diagnostics as figs
from playground.train.compare import (
    AXES,
    MAX_VARIANTS,
    PRESETS,
    CompareRun,
    make_variants,
    parse_values,
)
from ui.state import SessionSlot, get_session, release_slot
from ui.views import scale_legend

REFRESH_S = 0.5
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
_CHART = {"displayModeBar": False}


class CompareSlot(SessionSlot):
    """A tab's CompareRun; a different set of variants replaces it."""

    @property
    def run(self) -> CompareRun | None:
        return self.item

    def ensure(self, variants: list[tuple[str, RunConfig]], max_steps: int) -> CompareRun | None:
        """The run for these variants (max_steps applied live), or None with .error set."""
        key, run = repr(variants), self.item
        if run is not None and key == self.key:
            if run.configs[0].train.max_steps != max_steps:
                run.set_hparams(max_steps=max_steps)
                run.configs = [_with_steps(c, max_steps) for c in run.configs]
            return run
        return self._replace(
            key, lambda: CompareRun([(lbl, _with_steps(c, max_steps)) for lbl, c in variants])
        )


def _with_steps(cfg: RunConfig, max_steps: int) -> RunConfig:
    return cfg.replace(train=dataclasses.replace(cfg.train, max_steps=max_steps))


@st.cache_resource(scope="session", on_release=release_slot, show_spinner=False)
def compare_slot() -> CompareSlot:
    """The tab's compare run; its threads stop when the tab closes."""
    return CompareSlot()


def _command(name: str) -> None:
    if slot.run is not None:
        getattr(slot.run, name)()


def _axis_changed() -> None:
    st.session_state["cmp_values"] = AXIS_DEFAULTS[st.session_state["cmp_axis"]]


def _describe(cfg: RunConfig) -> str:
    units = "-".join(str(s.units) for s in cfg.model.layers if s.kind.value == "dense") or "none"
    acts = sorted({s.activation.value for s in cfg.model.layers if s.is_trainable}) or ["-"]
    t = cfg.train
    return (f"{cfg.data.name.value} data · hidden {units} ({', '.join(acts)}) · "
            f"{t.optimizer.value} lr {t.lr:g} · batch {t.batch_size} · seed {t.seed}")  # fmt: skip


sess = get_session()
slot = compare_slot()
for k, v in {"cmp_preset": next(iter(PRESETS)), "cmp_axis": "lr", "cmp_steps": 2000}.items():
    st.session_state.setdefault(k, v)
st.session_state.setdefault("cmp_values", AXIS_DEFAULTS[st.session_state["cmp_axis"]])

st.title("Compare")
st.caption(f"Variants of the Playground setup: {_describe(sess.config)}. Variants of one "
           "architecture start from the same weights and see the same data order.")  # fmt: skip
top = st.columns([2, 1.3, 2, 1])
preset = top[0].selectbox("Compare", [*PRESETS, CUSTOM], key="cmp_preset",
                          help="A ready-made comparison, or your own axis and values.")  # fmt: skip
if preset == CUSTOM:
    axis = top[1].selectbox("Axis", AXES, key="cmp_axis", on_change=_axis_changed,
                            help="What differs between the variants; all else stays.")  # fmt: skip
    text = top[2].text_input("Values", key="cmp_values",
                             help=f"2 to {MAX_VARIANTS} comma-separated values, e.g. "
                             f"{AXIS_DEFAULTS[axis]}.")  # fmt: skip
else:
    axis, values = PRESETS[preset]
    top[1].text_input("Axis", axis, disabled=True, help="What differs between the variants.")
    top[2].text_input("Values", ", ".join(map(str, values)), disabled=True,
                      help="This preset's values; pick Custom to type your own.")  # fmt: skip
steps = top[3].number_input("Steps", 10, 10**7, step=500, key="cmp_steps",
                            help="Every variant stops after this many steps.")  # fmt: skip
try:
    chosen = values if preset != CUSTOM else parse_values(axis, text)
    run = slot.ensure(make_variants(sess.config, axis, list(chosen)), int(steps))
except ConfigError as e:
    st.error(f"These variants cannot run: {e}")
    st.stop()
if run is None:
    st.error(f"These variants cannot run: {slot.error}")
    st.stop()

buttons = st.columns([1, 1, 1, 2, 3])
for col, (key, label, name, icon, helptext) in zip(buttons, [
    ("cmp_play", "Play", "start", "play_arrow", "Train every variant side by side."),
    ("cmp_pause", "Pause", "pause", "pause", "Pause every variant."),
    ("cmp_reset", "Reset", "reset", "restart_alt", "Every variant back to its initial weights."),
]):  # fmt: skip
    col.button(label, key=key, on_click=_command, args=(name,), icon=f":material/{icon}:",
               help=helptext, width="stretch")  # fmt: skip
log_y = buttons[3].toggle("Log scale", key="cmp_log", help="A log loss axis shows late progress.")
classification = run.data.task == Task.CLASSIFICATION


def live() -> None:
    snaps = run.snapshots()
    with st.container(key="cmp_status"):
        st.markdown(" · ".join(f"**{lbl}** {s.status.value} step {s.step}"
                               for lbl, s in zip(run.labels, snaps)))  # fmt: skip
    histories = [(lbl, s.history) for lbl, s in zip(run.labels, snaps)]
    cols = st.columns(2 if classification else 1)
    cols[0].plotly_chart(figs.variant_curves(histories, "loss", log_y=log_y), config=_CHART,
                         key="cmp_loss")  # fmt: skip
    if classification:
        cols[1].plotly_chart(figs.variant_curves(histories, "accuracy"), config=_CHART,
                             key="cmp_accuracy")  # fmt: skip
    _boundaries(snaps)
    st.dataframe(run.table(), hide_index=True, key="cmp_table")
    if running and not any(s.is_active for s in snaps):
        st.rerun()  # every run stopped by itself: redraw once, then stop refreshing


def _boundaries(snaps: list) -> None:
    d = run.data
    if d.points_train is None:
        return
    cols = st.columns(min(len(snaps), 3))
    for i, (label, snap) in enumerate(zip(run.labels, snaps)):
        if snap.grid is None:
            continue
        fig = boundary.decision_boundary(
            snap.grid, snap.grid_bound, points_train=d.points_train, y_train=d.y_train.numpy(),
            task=d.task.value, n_classes=d.n_classes, height=240,
        )  # fmt: skip
        with cols[i % len(cols)]:
            st.markdown(f"**{label}**")
            st.plotly_chart(fig, config=_CHART, key=f"cmp_boundary_{i}")
    k = next((int(s.grid.shape[0]) for s in snaps if s.grid is not None), 0)
    if k:  # the charts carry no colour bar: one key for all of them
        st.markdown(scale_legend(d.task.value, k), unsafe_allow_html=True)


running = run.is_active
st.fragment(run_every=REFRESH_S if running else None)(live)()
