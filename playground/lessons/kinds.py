"""Lessons for the newer model kinds (sequences, autoencoder, GAN): their presets, checked by the
figures each learner reports (the `report` request a headless run prints)."""

from __future__ import annotations

from typing import Any

from playground.config import RunConfig, with_value
from playground.lessons.lesson import Change, Lesson, Result, trained
from playground.presets import get_preset


def _preset(name: str, steps: int) -> RunConfig:
    """A preset stopping after `steps` steps, as its check runs it."""
    return with_value(get_preset(name), "train.max_steps", steps)


def report(cfg: RunConfig) -> dict[str, Any]:
    """The learner's own final figures of cfg trained to its stop (no live probes needed)."""
    with trained(cfg, with_probes=False) as (trainer, snap):
        return {"status": snap.status.value} | trainer.ask("report")


def rnn_vs_lstm(lesson: Lesson) -> Result:
    """The RNN stays at chance on copy-with-delay, its gradient gone; the LSTM recalls."""
    rnn, lstm = report(lesson.config), report(lesson.next_config)
    a, b = rnn["sequence_accuracy"], lstm["sequence_accuracy"]
    ga, gb = rnn["grad_first_last"], lstm["grad_first_last"]
    return Result(
        a <= 0.3 and b >= 0.8 and ga < 1e-3 < gb,
        {"sequence_accuracy_rnn": a, "sequence_accuracy_lstm": b, "chance": rnn["chance_accuracy"],
         "grad_first_last_rnn": ga, "grad_first_last_lstm": gb},
        f"recall accuracy {a:.3g} with the RNN (<= 0.3; chance {rnn['chance_accuracy']:.3g}), "
        f"{b:.3g} with the LSTM (>= 0.8); gradient reaching the first step / the last: "
        f"{ga:.1e} (RNN, < 1e-3), {gb:.1e} (LSTM, > 1e-3)",
    )  # fmt: skip


def ae_latent(lesson: Lesson) -> Result:
    """Two latent numbers rebuild digits better than the best linear pair (PCA)."""
    r = report(lesson.config)
    mse, pca = r["test_mse"], r["pca_mse"]
    return Result(
        mse < pca,
        {"test_mse": mse, "pca_mse": pca},
        f"test reconstruction error {mse:.4f} from the 2-number code vs {pca:.4f} from PCA "
        "with 2 components (lower)",
    )


def gan_collapse(lesson: Lesson) -> Result:
    """A generator 100x faster than its discriminator collapses; balanced rates cover the ring."""
    fast, even = report(lesson.config), report(lesson.next_config)
    a, b = fast["modes_covered"], even["modes_covered"]
    return Result(
        a <= 2 and b >= 6,
        {"modes_covered_collapse": a, "modes_covered_balanced": b, "modes": fast["modes"]},
        f"modes of the ring covered: {a} of {fast['modes']} with G 100x faster (<= 2), {b} "
        "with both at lr 0.001 (>= 6)",
    )


LESSONS_LIST = [
    Lesson(
        "rnn-vs-lstm", "RNN against LSTM on the copy task", "sequences",
        do="A plain RNN must repeat a symbol it saw 20 steps earlier. Press Play and watch the "
        "gradient through time. Then make the recurrent layer an LSTM.",
        notice="The RNN stays at chance: almost no gradient reaches the early steps. The LSTM "
        "learns to recall it, and its gradient reaches back.",
        why="Through a tanh RNN the gradient is multiplied by the same matrix and slopes at "
        "every step, so over 20 steps it vanishes. An LSTM's cell state passes through gates "
        "that can keep it (and its gradient) unchanged.",
        claim="After 500 steps: recall accuracy at most 0.3 with the RNN (chance 0.125) and at "
        "least 0.8 with the LSTM; gradient at the first step / the last below 1e-3 for the "
        "RNN, above it for the LSTM.",
        config=_preset("seq-copy-rnn", 500),
        controls=("seq_kind_", "seq_task", "seq_delay"),
        try_next=Change("Make it an LSTM", {"model.layers.1.kind": "lstm"}),
        check=rnn_vs_lstm,
        settings={"seq_preset": "seq-copy-rnn"},
    ),
    Lesson(
        "ae-latent", "An autoencoder's latent space", "autoencoder",
        do="An autoencoder squeezes each 64-pixel digit into 2 numbers. Press Play and watch "
        "the latent plane; click a point of it to decode it. Then try the variational one.",
        notice="Without any labels the codes sort the digits into clusters by class, and the "
        "2 numbers rebuild the digits better than the best straight-line projection (PCA).",
        why="The encoder is non-linear: it can bend the digits' manifold onto the plane, where "
        "PCA can only project it flat. A VAE also pulls the codes towards a round cloud.",
        claim="After 1500 steps the test reconstruction error from the 2-number code is below "
        "that of PCA with 2 components.",
        config=_preset("ae-digits", 1500),
        controls=("ae_latent", "ae_variant"),
        try_next=Change("Variational (VAE)", {"ae.variant": "vae"}),
        check=ae_latent,
    ),
    Lesson(
        "gan-collapse", "GAN mode collapse", "gan",
        do="The real data is a ring of 8 clusters. The generator learns 100x faster than the "
        "discriminator. Press Play. Then give both the same learning rate, 0.001.",
        notice="The generator's points pile onto one spot (or none of the clusters): mode "
        "collapse. With balanced rates they spread over the whole ring.",
        why="A generator that outruns its critic keeps finding one output the critic likes "
        "and moves everything there; the critic cannot push back fast enough.",
        claim="After 1000 steps the generator covers at most 2 of the 8 modes with G 100x "
        "faster, and at least 6 with both at lr 0.001.",
        config=_preset("gan-ring-collapse", 1000),
        controls=("gan_g_lr", "gan_d_lr"),
        try_next=Change("Both learning rates 0.001", {"train.lr": 0.001, "gan.d_lr": 0.001}),
        check=gan_collapse,
    ),
]  # fmt: skip
