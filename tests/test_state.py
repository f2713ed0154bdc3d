"""Tests for ui/state.py outside a running app: the trainers the pages get."""

from __future__ import annotations

from playground.train.trainer import EVAL_BUDGET
from tests.engine_fixtures import tiny_config
from ui.state import TrainerSlot


def test_page_trainers_evaluate_within_the_budget_unless_told_otherwise() -> None:
    slot = TrainerSlot()
    try:
        assert slot.ensure(tiny_config())._eval_budget == EVAL_BUDGET
        assert slot.ensure(tiny_config(seed=1), eval_budget=None)._eval_budget is None
    finally:
        slot.close(wait=True)
