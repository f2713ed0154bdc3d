"""The Learner protocol and the generic Trainer: a second, tiny learner in the real thread, each
command's own acknowledgement, failures that fail only their command, idle threads that exit."""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

from playground.config import RunConfig, Task, TrainConfig
from playground.train import runcap
from playground.train.learner import Learner, RequestError
from playground.train.runinfo import RunInfo, frozen
from playground.train.snapshot import Status
from playground.train.trainer import Trainer
from tests.engine_fixtures import burn_cpu, tiny_config, wait_for

WAIT_S = 10.0


class LineLearner(Learner):
    """y = a x + b by full-batch gradient descent on the mean squared error: no torch module,
    no optimizer object, no probes; a learner as small as one can be."""

    def __init__(self, cfg: RunConfig, slope: float = 3.0, intercept: float = -1.0) -> None:
        self.cfg, self.device = cfg, torch.device("cpu")
        rng = np.random.default_rng(0)
        self.x = rng.uniform(-1, 1, 64)
        self.y = slope * self.x + intercept
        self.w = np.zeros(2)  # (a, b)
        self.step_count = self.epoch = 0
        self.info = RunInfo(
            config=cfg, kind="line", task=Task.REGRESSION, n_classes=0, feature_names=("x",),
            input_shape=(1,), output_units=1, layer_names=("line",), n_train=64, n_test=64,
            y_train=frozen(self.y), y_test=frozen(self.y),
        )  # fmt: skip

    history_columns = ("step", "epoch", "train_loss", "test_loss", "a", "b")

    def _loss(self) -> float:
        return float(np.mean((self.w[0] * self.x + self.w[1] - self.y) ** 2))

    def train_step(self) -> bool:
        err = self.w[0] * self.x + self.w[1] - self.y
        self.w -= self.cfg.train.lr * np.array([2 * np.mean(err * self.x), 2 * np.mean(err)])
        self.step_count += 1
        self.epoch += 1
        return True

    def evaluate(self) -> dict[str, float]:
        loss = self._loss()
        return {"step": self.step_count, "epoch": self.epoch, "train_loss": loss,
                "test_loss": loss, "a": self.w[0], "b": self.w[1]}  # fmt: skip

    @property
    def lr(self) -> float:
        return self.cfg.train.lr

    def checkpoint(self) -> np.ndarray:
        return self.w.copy()

    def restore(self, checkpoint: np.ndarray) -> None:
        self.w = checkpoint.copy()

    def is_finite(self) -> bool:
        return bool(np.isfinite(self.w).all())

    def probes(self) -> dict[str, Any]:
        return {"line": frozen(self.w)}  # not a Snapshot field: it goes to Snapshot.extra

    def answer(self, name: str, **kwargs: Any) -> Any:
        if name == "predict":
            return self.w[0] * np.asarray(kwargs["x"]) + self.w[1]
        if name == "boom":
            raise RuntimeError("the request broke")
        return super().answer(name, **kwargs)


def _cfg(**train: Any) -> RunConfig:
    return RunConfig(train=TrainConfig(**({"lr": 0.1} | train)))


@pytest.fixture
def made() -> Iterator[list[Trainer]]:
    trainers: list[Trainer] = []
    yield trainers
    for t in trainers:
        t.close()
        assert not t.is_alive


def _line(made: list[Trainer], cfg: RunConfig | None = None, **options: Any) -> Trainer:
    cfg = cfg or _cfg()
    t = Trainer(cfg, learner=lambda: LineLearner(cfg), **options)
    made.append(t)
    return t


