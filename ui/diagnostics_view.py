"""Diagnostics views: gradient flow with health flags, histograms over time, activation stats."""

from __future__ import annotations

import streamlit as st

from playground.explain.diagnostics import activation_summary, snapshot_health
from playground.figures import curves
from playground.figures import diagnostics as figs
from playground.train.snapshot import LayerProbe, Snapshot
from ui.state import get_session

KINDS = tuple(figs.HIST_KINDS)  # weights, gradients, activations
_CHART = {"displayModeBar": False}


def diagnostics_panel(snap: Snapshot, key: str = "diag", last_n: int = 0) -> None:
    """Everything about why a network trains or not, from one snapshot.

    Args:
        key: prefix of this panel's widget keys (one panel per page).
        last_n: show only the last N steps of the curves (0 = all).
    """
    gradient_flow(snap, key, last_n)
    history = list(snap.probe_history) or ([(snap.step, snap.layers)] if snap.layers else [])
    if not history:
        st.caption("No layer probes yet: they appear with the first published snapshot.")
        return
    st.markdown("#### Histograms per layer over time")
    _histograms(history, key)
    st.markdown("#### Activations")
    _activations(history, key)


def gradient_flow(snap: Snapshot, key: str = "diag", last_n: int = 0) -> None:
    """Gradient norm and update ratio per layer over time, with flags for unhealthy layers."""
    flags = snapshot_health(snap)
    with st.container(key=f"{key}_flags"):
        for flag in flags:
            st.warning(f"**{flag.layer}**: {flag.message}", icon=":material/warning:")
        if not flags and snap.step > 0:
            st.caption("Gradient flow looks healthy: no layer vanishes, explodes or stalls.")
    left, right = st.columns(2)
    h = snap.history
    left.plotly_chart(curves.grad_flow_curve(h, last_n_steps=last_n), config=_CHART,
                      key=f"{key}_grad_flow")  # fmt: skip
    right.plotly_chart(curves.update_ratio_curve(h, last_n_steps=last_n), config=_CHART,
                       key=f"{key}_update_ratio")  # fmt: skip


def _histograms(history: list[tuple[int, tuple[LayerProbe, ...]]], key: str) -> None:
    """Kind picker, a step scrubber, the chosen step's histograms and the heatmaps over time."""
    kind = st.radio(
        "Values", KINDS, horizontal=True, key=f"{key}_kind",
        help="Weights, the gradients of the last step, or each layer's activation outputs on "
        "a probe batch of training examples.",
    )  # fmt: skip
    steps = [s for s, _ in history]
    step = _scrub(steps, key) if len(steps) > 1 else steps[0]
    layers = dict(history)[step]
    reference = history[0][1] if step != steps[0] else ()
    fig = figs.layer_histograms(layers, kind, reference=reference)
    st.plotly_chart(fig, config=_CHART, key=f"{key}_hist_step")
    if reference:
        st.caption(f"Bars: step {step}. Grey outline: step {steps[0]} ({_origin(steps[0])}).")
    if len(steps) > 1:
        fig = figs.histogram_over_time(history, kind)
        st.plotly_chart(fig, config=_CHART, key=f"{key}_hist_time")
        st.caption("Each row is one step's histogram (share of the values per bin): watch the "
                   "distribution spread, drift or collapse as training goes on.")  # fmt: skip


def _scrub(steps: list[int], key: str) -> int:
    """A step slider over the kept steps; it follows the newest step until moved back."""
    skey, last = f"{key}_step", get_session().scrub_last
    current = st.session_state.get(skey)
    if current not in steps or current == last.get(key):
        st.session_state[skey] = steps[-1]
    last[key] = steps[-1]
    return st.select_slider(
        "Step", steps, key=skey,
        help="Scrub through training: the histograms below show the layers at this step. "
        "Left at the right end, it follows the newest step.",
    )  # fmt: skip


def _origin(step: int) -> str:
    return "initialisation" if step == 0 else "the earliest kept"


def _activations(history: list[tuple[int, tuple[LayerProbe, ...]]], key: str) -> None:
    """Dead and saturated units and the output distribution, at initialisation and now."""
    (first, at_init), (last, now) = history[0], history[-1]
    left, right = st.columns(2)
    left.markdown(f"At step {first} ({_origin(first)})")
    left.dataframe(activation_summary(at_init), hide_index=True, key=f"{key}_act_init")
    right.markdown(f"Now (step {last})")
    right.dataframe(activation_summary(now), hide_index=True, key=f"{key}_act_now")
    st.caption("Dead %: ReLU units silent on every probe example. Saturated %: tanh/sigmoid "
               "outputs at their limits, where the gradient is nearly 0. Mean and std are read "
               "from the histogram.")  # fmt: skip
    fig = figs.layer_histograms(now, "activations", reference=at_init if last != first else ())
    st.plotly_chart(fig, config=_CHART, key=f"{key}_act_hist")
    st.caption("The activation distribution is where the init shows: zeros collapse every unit "
               "to one value, small normal weights shrink the signal layer by layer, Xavier keeps "
               "tanh in range, He keeps ReLU alive.")  # fmt: skip
