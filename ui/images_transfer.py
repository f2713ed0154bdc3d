"""The Images page's transfer learning (frozen layers, starting weights, the pretrain / fine-tune
demonstration) and data augmentation (strengths, a strip of augmented digits, the shifted test
set): their widget <-> config rows, widgets and views."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st
import torch

from playground.data import augment
from playground.export.experiment import ExperimentError, experiment_bytes, load_experiment
from playground.figures import transfer as figs
from playground.settings.images import FREEZABLE
from playground.train.snapshot import Snapshot
from playground.train.trainer import RequestError, Trainer
from ui.controls import NUMBER, SELECT, SLIDER, TOGGLE, Control, Values, draw, init_state, table
from ui.drawing import thumbnail
from ui.state import ImagesState, TrainerSlot, get_session

FRESH = "fresh weights"
MAX_STARTS = 6  # kept runs and loaded files offered as starting weights
STRIP = 7  # augmented versions beside the original
PLOT = {"displayModeBar": False}
FREEZABLE_KINDS = tuple(k.value for k in FREEZABLE)


def _start_options(values: Values) -> list[str]:
    return [FRESH, *get_session().images.starts]


def _put_start(d: dict, v: Values) -> None:
    choice = v.get("img_start", FRESH)
    d["transfer"]["start_from"] = "" if choice == FRESH or d["transfer"]["demo"] else choice


def _put_frozen(d: dict, v: Values) -> None:
    n = int(v["img_n_layers"])
    d["transfer"]["frozen"] = [i for i in range(n) if v.get(f"img_freeze_{i}", False)
                               and v.get(f"img_kind_{i}") in FREEZABLE_KINDS]  # fmt: skip


CONTROLS = table(
    Control("img_aug_shift", "augment.shift", SLIDER, "Shift (pixels)", lo=0.0, hi=3.0, step=0.25,
            help="Each training digit moves by up to this many pixels along each axis."),
    Control("img_aug_rotate", "augment.rotate", SLIDER, "Rotation (degrees)", lo=0.0, hi=45.0,
            step=1.0, help="Each training digit turns by up to this many degrees either way."),
    Control("img_aug_scale", "augment.scale", SLIDER, "Scaling (±)", lo=0.0, hi=0.5, step=0.05,
            help="Each training digit is zoomed by a factor between 1 - this and 1 + this."),
    Control("img_aug_noise", "augment.noise", SLIDER, "Pixel noise", lo=0.0, hi=0.5, step=0.01,
            help="Standard deviation of Gaussian noise added to every pixel (pixels are 0-1)."),
    Control("img_aug_seed", "augment.seed", NUMBER, "Augmentation seed", lo=0, hi=10**6,
            parse=int, help="Seed of the random changes: the same seed, the same batches."),
    Control("img_aug_test_shift", "augment.test_shift", SLIDER, "Shifted test set (pixels)",
            lo=0.0, hi=3.0, step=0.25,
            help="A second test set: every test digit moved this far in a random direction "
            "(0 = none). Its accuracy is measured beside the plain test set's."),
    Control("img_tr_demo", "transfer.demo", TOGGLE, "Pretrain on digits 0-4, fine-tune on 5-9",
            help="Train the model on digits 0-4 first, then fine-tune it on a few labelled "
            "examples of 5-9, beside the same model trained from scratch on the same examples."),
    Control("img_tr_per_class", "transfer.per_class", NUMBER, "Labelled examples per digit",
            lo=1, hi=100, parse=int, help="Training examples of each digit 5-9 for fine-tuning."),
    Control("img_tr_pretrain", "transfer.pretrain_steps", NUMBER, "Pretraining steps", lo=1,
            hi=20000, parse=int, help="Steps on digits 0-4 before fine-tuning."),
    Control("img_start", kind=SELECT, label="Starting weights", options=_start_options,
            get=lambda c: c.transfer.start_from or FRESH, put=_put_start, url=None,
            help="The weights the next run starts from: a fresh initialisation, a run you kept, "
            "or an experiment file. Every layer takes them exactly; the output layer starts "
            "afresh if the number of classes differs."),
    Control("img_freeze", put=_put_frozen, url=None),  # the per-layer toggles below
)  # fmt: skip


def freeze_values(cfg: Any) -> dict[str, bool]:
    """Each layer's img_freeze_<i> toggle for a config."""
    return {f"img_freeze_{i}": i in cfg.transfer.frozen for i in range(len(cfg.model.layers))}


def start_state(state: ImagesState, cfg: Any) -> dict[str, torch.Tensor] | None:
    """The weights the config starts from (None: a fresh initialisation)."""
    return state.starts.get(cfg.transfer.start_from) if cfg.transfer.start_from else None


def _add_start(state: ImagesState, label: str, weights: dict[str, torch.Tensor]) -> None:
    state.starts[label] = weights
    while len(state.starts) > MAX_STARTS:
        state.starts.pop(next(iter(state.starts)))
    st.session_state["img_start"] = label


def _keep(slot: TrainerSlot) -> None:
    """Keep the running model's weights as a starting point, and start from them."""
    trainer, state = slot.trainer, get_session().images
    if trainer is None:
        return
    snap = trainer.latest()
    try:
        weights = trainer.ask("weights")
    except RequestError as e:
        state.start_error = f"Could not keep the weights: {e}"
        return
    state.kept += 1
    accuracy = "" if np.isnan(snap.test_accuracy) else f", test {snap.test_accuracy:.0%}"
    _add_start(state, f"kept run {state.kept} (step {snap.step}{accuracy})", weights)