def test_a_second_learner_trains_in_the_real_thread(made: list[Trainer]) -> None:
    t = _line(made, _cfg(max_steps=400))
    assert t.info.kind == "line" and t.latest().step == 0
    t.start()
    snap = wait_for(t.latest, lambda s: s.status == Status.DONE, WAIT_S)
    assert snap.step == 400 and snap.test_loss < 1e-8
    assert snap.history["a"][-1] == pytest.approx(3.0) and snap.history["b"][-1] == pytest.approx(
        -1
    )
    assert np.allclose(snap.extra["line"], [3.0, -1.0])
    assert t.ask("predict", x=[0.0, 1.0]) == pytest.approx([-1.0, 2.0])
    ack = t.reset()
    assert ack.done and ack.snapshot.step == 0 and ack.snapshot.history["a"][-1] == 0.0


def test_divergence_of_any_learner_restores_its_checkpoint(made: list[Trainer]) -> None:
    t = _line(made, _cfg(lr=5.0))  # gradient descent with lr 5 on this line blows up
    snap = t.step(2000).snapshot
    assert snap.status == Status.DIVERGED and "Restored the last good weights" in snap.message
    assert np.isfinite(t.ask("predict", x=[1.0])).all()


def test_step_acknowledges_its_own_steps_despite_other_callers(made: list[Trainer]) -> None:
    """The race of the review: step(20) at 50 steps/s while another thread changes hparams."""
    t = _line(made, _cfg(steps_per_s=50.0))
    seqs: list[int] = []
    stop = threading.Event()

    def meddle() -> None:
        while not stop.is_set():
            seqs.append(t.set_hparams(lr=0.1).snapshot.seq)
            time.sleep(0.01)

    other = threading.Thread(target=meddle)
    other.start()
    try:
        ack = t.step(20)
    finally:
        stop.set()
        other.join()
    if ack.done:  # at 50 steps/s the 20 steps take 0.4 s, inside step's bounded wait (5.2 s)
        assert ack.snapshot.step == 20
    else:  # a slow machine: then it says so, and the steps still complete
        assert ack.snapshot.step < 20
    assert wait_for(t.latest, lambda s: s.step == 20, WAIT_S).status == Status.PAUSED
    assert seqs == sorted(seqs)  # the acknowledged sequence numbers never go back


def test_step_says_when_its_wait_ran_out(made: list[Trainer]) -> None:
    t = _line(made, _cfg(steps_per_s=2.0))
    ack = t.step(20)  # 10 s of steps against a 5.2 s wait
    assert not ack.done and ack.snapshot.step < 20 and not ack.error


def test_a_failing_command_fails_alone(made: list[Trainer]) -> None:
    t = _line(made)
    bad = t.set_param(0, 0, 0, 1.0)  # this learner has no hand-set weights
    assert bad.done and "cannot be set by hand" in bad.error
    assert t.set_hparams(lr=0.2).ok and t.cfg.train.lr == 0.2
    assert t.step(3).snapshot.step == 3  # the run goes on
    future = t.request("boom")
    with pytest.raises(RuntimeError, match="the request broke"):
        future.result(WAIT_S)
    with pytest.raises(RequestError, match="boom: RuntimeError: the request broke"):
        t.ask("boom")
    with pytest.raises(RequestError, match="no request named"):
        t.ask("nothing")
    assert t.step(2).snapshot.step == 5


def test_a_command_batch_applies_every_command_in_order(made: list[Trainer]) -> None:
    t = _line(made)
    with t._commands.lock:  # hold the queue so that the commands below arrive as one batch
        futures = [t._submit("param", (0, 0, 0, 1.0)), t._submit("hparams", {"lr": 0.3})]
        futures.append(t._submit("step", (4, "batch")))
    assert isinstance(futures[0].exception(WAIT_S), RequestError)
    assert futures[1].result(WAIT_S).lr == 0.3
    assert futures[2].result(WAIT_S).step == 4


