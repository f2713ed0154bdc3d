"""The live view's own frame channel (ui/live/stream.py): what each pull answers, and that a
closed session's token stops answering. The browser side runs in the browser tests, which
serve the app as the README does (serve.py)."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from playground.train.trainer import Trainer
from tests.engine_fixtures import tiny_config
from ui.live import stream
from ui.live.payload import decode, encode

VIEW = {"show_test": False, "discretize": False, "selected": None}


@pytest.fixture
def trainer() -> Iterator[Trainer]:
    t = Trainer(tiny_config(), grid_resolution=20, idle_pause_s=None)
    yield t
    t.close()


def _pull(token: str, full: bool = False) -> Any:
    request = SimpleNamespace(
        path_params={"token": token}, query_params={"full": "1"} if full else {}
    )
    with ThreadPoolExecutor(1) as pool:  # its own thread: a test before may own this one's loop
        return pool.submit(asyncio.run, stream._frame(request)).result()


def test_the_component_gets_only_a_link_to_its_own_route(trainer: Trainer) -> None:
    s = stream.Stream()
    message = decode(s.show(trainer, VIEW))
    assert message["link"] == f"{stream.PATH}/{s.token}" and message["arrays"] == {}
    assert stream.Stream().token != s.token  # one token per live view, unguessable


def test_each_pull_brings_the_newest_snapshot_once(trainer: Trainer) -> None:
    s = stream.Stream()
    s.show(trainer, VIEW)
    first = decode(s.frame())
    expected = decode(encode(trainer.latest(), trainer.info, view=VIEW).data)
    assert first["full"] and first["step"] == 0
    assert np.array_equal(first["arrays"]["grid.codes"], expected["arrays"]["grid.codes"])
    assert s.frame() is None  # nothing new: nothing sent
    trainer.step(3)
    later = decode(s.frame())
    assert not later["full"] and later["step"] == 3 == trainer.latest().step
    assert later["hist_after"] == first["hist_last"]  # continues what the browser holds
    assert decode(s.frame(full=True))["full"]  # the browser asked for everything


def test_a_changed_display_option_is_sent_without_a_new_snapshot(trainer: Trainer) -> None:
    s = stream.Stream()
    s.show(trainer, VIEW)
    s.frame()
    s.show(trainer, VIEW | {"discretize": True})
    assert decode(s.frame())["view"]["discretize"] is True


def test_the_route_answers_frames_nothing_new_and_gone(
    trainer: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "WAIT_S", 0.05)
    s = stream.Stream()
    s.show(trainer, VIEW)
    ok = _pull(s.token)
    assert ok.status_code == 200 and decode(ok.body)["full"]
    assert ok.headers["cache-control"] == "no-store"
    assert _pull(s.token).status_code == 204  # waited, nothing new
    assert _pull(s.token, full=True).status_code == 200
    assert _pull("no-such-token").status_code == 404
    other = Trainer(tiny_config(), grid_resolution=8, idle_pause_s=None)
    s.show(other, VIEW)
    other.close()
    del other
    gc.collect()
    assert _pull(s.token).status_code == 410  # its trainer is gone; the next page run re-links


def test_a_dropped_session_state_drops_its_token(trainer: Trainer) -> None:
    s = stream.Stream()
    s.show(trainer, VIEW)
    token = s.token
    del s
    gc.collect()
    assert _pull(token).status_code == 404


def test_a_waiting_pull_is_answered_when_the_trainer_publishes(
    trainer: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trainer's publish wakes the pull at once (nothing polls): here long before the
    5-s wait would end with a 204."""
    monkeypatch.setattr(stream, "WAIT_S", 5.0)
    s = stream.Stream()
    s.show(trainer, VIEW)
    s.frame()  # the browser holds the newest snapshot: the next pull waits
    with ThreadPoolExecutor(1) as pool:
        start = time.monotonic()
        pending = pool.submit(_pull, s.token)
        time.sleep(0.3)
        trainer.step(2)
        answers = [pending.result()]
        while answers[-1].status_code == 200 and decode(answers[-1].body)["step"] < 2:
            answers.append(_pull(s.token))  # the step command's own publish came first
        waited = time.monotonic() - start
    assert len(answers) <= 3 and all(a.status_code == 200 for a in answers)
    assert decode(answers[-1].body)["step"] == 2 and waited < 2.5, waited
