"""The Autoencoder page's live views: latent plane, decoder's grid, reconstructions, curves."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from playground.figures import autoencoder as figs
from playground.figures.images import digit_image
from playground.train.runinfo import RunInfo
from playground.train.snapshot import Snapshot
from playground.train.trainer import RequestError, Trainer
from ui import views
from ui.autoencoder_widgets import AE, pick_from_chart, picked_point
from ui.controls import draw

PLOT = {"displayModeBar": False}
CHART_WIDTH = 440  # px: a live chart at a fixed width does not blink when it is redrawn

CAPTIONS = {
    "latent": "Each dot is one test example, placed where the encoder sends it (the first two "
    "bottleneck units; the VAE's mean). Nobody told it the classes: notice how each colour "
    "still gathers in its own region, and which digits end up side by side. Click anywhere to "
    "decode that spot.",
    "grid": "The decoder applied to a 10 x 10 grid of codes spanning the dots on the left. "
    "Notice how one digit morphs into the next; a plain autoencoder leaves gaps between the "
    "clusters that decode to smudges, while the VAE's KL term packs the plane and fills them.",
    "pairs": "Top: one test digit per class. Bottom: what comes back after squeezing it "
    "through the bottleneck. Notice what survives (the shape) and what is lost (details).",
    "noisy": "Top: one test digit per class. Middle: the same digit with the training noise "
    "added. Bottom: what the denoising autoencoder rebuilds from the noisy one. Notice that the "
    "noise is gone: it learned what digits look like, not just to copy pixels.",
    "pick": "What the decoder draws for the code you picked (the x on the latent chart).",
    "plane": "Each test point (coloured) is joined to its reconstruction (dark dot). The black "
    "line is the decoder's image of the latent line or grid: every reconstruction lies on it, "
    "so notice how the autoencoder bends it to follow the data.",
    "loss": "Mean squared error per input value on the training set (solid) and test set "
    "(dashed). The dotted line is PCA with as many components: the best any linear encoder "
    "and decoder can do. A non-linear autoencoder should end below it.",
    "kl": "The VAE's KL term: how far the encoder's distributions are from N(0, 1), in nats "
    "per example. Raise β and it shrinks while the reconstructions blur.",
}


def _chart(fig: Any, key: str, **kwargs: Any) -> Any:
    fig.layout.width = CHART_WIDTH
    return st.plotly_chart(fig, key=key, config=PLOT, width="content", **kwargs)


def pick_vector(latent: np.ndarray) -> np.ndarray:
    """The code to decode: (z1, z2) from the widgets, any other unit at its mean over the
    test set (a 1-D latent takes z1 alone)."""
    z = latent.mean(axis=0).astype(np.float32)  # (L,)
    z1, z2 = picked_point()
    z[0] = z1
    if len(z) > 1:
        z[1] = z2
    return z


def metrics(snap: Snapshot, vae: bool, k: int) -> None:
    """Test and training reconstruction MSE, PCA's, and the VAE's KL."""
    pca = snap.extra.get("pca_mse", float("nan"))
    text = (f"Test reconstruction MSE **{snap.test_loss:.4f}** · training **{snap.train_loss:.4f}**"
            f" · PCA with {k} component{'s' * (k > 1)}: **{pca:.4f}**")  # fmt: skip
    if vae and "test_kl" in snap.history and len(snap.history["test_kl"]):
        text += f" · KL (test) **{snap.history['test_kl'][-1]:.3f}** nats"
    st.markdown(text)


def latent_view(info: RunInfo, snap: Snapshot) -> None:
    """The clickable latent plane, with the number boxes of the picked point."""
    latent, extent = snap.extra["latent"], snap.extra["grid_extent"]
    z = pick_vector(latent)
    picked = (float(z[0]), float(z[1]) if len(z) > 1 else 0.0)
    fig = figs.latent_scatter(latent, info.y_test, info.n_classes, extent, picked)
    with st.container(key="ae_latent_view"):
        _chart(fig, "ae_latent_chart", on_select=pick_from_chart, selection_mode="points")
    st.caption(CAPTIONS["latent"])
    cols = st.columns(2)
    draw(AE["ae_z1"], cols[0])
    if latent.shape[1] > 1:
        draw(AE["ae_z2"], cols[1])


def digit_views(trainer: Trainer, snap: Snapshot) -> None:
    """Digits: latent plane and decoder grid, then input/reconstruction pairs and the pick."""
    info, extra = trainer.info, snap.extra
    left, right = st.columns(2, gap="medium")
    with left:
        latent_view(info, snap)
    with right:
        _chart(figs.decoded_grid(extra["decoded_grid"], extra["grid_extent"], extra["grid_side"]),
               "ae_grid")  # fmt: skip
        st.caption(CAPTIONS["grid"])
    left, right = st.columns([2.2, 1], gap="medium")
    with left:
        shown = extra["shown"]
        titles = [str(int(c)) for c in info.y_test[shown]]
        noisy = extra.get("noisy")
        fig = figs.reconstruction_pairs(
            info.images_test[shown], extra["reconstructions"], titles, noisy
        )
        _chart(fig, "ae_pairs")
        st.caption(CAPTIONS["pairs" if noisy is None else "noisy"])
    with right:
        z = pick_vector(extra["latent"])
        try:
            img = trainer.ask("decode", z=z)[0, 0]  # (8, 8)
        except RequestError as e:
            st.warning(f"No decoding: {e}")
            return
        where = ", ".join(f"{v:.2f}" for v in z[:2])
        fig = digit_image(img, f"decoder(z = ({where}))", zmax=1.0)
        fig.layout.width = 240
        st.plotly_chart(fig, key="ae_pick", config=PLOT, width="content")
        st.caption(CAPTIONS["pick"])


def plane_views(trainer: Trainer, snap: Snapshot) -> None:
    """2-D data: the latent plane (or line) and the data plane with reconstructions."""
    info, extra = trainer.info, snap.extra
    left, right = st.columns(2, gap="medium")
    with left:
        latent_view(info, snap)
    with right:
        try:
            picked = trainer.ask("decode", z=pick_vector(extra["latent"]))[0]  # (2,)
        except RequestError:
            picked = None
        fig = figs.plane_reconstructions(
            info.points_test, extra["reconstructions"], info.y_test, info.n_classes,
            extra["decoded_grid"], extra["grid_side"], picked,
        )  # fmt: skip
        _chart(fig, "ae_plane")
        st.caption(CAPTIONS["plane"])


def curves(snap: Snapshot, vae: bool, k: int) -> None:
    """The reconstruction curves against PCA, and the KL curve of the VAE."""
    left, right = st.columns(2, gap="medium")
    with left:
        _chart(figs.loss_with_baseline(snap.history, snap.extra["pca_mse"], k), "ae_loss")
        st.caption(CAPTIONS["loss"])
    if vae:
        with right:
            _chart(figs.kl_curve(snap.history), "ae_kl")
            st.caption(CAPTIONS["kl"])


def live(trainer: Trainer, started: Snapshot) -> None:
    """The live area, redrawn while the run moves.

    Args:
        started: the snapshot the page was drawn with (a run that stops redraws the page).
    """
    snap, info = trainer.latest(), trainer.info
    ae = info.config.ae
    vae = "test_kl" in snap.history
    views.status_line(snap)
    if "latent" not in snap.extra:
        st.info("The views appear with the first snapshot.")
        return
    metrics(snap, vae, ae.latent)
    if info.is_2d:
        views.guarded(plane_views)(trainer, snap)
    else:
        views.guarded(digit_views)(trainer, snap)
    views.guarded(curves)(snap, vae, ae.latent)
    if started.is_active and not snap.is_active:
        st.rerun()  # the run stopped by itself: redraw the page once, then stop refreshing
