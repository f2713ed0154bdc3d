"""The SOM page's live area: status, the map (a net over 2-D data, or prototype images), the
U-matrix, and the quantisation and topographic error curves, all from one snapshot."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from playground.figures import som as figs
from playground.settings.som import Topology
from playground.train.runinfo import RunInfo
from playground.train.snapshot import Snapshot
from playground.train.trainer import Trainer
from ui import views

PLOT = {"displayModeBar": False}


def _fmt(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.4g}"


@views.guarded
def errors_line(snap: Snapshot) -> None:
    """The newest quantisation errors, topographic error and the decayed lr and sigma."""
    te = snap.history.get("topographic_error", np.empty(0))
    last_te = float(te[-1]) if len(te) else math.nan
    radius = snap.extra.get("som_radius", math.nan)
    st.markdown(
        f"Quantisation error: test **{_fmt(snap.test_loss)}** · train "
        f"**{_fmt(snap.train_loss)}** · topographic error **{_fmt(last_te)}** · "
        f"neighbourhood σ {_fmt(radius)}"
    )


@views.guarded
def map_view(info: RunInfo, snap: Snapshot) -> None:
    """The elastic net over the 2-D points, or the prototypes as 8x8 images."""
    som = info.config.som
    protos, links = snap.extra.get("prototypes"), snap.extra.get("som_links")
    if protos is None:
        return
    if info.points_train is not None:
        fig = figs.elastic_net(protos, links, info.points_train, info.y_train)
    else:
        hexagonal = som.topology == Topology.HEXAGONAL
        fig = figs.prototype_mosaic(protos, som.width, som.height, hexagonal)
    st.plotly_chart(fig, key="som_map", config=PLOT)


@views.guarded
def umatrix_view(info: RunInfo, snap: Snapshot) -> None:
    """Each unit's mean distance to its neighbours, on the map's grid."""
    u, pos = snap.extra.get("umatrix"), snap.extra.get("som_positions")
    if u is None:
        return
    hexagonal = info.config.som.topology == Topology.HEXAGONAL
    st.plotly_chart(figs.u_matrix(u, pos, hexagonal), key="som_umatrix", config=PLOT)


@views.guarded
def curves_view(snap: Snapshot) -> None:
    """Quantisation error (train, test) and topographic error against the step."""
    qe, te = figs.error_curves(snap.history)
    left, right = st.columns(2)
    left.plotly_chart(qe, key="som_qe", config=PLOT)
    right.plotly_chart(te, key="som_te", config=PLOT)


def live(trainer: Trainer, started: Snapshot) -> None:
    """The live area, redrawn by its fragment while the map trains.

    Args:
        started: the snapshot the page was drawn with (a run that stops redraws the page).
    """
    snap, info = trainer.latest(), trainer.info
    views.status_line(snap)
    errors_line(snap)
    left, right = st.columns(2)
    with left:
        map_view(info, snap)
    with right:
        umatrix_view(info, snap)
    curves_view(snap)
    if started.is_active and not snap.is_active:
        st.rerun()  # the run stopped by itself: redraw the page once, then stop refreshing