def _load_file(state: ImagesState) -> None:
    """An uploaded experiment file's weights become a starting point (once per upload)."""
    up = st.session_state.get("img_start_file")
    if up is None or up.file_id in state.files_seen:
        return
    state.files_seen.add(up.file_id)
    try:
        exp = load_experiment(up.getvalue())
    except ExperimentError as e:
        state.start_error = f"{up.name}: {e}"
        return
    _add_start(state, f"file {up.name} (step {exp.step})", exp.state_dict)


def transfer_controls(state: ImagesState, slot: TrainerSlot) -> None:
    """The demonstration, the starting weights and the per-layer freeze toggles."""
    s = st.session_state
    draw(CONTROLS["img_tr_demo"])
    if s["img_tr_demo"]:
        cols = st.columns(2)
        draw(CONTROLS["img_tr_per_class"], cols[0])
        draw(CONTROLS["img_tr_pretrain"], cols[1])
        st.caption(
            "The curves compare the fine-tuned model with the same model trained from "
            "scratch on the same examples and batches. Notice which one learns faster "
            "and ends higher; then freeze the hidden layers, or try 2 or 50 examples. "
            "Transfer is not free: features learned on 0-4 can keep less of what 5-9 need "
            "than the 64 raw pixels do, and on these small digits they often do."
        )
    else:
        st.file_uploader(
            "Load starting weights (.nnpg)",
            type=["nnpg"],
            key="img_start_file",
            help="An experiment file saved from this page (Save this run).",
        )
        _load_file(state)
        draw(CONTROLS["img_start"])
        st.button("Keep this run's weights", key="img_keep", on_click=_keep, args=(slot,),
                  help="Offer the running model's weights as a starting point, and start "
                  "from them: change the layers' freezing or the data, then train on.")  # fmt: skip
    if state.start_error:
        st.error(state.start_error)
        state.start_error = ""
    n = int(s["img_n_layers"])
    init_state({f"img_freeze_{i}": False for i in range(n)})
    kinds = [(i, s[f"img_kind_{i}"]) for i in range(n) if s[f"img_kind_{i}"] in FREEZABLE_KINDS]
    for i, kind in kinds:
        st.toggle(f"Freeze layer {i + 1} ({kind})", key=f"img_freeze_{i}",
                  help="A frozen layer keeps its starting weights: no gradient reaches them "
                  "and no optimizer moves them.")  # fmt: skip


def augment_controls() -> None:
    """The augmentation strengths and the shifted test set."""
    cols = st.columns(2)
    for j, key in enumerate(("img_aug_shift", "img_aug_rotate", "img_aug_scale", "img_aug_noise")):
        draw(CONTROLS[key], cols[j % 2])
    cols = st.columns(2)
    draw(CONTROLS["img_aug_test_shift"], cols[0])
    draw(CONTROLS["img_aug_seed"], cols[1])


def augment_strip(trainer: Trainer, state: ImagesState) -> None:
    """The chosen test digit and augmented versions of it, drawn afresh as training moves on."""
    info, cfg = trainer.info, state.config.augment
    i = min(int(st.session_state.get("img_index", 0)), info.n_test - 1)
    x = torch.from_numpy(np.array(info.images_test[i]))  # (1, 8, 8)
    step = trainer.latest().step
    versions = augment.examples(x, cfg, STRIP, seed=cfg.seed + step).numpy()
    st.image([thumbnail(x[0].numpy(), 6)] + [thumbnail(v[0], 6) for v in versions], width=52,
             caption=["original"] + [""] * STRIP)  # fmt: skip
    if cfg.active:
        st.caption(f"Test digit #{i} as training might see it (new draws every step, step "
                   f"{step}): the network never sees the same picture twice.")  # fmt: skip
    else:
        st.caption("Every strength is 0: training sees the digits as they are.")


def transfer_views(snap: Snapshot) -> None:
    """The fine-tuned vs from-scratch curves and the plain vs shifted test curves."""
    history = snap.history
    if "scratch_test_accuracy" in history:
        st.plotly_chart(figs.transfer_curves(history), key="img_transfer_curves", config=PLOT)
        report = snap.extra.get("transfer")
        if report:
            st.caption(f"Now: fine-tuned {report['transfer_accuracy']:.1%}, from scratch "
                       f"{report['scratch_accuracy']:.1%} on the test digits 5-9, with "
                       f"{report['per_class']} labelled examples of each; the pretrained model "
                       f"scored {report['pretrain_accuracy']:.1%} on 0-4.")  # fmt: skip
    if "shifted_test_accuracy" in history:
        st.plotly_chart(figs.shifted_curves(history), key="img_shifted_curves", config=PLOT)
        st.caption("The gap between the curves is what a small move costs the model. Train "
                   "with a shift of 1 pixel and compare: augmentation teaches what does not "
                   "matter.")  # fmt: skip


def save_button(trainer: Trainer) -> None:
    """Download the run as an experiment file (config, weights, history)."""
    snap = trainer.latest()
    try:
        data = experiment_bytes(trainer.info.config, trainer.ask("weights"), dict(snap.history),
                                snap.step, snap.epoch)  # fmt: skip
    except RequestError as e:
        st.caption(f"Cannot save now: {e}")
        return
    st.download_button("Save this run (.nnpg)", data, file_name=f"digits-step{snap.step}.nnpg",
                       key="img_save", help="Config, weights and history in one file; load it "
                       "above as starting weights, or with `python -m playground`.")  # fmt: skip
