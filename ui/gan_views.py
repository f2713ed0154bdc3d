"""The GAN page's live area: status, the plane, both losses and mode coverage, from snapshots."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from playground.data.points import COVER_SIGMAS
from playground.figures import gan as figs
from playground.settings.gan import GanLoss
from playground.train.snapshot import Snapshot
from playground.train.trainer import Trainer
from ui import views

PLANE_WIDTH, SIDE_WIDTH = 520, 440  # px: live charts keep a fixed width (views.live_chart)
ARROWS = 150
GRID = 60  # cells per side of D's heatmap: 3600 values per refresh

PLANE_CAPTION = (
    "**Blue dots** are real points, **orange dots** generated ones (G applied to 1000 fixed "
    "noise vectors). The background is the discriminator's probability that a point is real: "
    "blue where D(x) > 1/2, orange where D(x) < 1/2. Each black line starts at a generated "
    "sample and points along minus the gradient of the generator's loss at that sample (from "
    "autograd): where the next generator step pushes it. Lines are scaled together (the "
    "longest is 1 unit): they show direction and relative strength. Notice: fakes slide "
    'uphill towards where D says "real"; once they match the data, D is near 1/2 everywhere '
    "and the heatmap turns pale."
)
LOSS_CAPTION = (
    "At the equilibrium D(x) = 1/2 everywhere: D's loss is 2 ln 2 ≈ 1.39 and G's loss "
    "ln 2 ≈ 0.69 (non-saturating) or -ln 2 (minimax) (dotted lines). A D loss falling "
    "towards 0 means D rejects the fakes easily. Where it does, the minimax loss "
    "log(1 - D(G(z))) is flat (its gradient vanishes as D(G(z)) -> 0) while the "
    "non-saturating -log D(G(z)) is steepest: that is why it is the default."
)


def coverage_caption(modes: int) -> str:
    """What "covered" means, in words."""
    return (
        f"A mode counts as **covered** when at least 1/(4 × {modes}) = {1 / (4 * modes):.1%} "
        f"of the 1000 generated samples lie within {COVER_SIGMAS:g} sigma of its centre (each "
        "sample counted for its nearest mode; dotted circles on the plane). Mode collapse: the "
        "generator puts all its samples on one or two modes, hopping between them as D "
        "catches up. Provoke it with the button on the left."
    )


def _last(snap: Snapshot, column: str) -> float:
    values = snap.history.get(column)
    return float(values[-1]) if values is not None and len(values) else math.nan


def _fmt(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.3f}"


def readout(snap: Snapshot, modes: int) -> None:
    """The `gan_readout` line: both losses, D's mean output on real and fake, modes covered."""
    covered = snap.extra.get("modes_covered", math.nan)
    text = (
        f"D loss **{_fmt(_last(snap, 'd_loss'))}** · G loss **{_fmt(_last(snap, 'g_loss'))}** · "
        f"D(real) {_fmt(_last(snap, 'd_real'))} · D(fake) {_fmt(_last(snap, 'd_fake'))} · "
        f"test D loss {_fmt(snap.test_loss)} · D lr {_last(snap, 'd_lr'):g}"
    )
    if modes and math.isfinite(covered):
        text += f" · modes covered **{int(covered)} of {modes}**"
    with st.container(key="gan_readout"):
        st.markdown(text)


def live(trainer: Trainer, started: Snapshot) -> None:
    """The live area, redrawn by a fragment while the run moves.

    Args:
        started: the snapshot the page was drawn with (a run that stops redraws the page).
    """
    snap, s, info = trainer.latest(), st.session_state, trainer.info
    ex = snap.extra
    views.status_line(snap)
    modes = len(ex.get("mode_counts", ()))
    readout(snap, modes)
    if "fake" in ex:
        plane_col, side_col = st.columns([1.2, 1], gap="medium")
        with plane_col:
            fig = figs.plane_figure(
                ex["d_prob"], snap.grid_bound, info.points_train, ex["fake"], ex["g_grad"],
                arrows=ARROWS if s["gan_arrows"] else 0, centres=ex["centres"],
                sigma=ex["sigma"], show_heatmap=s["gan_heat"],
            )  # fmt: skip
            views.live_chart(fig, PLANE_WIDTH)
            st.caption(PLANE_CAPTION)
        with side_col:
            minimax = info.config.gan.loss == GanLoss.MINIMAX
            views.live_chart(figs.losses_figure(snap.history, minimax=minimax), SIDE_WIDTH)
            st.caption(LOSS_CAPTION)
            if modes:
                n = len(ex["fake"])
                views.live_chart(figs.mode_bars(np.asarray(ex["mode_counts"]), n), SIDE_WIDTH)
                views.live_chart(figs.coverage_curve(snap.history, modes), SIDE_WIDTH)
                st.caption(coverage_caption(modes))
            else:
                st.caption("This data set has no modes to count: judge the samples by eye.")
    if started.is_active and not snap.is_active:
        st.rerun()  # the run stopped by itself: redraw the page once, then stop refreshing