def test_the_thread_never_dies_without_a_failed_snapshot(made: list[Trainer]) -> None:
    t = _line(made)
    t.step(2)

    def broken(self: LineLearner) -> float:
        raise RuntimeError("lr is gone")

    t.learner.__class__ = type("Broken", (LineLearner,), {"lr": property(broken)})
    ack = t.start()  # the step and its snapshot fail; so does the failure's own snapshot
    snap = wait_for(t.latest, lambda s: s.status == Status.FAILED, WAIT_S)
    assert "lr is gone" in snap.message and t.is_alive
    assert not ack.error or "lr is gone" in ack.error
    t.learner.__class__ = LineLearner
    assert t.reset().snapshot.status == Status.IDLE


def test_an_idle_thread_exits_and_frees_its_slot(monkeypatch, made: list[Trainer]) -> None:
    monkeypatch.setattr(runcap, "SLOTS", threading.BoundedSemaphore(1))
    t = _line(made, _cfg(steps_per_s=100.0), idle_pause_s=None, idle_exit_s=0.5)
    t.start()
    wait_for(lambda: t.is_alive, lambda alive: not alive, WAIT_S)  # nobody read it: it ended
    assert t.latest().status == Status.CLOSED and "nobody read this run" in t.latest().message
    ack = t.start()
    assert ack.error == "this run has ended"
    assert runcap.SLOTS.acquire(blocking=False)  # its slot is free again
    runcap.SLOTS.release()
    assert t.ask("predict", x=[0.0]) is not None  # answered directly: the thread is gone


def test_an_idle_waiting_run_pauses_itself(monkeypatch, made: list[Trainer]) -> None:
    monkeypatch.setattr(runcap, "SLOTS", threading.BoundedSemaphore(1))
    first = _line(made, idle_pause_s=None)
    first.start()
    second = _line(made, idle_pause_s=0.3)
    second.start()
    assert second.latest().status == Status.WAITING
    unread = lambda: second._snapshot  # latest() would count as a reader
    snap = wait_for(unread, lambda s: s.status == Status.PAUSED, WAIT_S)
    assert "Paused by itself" in snap.message


def test_an_idle_paused_thread_sleeps(made: list[Trainer]) -> None:
    """A paused trainer does not wake several times a second (it waits for a command)."""
    t = _line(made)
    t.step(1)
    wakes = 0
    real = t._check_idle

    def counting() -> bool:
        nonlocal wakes
        wakes += 1
        return real()

    t._check_idle = counting  # type: ignore[method-assign]
    time.sleep(1.0)
    assert wakes <= 1


def test_the_supervised_learner_answers_the_pages_requests(made: list[Trainer]) -> None:
    cfg = tiny_config()
    t = Trainer(cfg, grid_resolution=10)
    made.append(t)
    t.step(5)
    p = t.ask("predict_proba", x=np.zeros((3, *t.info.input_shape), np.float32))
    assert p.shape == (3, 1) or p.shape[0] == 3
    gx, gy = t.ask("input_gradient", axis=np.linspace(-6, 6, 5), output_index=0)
    assert gx.shape == gy.shape == (5, 5) and np.isfinite(gx).all()
    with pytest.raises(RequestError, match="expected"):
        t.ask("predict_proba", x=np.zeros((3, 9), np.float32))
    with pytest.raises(RequestError, match="does not exist"):
        t.ask("backprop_spec", index=10**6)
    assert math.isfinite(t.latest().test_loss)


class SlowProbeLearner(LineLearner):
    """Probes that take 30 ms of CPU time: publishing must not eat the training time."""

    def probes(self) -> dict[str, Any]:
        burn_cpu(0.03)
        return super().probes()


def test_publishing_takes_at_most_its_share_of_the_time(made: list[Trainer]) -> None:
    """At 1000 Hz asked, 30-ms probes publish at most every 0.03 / PUBLISH_BUDGET s, not back
    to back: over 1.5 s about 7 snapshots, where without the budget there would be 50."""
    from playground.train.trainer import PUBLISH_BUDGET

    cfg = _cfg()
    t = Trainer(cfg, learner=lambda: SlowProbeLearner(cfg), publish_hz=1000.0, idle_pause_s=None)
    made.append(t)
    t.start()
    seen: set[int] = set()
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        seen.add(id(t.latest()))
        time.sleep(0.005)
    period = 0.03 / PUBLISH_BUDGET
    assert period >= 0.1  # the budget is a real limit here (50 snapshots without it)
    assert 2 <= len(seen) <= 1.5 / period + 3, len(seen)
    assert t.latest().step > 0


