"""Tests for ui/state.py outside a running app: the trainers the pages get."""

from __future__ import annotations

import threading

from playground.train.compare import make_variants
from playground.train.trainer import EVAL_BUDGET
from tests.engine_fixtures import tiny_config, wait_for
from ui.state import CompareSlot, Session, TrainerSlot


def test_page_trainers_evaluate_within_the_budget_unless_told_otherwise() -> None:
    slot = TrainerSlot()
    try:
        assert slot.ensure(tiny_config())._eval_budget == EVAL_BUDGET
        assert slot.ensure(tiny_config(seed=1), eval_budget=None)._eval_budget is None
    finally:
        slot.close(wait=True)


class _FakeRun:
    """A run whose close() is recorded."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def close(self, wait: bool = False) -> None:
        self.closed.set()


def test_close_waits_for_the_lock_that_ensure_holds() -> None:
    slot, run = TrainerSlot(), _FakeRun()
    slot.item = run
    holding, release = threading.Event(), threading.Event()

    def hold_like_ensure() -> None:
        with slot._lock:
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold_like_ensure)
    holder.start()
    assert holding.wait(5)
    closer = threading.Thread(target=slot.close)
    closer.start()
    closer.join(0.3)
    assert closer.is_alive() and not run.closed.is_set()  # blocked until ensure lets go
    release.set()
    closer.join(5)
    holder.join(5)
    assert run.closed.is_set() and slot.item is None


def test_a_new_config_replaces_the_trainer_under_the_lock() -> None:
    slot, got = TrainerSlot(), []

    def build_then_replace() -> None:  # ensure -> _replace -> close: the lock is taken again
        got.append(slot.ensure(tiny_config()))
        got.append(slot.ensure(tiny_config()))
        got.append(slot.ensure(tiny_config(seed=1)))

    worker = threading.Thread(target=build_then_replace, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "ensure deadlocked on its own lock"
    try:
        first, same, second = got
        assert same is first and second is not None and second is not first
        wait_for(lambda: first.is_alive, lambda alive: not alive)  # the old one was closed
    finally:
        slot.close(wait=True)


def test_compare_slot_applies_max_steps_live_and_rebuilds_for_new_variants() -> None:
    base = tiny_config()
    variants = make_variants(base, "lr", [0.01, 0.1])
    slot = CompareSlot()
    try:
        runs = slot.ensure(variants, 50)
        assert slot.runs is runs and slot.ensure(variants, 80) is runs  # max_steps: live
        assert slot.ensure(make_variants(base, "lr", [0.01, 0.3]), 80) is not runs
    finally:
        slot.close(wait=True)


def test_page_state_is_typed_per_page() -> None:
    sess = Session()
    assert sess.images.config is None and sess.images.saliency is None
    assert sess.backprop.base is None and sess.backprop.request is None
    assert sess.pages == {}  # newer pages keep a typed state of their own under their name
