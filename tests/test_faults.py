"""Faults: divergence keeps the last good weights, a broken probe or figure kills nothing, and a
closed session leaves no trainer thread behind."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from playground.config import DatasetName
from playground.explain import probes
from playground.figures import boundary, curves
from playground.train.snapshot import Snapshot, Status
from playground.train.trainer import Trainer, live_threads
from tests.engine_fixtures import tiny_config, wait_for
from ui.live import component as live_component

APP = str(Path(__file__).resolve().parent.parent / "app.py")
OVERFLOW_OK = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow is the point


@pytest.fixture
def trainer() -> Iterator[Trainer]:
    t = Trainer(tiny_config(DatasetName.REG_PLANE, lr=0.01), grid_resolution=10)
    yield t
    t.close()
    assert not t.is_alive


def _weights(snap: Snapshot) -> list[np.ndarray]:
    return [p.weights for p in snap.layers] + [p.bias for p in snap.layers]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@OVERFLOW_OK
def test_divergence_keeps_the_last_good_weights_and_reset_recovers(trainer: Trainer) -> None:
    initial = _weights(trainer.latest())
    seen = [trainer.step(n).snapshot for n in (20, 20, 20)]  # progress at a sane rate first
    assert seen[-1].step == 60 and not _same(_weights(seen[-1]), initial)
    seen.append(trainer.set_hparams(lr=100.0).snapshot)
    snap = trainer.step(200).snapshot
    assert snap.status == Status.DIVERGED, snap.message
    assert "Restored the last good weights" in snap.message and "learning rate" in snap.message
    kept = _weights(snap)
    assert all(np.isfinite(w).all() for w in kept)
    assert any(_same(kept, _weights(s)) for s in seen if s.step > 0)  # an earlier snapshot's
    model = [v.numpy() for v in trainer.ask("weights").values()]
    assert all(np.isfinite(w).all() for w in model)
    assert trainer.step(5).snapshot.status == Status.PAUSED  # it can go on (here, to diverge again)

    trainer.set_hparams(lr=0.01)
    reset = trainer.reset().snapshot
    assert (reset.status, reset.step) == (Status.IDLE, 0)
    assert _same(_weights(reset), initial)  # the same initial weights
    after = trainer.step(10).snapshot
    assert (after.status, after.step) == (Status.PAUSED, 10) and np.isfinite(after.test_loss)


def test_a_failing_probe_does_not_stop_the_trainer(
    trainer: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("probe exploded")

    monkeypatch.setattr(probes, "grids", broken)
    trainer.start()
    first = wait_for(trainer.latest, lambda s: s.step > 0 and s.probe_error, 10.0)
    assert "probe exploded" in first.probe_error and first.status == Status.RUNNING
    later = wait_for(trainer.latest, lambda s: s.step > first.step + 10, 10.0)
    assert later.status == Status.RUNNING and "probe exploded" in later.probe_error
    monkeypatch.undo()  # the probe works again: the error goes away by itself
    healed = wait_for(trainer.latest, lambda s: not s.probe_error and s.step > later.step, 10.0)
    assert healed.grid is not None and healed.status == Status.RUNNING


def test_closing_the_session_ends_its_trainer_thread() -> None:
    before = live_threads()
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.button(key="play").click().run()
    assert not at.exception and live_threads() == before + 1
    t0 = time.monotonic()
    st.cache_resource.clear()  # what Streamlit does when the tab's session ends (on_release)
    wait_for(live_threads, lambda n: n == before, 5.0)
    assert time.monotonic() - t0 < 5.0


def _raise(*args: object, **kwargs: object) -> None:
    raise RuntimeError("figure exploded")


@pytest.mark.parametrize(
    ("module", "name", "view"),
    [(live_component, "encode", None), (curves, "loss_curve", "Curves"),
     (boundary, "output_surface_3d", "3-D output")],
)  # fmt: skip
def test_a_failing_figure_shows_an_error_and_the_page_goes_on(
    monkeypatch: pytest.MonkeyPatch, module: object, name: str, view: str | None
) -> None:
    monkeypatch.setattr(module, name, _raise)
    at = AppTest.from_file(APP, default_timeout=60)
    if view is not None:
        at.query_params["extra_view"] = view
    at.run()
    if view is not None and not any("figure exploded" in e.value for e in at.error):
        at.selectbox(key="extra_view").set_value(view).run()
    assert not at.exception, "a broken figure must not take the page down"
    assert any("figure exploded" in e.value for e in at.error), [e.value for e in at.error]
    assert any("step 0" in m.value for m in at.markdown)  # the status line is still drawn
    assert at.button(key="play") is not None
    at.button(key="step").click().run()  # and the controls still work (Step: one epoch)
    assert not at.exception and any(re.search(r"step [1-9]", m.value) for m in at.markdown)