def _snapshots_seen(t: Trainer, seconds: float) -> int:
    seen: set[int] = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        seen.add(id(t.latest()))
        time.sleep(0.005)
    return len(seen)


class WaitingProbeLearner(LineLearner):
    """Probes that take 100 ms of wall time but no CPU time, like a probe whose torch calls
    wait their turn for the interpreter lock behind other runs."""

    def probes(self) -> dict[str, Any]:
        time.sleep(0.1)
        return super().probes()


def test_the_publish_budget_counts_cpu_time_not_waiting(made: list[Trainer]) -> None:
    """At 5 Hz asked, probes that wait 100 ms publish about every 0.3 s (period + wait): a
    budget in wall time would space them 0.1 / PUBLISH_BUDGET + 0.1 = 0.77 s apart."""
    cfg = _cfg()
    t = Trainer(cfg, learner=lambda: WaitingProbeLearner(cfg), publish_hz=5.0, idle_pause_s=None)
    made.append(t)
    t.start()
    n = _snapshots_seen(t, 3.0)
    assert n >= 7, n  # about 10; 4 with the budget in wall time


class StepLogLearner(LineLearner):
    """Each step waits 2 ms with the interpreter lock free, and logs (start, end)."""

    def __init__(self, cfg: RunConfig, spans: list[tuple[float, float]]) -> None:
        super().__init__(cfg)
        self.spans = spans

    def train_step(self) -> bool:
        t0 = time.monotonic()
        time.sleep(0.002)
        self.spans.append((t0, time.monotonic()))
        return super().train_step()


def _run_together(made: list[Trainer], cfgs: list[RunConfig], seconds: float) -> list[list]:
    """Train one StepLogLearner per config at once for `seconds`; each one's step spans."""
    spans: list[list[tuple[float, float]]] = [[] for _ in cfgs]
    for cfg, log in zip(cfgs, spans):
        made.append(Trainer(cfg, learner=lambda c=cfg, s=log: StepLogLearner(c, s),
                            publish_hz=20.0, idle_pause_s=None, capped=False))  # fmt: skip
    for t in made:
        t.start()
    time.sleep(seconds)
    for t in made:
        t.pause()
    return spans


@pytest.mark.parametrize("turns", [1, 3])
def test_running_trainers_take_turns(made: list[Trainer], monkeypatch, turns: int) -> None:
    """With one turn, three running trainers never take steps at the same moment, and each gets
    its share; with three turns (the control) their steps overlap."""
    monkeypatch.setattr(runcap, "TURNS", runcap.Turns(turns))
    spans = _run_together(made, [_cfg()] * 3, 1.0)
    counts = [len(s) for s in spans]
    assert min(counts) > 0.4 * max(counts), counts
    ordered = sorted(span for log in spans for span in log)
    overlaps = sum(b[0] < a[1] for a, b in itertools.pairwise(ordered))
    assert (overlaps == 0) if turns == 1 else (overlaps > 10), overlaps


def test_a_slowed_run_rests_without_its_turn(made: list[Trainer], monkeypatch) -> None:
    """A run slowed to 10 steps/s rests 100 ms between steps with the turn given back: the
    other run, with the one turn, trains most of the time (half of it at most otherwise)."""
    monkeypatch.setattr(runcap, "TURNS", runcap.Turns(1))
    fast, slow = _run_together(made, [_cfg(), _cfg(steps_per_s=10)], 1.5)
    busy = sum(b - a for a, b in fast if a > fast[0][0] + 0.25) / 1.25
    assert 1 <= len(slow) <= 20 and busy > 0.7, (len(slow), busy)
