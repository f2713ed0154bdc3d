"""Trainer: the one thread that drives a learner: commands, pacing, evaluation, publishing."""

from __future__ import annotations

import dataclasses
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from playground.config import RunConfig
from playground.data.datasets import Dataset
from playground.train import runcap
from playground.train.commands import LIVE_HPARAMS, Command, CommandQueue, TrainerCommands, describe
from playground.train.kinds import learner_factory
from playground.train.learner import Learner, RequestError
from playground.train.snapshot import History, Snapshot, Status, progress_snapshot
from playground.train.supervised import resolve_device

__all__ = ["EVAL_BUDGET", "LIVE_HPARAMS", "RequestError", "Trainer", "resolve_device"]

IDLE_EXIT_S = 600.0  # a thread nobody has read for this long ends and frees its session slot
MAX_SLEEP_S = 60.0  # a thread with nothing to do wakes at most this often (to check idleness)
WAITING_POLL_S = 0.25  # a run waiting for a server slot tries again this often
# Interactive runs (the pages): evaluation may take this share of the time. At every epoch end
# it would cost the digits CNN 15% of its speed, and spiral evaluates 400 times a second.
EVAL_BUDGET = 0.05
# Publishing (the learner's probes: output grids, neuron maps, histograms) may take this share
# of the time: a network whose probes cost 6 ms publishes at most every 46 ms (6 + 6 / 0.15).
PUBLISH_BUDGET = 0.15
# Both budgets count the trainer thread's own CPU time. In wall time, a server training eight
# runs would see every probe take eight times as long (each torch call waits its turn for the
# interpreter lock) and publish eight times less often: under one frame a second per page.
_cpu = time.thread_time
_STOPPED = (Status.DONE, Status.DIVERGED, Status.FAILED, Status.CLOSED)
live_threads = runcap.live_threads


class Trainer(TrainerCommands):
    """One daemon thread that trains one learner; the UI sends commands, reads the run info and
    immutable snapshots, and asks for on-demand probes. Everything is applied between steps.

    `learner` builds the learner (called again on Reset); by default the learner of `cfg.kind`
    (train/kinds.py). The thread is the only code that touches the learner while it is alive.
    """

    def __init__(
        self,
        cfg: RunConfig | None = None,
        *,
        learner: Callable[[], Learner] | None = None,
        dataset: Dataset | None = None,
        with_probes: bool = True,
        publish_hz: float = 10.0,
        grid_resolution: int = 100,
        idle_pause_s: float | None = 30.0,
        idle_exit_s: float | None = IDLE_EXIT_S,
        clock: Callable[[], float] = time.monotonic,
        initial_state: dict[str, torch.Tensor] | None = None,
        capped: bool = True,
        eval_budget: float | None = None,
    ) -> None:
        if learner is None:
            if cfg is None:
                raise ValueError("Trainer: give a config or a learner")
            learner = learner_factory(
                cfg, dataset=dataset, with_probes=with_probes, grid_resolution=grid_resolution,
                initial_state=initial_state,
            )  # fmt: skip
        self._make_learner = learner
        self._publish_dt = 1.0 / publish_hz
        self._idle_pause_s, self._idle_exit_s = idle_pause_s, idle_exit_s
        self._clock = clock
        self._eval_budget = eval_budget  # None: evaluate at every epoch end (reproducible)
        self._slot = runcap.RunSlot(capped)
        self._commands = CommandQueue()
        self._watchers: list[weakref.WeakMethod] = []
        self._wake = threading.Event()
        self._applied_seq = 0
        self._next_publish = (clock(), 0.0)  # (wall clock, thread CPU time): _publish_due
        self._last_read = clock()
        self._build()
        self._snapshot = self._make_snapshot()
        self._thread = threading.Thread(target=self._run, name="playground-trainer", daemon=True)
        self._thread.start()
        runcap.LIVE.add(self)

    # ---- set-up -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.learner = self._make_learner()
        self._info = self.learner.info
        self.history = History(self.learner.history_columns)
        self._status, self._message = Status.IDLE, ""
        self._pending = 0
        self._eval_cost, self._last_eval, self._eval_skipped = 0.0, _cpu(), False
        self._evaluated_step = -1
        self._good, self._good_step = self.learner.checkpoint(), 0
        self._rate_mark = (self._clock(), 0)
        self._steps_per_s = 0.0
        self._record()

    # ---- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        if self.learner.device.type == "cpu":
            torch.set_num_threads(1)  # tiny networks: per-op overhead, not arithmetic
        np.seterr(all="ignore")  # this thread only: divergence is detected from the loss
        try:
            self._loop()
        except BaseException as e:  # noqa: BLE001 - even the failure handler failed
            self._status, self._message = Status.FAILED, describe(e)
            self._set_snapshot(dataclasses.replace(
                self._snapshot, status=Status.FAILED, message=self._message
            ))  # fmt: skip
        finally:
            self._slot.release()
            self._close_queue()

    def _loop(self) -> None:
        self._last_eval = _cpu()  # this thread's clock from now on
        while True:
            try:
                if self._apply_commands():
                    return
                self._claim_slot()
                before = self._status
                training = self._status == Status.RUNNING or self._pending
                rest = 0.0
                if training:
                    runcap.TURNS.take()  # with many runs training, they take turns
                try:
                    if training:
                        rest = self._train_until()
                    else:
                        self._slot.release()  # before a long sleep: another run may take it
                        self._sleep()
                    if self._check_idle():
                        return
                    if self._status != Status.RUNNING:
                        self._slot.release()
                    if self._status != before or (
                        self._status == Status.RUNNING and self._publish_due()
                    ):
                        self._publish_in_budget()
                finally:
                    if training:
                        runcap.TURNS.give()
                if rest:
                    self._wake.wait(rest)  # a slowed-down run (train.steps_per_s), turn given back
            except Exception as e:  # noqa: BLE001 - a thread must never die silently
                self._fail(e)

    def _publish_in_budget(self) -> None:
        """Publish; the next one is due after the period and cost / PUBLISH_BUDGET of training."""
        t0 = _cpu()
        self._publish()
        t1 = _cpu()
        self._next_publish = (self._clock() + self._publish_dt, t1 + (t1 - t0) / PUBLISH_BUDGET)

    def _fail(self, e: BaseException) -> None:
        self._pending = 0
        self._status, self._message = Status.FAILED, describe(e)
        self._publish(with_probes=False, keep_good=False)

    def _sleep(self) -> None:
        """Nothing to train: wait for a command (or, waiting for a slot, try again soon)."""
        if self._status == Status.WAITING:
            self._wake.wait(WAITING_POLL_S)
            return
        idle = self._clock() - self._last_read
        left = [s - idle for s in (self._idle_pause_s, self._idle_exit_s) if s and s > idle]
        self._wake.wait(min([*left, MAX_SLEEP_S]) + 0.01)

    def _claim_slot(self) -> None:
        """A running trainer holds one of the server's slots, or waits for one."""
        if self._status not in (Status.RUNNING, Status.WAITING) or self._slot.held:
            return
        if self._slot.claim():
            if self._status == Status.WAITING:
                self._status, self._message = Status.RUNNING, ""
                self._publish()
        elif self._status == Status.RUNNING:
            self._status = Status.WAITING
            self._message = (
                f"Waiting for a free slot: {runcap.MAX_RUNNING} runs are already training on "
                "this server. This run starts by itself as soon as one pauses or ends."
            )
            self._publish(with_probes=False)

    def _apply_commands(self) -> bool:
        """Apply queued commands in order, each failing alone; publish once. True when closing."""
        self._wake.clear()
        commands = self._commands.take()
        acked, changed = [], False
        for c in commands:
            self._applied_seq = c.seq
            if c.name == "close":
                self._status, self._message = Status.CLOSED, ""
                self._publish(with_probes=False, keep_good=False)
                c.future.set_result(self._snapshot)
                return True
            try:
                if c.name == "request":
                    name, kwargs = c.arg
                    c.future.set_result(self.learner.answer(name, **kwargs))
                    continue
                changed = True
                if self._apply(c):
                    acked.append(c.future)
            except Exception as e:  # noqa: BLE001 - only this command fails
                c.future.set_exception(e)
        if changed:
            self._publish()
        for future in acked:
            future.set_result(self._snapshot)
        return False

    def _apply(self, c: Command) -> bool:
        """Apply one command; False when its future is answered later (step(n))."""
        s, learner = self._status, self.learner
        if c.name == "start":
            if s in (Status.FAILED, Status.CLOSED):
                raise RequestError(f"the run has {s.value}: press Reset first")
            self._status, self._message = Status.RUNNING, ""
            self._rate_mark = (self._clock(), learner.step_count)
            self._check_stop(self.history.last("test_loss"))  # already there: done at once
        elif c.name == "pause" and s in (Status.RUNNING, Status.WAITING):
            self._status = Status.PAUSED
            self._evaluate_now()  # the numbers shown when paused are those of these weights
        elif c.name == "step":
            if s == Status.FAILED:
                raise RequestError("the run has failed: press Reset first")
            self._status, self._message = Status.PAUSED, ""
            n, unit = c.arg
            self._pending += n if unit == "batch" else learner.steps_to_epoch_end(n)
            self._commands.wait_for_step(learner.step_count + self._pending, c.future)
            return False
        elif c.name == "reset":
            self._build()
        elif c.name == "hparams":
            learner.set_hparams(dataclasses.replace(learner.cfg.train, **c.arg))
        elif c.name == "param":
            learner.set_param(*c.arg)
            self._record()  # a weight changed: show the numbers of the model as it now is
        elif c.name == "load":
            learner.load_state(c.arg)
            self._good = learner.checkpoint()
            self._record()
        return True

    def _publish_due(self) -> bool:
        """The next publish is due: its period is over, and the thread has trained for its
        cost / PUBLISH_BUDGET of CPU time since the last one."""
        wall, cpu = self._next_publish
        return self._clock() >= wall and _cpu() >= cpu

    def _train_until(self) -> float:
        """Take steps until the next publish is due, a command, the end of a manual step or a
        stop; the seconds to rest before the next step (a run slowed to train.steps_per_s)."""
        tc = self.learner.cfg.train
        interval = 1.0 / tc.steps_per_s if tc.steps_per_s else 0.0
        while True:
            self._one_step()
            if self._pending:
                self._pending -= 1
                if not self._pending:
                    self._evaluate_now()
                    self._publish()
                    return 0.0
                due = self._commands.next_step_due()
                if due is not None and due <= self.learner.step_count:
                    self._publish()  # an earlier step(n) is done: acknowledge it
            if self._status not in (Status.RUNNING, Status.PAUSED) or self._commands:
                return 0.0
            if interval:
                return interval
            if self._publish_due():
                return 0.0

    def _one_step(self) -> None:
        learner, tc = self.learner, self.learner.cfg.train
        epoch_end = learner.train_step()
        if tc.max_steps and learner.step_count >= tc.max_steps:
            self._record()  # the final evaluation lands exactly on max_steps
            return
        if (tc.eval_every and learner.step_count % tc.eval_every == 0) or (
            epoch_end and not tc.eval_every and self._eval_due()
        ):
            self._record()

    def _eval_due(self) -> bool:
        """At an epoch end: evaluate, unless a budget is set and the run is free-running; then
        only once the time since the last evaluation is its cost / budget."""
        if self._eval_budget is None or self._pending or self._status != Status.RUNNING:
            return True
        tc = self.learner.cfg.train
        if tc.max_epochs and self.learner.epoch >= tc.max_epochs:
            return True  # the stop condition is checked on this evaluation
        due = _cpu() - self._last_eval >= self._eval_cost / self._eval_budget
        self._eval_skipped = not due
        return due

    def _evaluate_now(self) -> None:
        """Evaluate unless the newest history row already is of these weights."""
        if self._evaluated_step != self.learner.step_count:
            self._record()

    def _record(self) -> None:
        """Evaluate on the full sets, append to history, and check divergence and stops."""
        start = _cpu()
        row = self.learner.evaluate()
        self._last_eval = _cpu()
        self._eval_cost, self._eval_skipped = self._last_eval - start, False
        self._evaluated_step = self.learner.step_count
        train, test = row["train_loss"], row["test_loss"]
        if not (math.isfinite(train) and math.isfinite(test)):
            self._diverge(train if not math.isfinite(train) else test)
            return
        self.history.append([row[c] for c in self.history.columns])
        self._check_stop(test)

    def _diverge(self, bad: float) -> None:
        self.learner.restore(self._good)
        self._pending = 0
        self._status = Status.DIVERGED
        step = self.learner.step_count
        self._message = (
            f"Diverged at step {step} (loss = {bad}). Restored the last good weights, those of "
            f"step {self._good_step}; the step counter stays at {step}. Try a smaller learning "
            "rate, then press Play or Reset."
        )

    def _check_stop(self, test_loss: float) -> None:
        tc, learner = self.learner.cfg.train, self.learner
        reason = ""
        if tc.max_steps and learner.step_count >= tc.max_steps:
            reason = f"reached {tc.max_steps} steps"
        elif tc.max_epochs and learner.epoch >= tc.max_epochs:
            reason = f"reached {tc.max_epochs} epochs"
        elif tc.target_test_loss and test_loss < tc.target_test_loss:
            reason = f"test loss {test_loss:.4g} below the target {tc.target_test_loss:g}"
        if reason and self._status == Status.RUNNING:
            self._status, self._message = Status.DONE, f"Done: {reason}."

    def _check_idle(self) -> bool:
        """Pause a run nobody watches; end the thread of one nobody has read for long. True
        when the thread should end."""
        idle = self._clock() - self._last_read
        active = self._status in (Status.RUNNING, Status.WAITING)
        if active and self._idle_pause_s and idle > self._idle_pause_s:
            self._status = Status.PAUSED
            self._message = f"Paused by itself: nobody watched this run for {idle:.0f} s."
        if self._idle_exit_s and idle > self._idle_exit_s:
            self._status = Status.CLOSED
            self._message = f"Closed by itself: nobody read this run for {idle:.0f} s."
            self._publish(with_probes=False, keep_good=False)
            return True
        return False

    def _close_queue(self) -> None:
        """The thread ends: refuse queued and later commands; answer pending step(n)s."""
        commands, waiters = self._commands.close()
        for c in commands:
            c.future.set_exception(RequestError("this run has ended"))
        for future in waiters:
            future.set_result(self._snapshot)

    # ---- publishing -------------------------------------------------------------------------

    def _publish(self, with_probes: bool = True, keep_good: bool = True) -> None:
        learner = self.learner
        if keep_good and self._status != Status.DIVERGED and learner.is_finite():
            self._good, self._good_step = learner.checkpoint(), learner.step_count
        try:
            snap = self._make_snapshot(with_probes)
        except Exception as e:  # noqa: BLE001 - the snapshot itself failed: say so, plainly
            self._status, self._message = Status.FAILED, describe(e)
            snap = dataclasses.replace(self._snapshot, status=self._status, message=self._message)
        self._set_snapshot(snap)

    def _set_snapshot(self, snap: Snapshot) -> None:
        """Publish by one reference assignment; answer the step(n)s that are now done; tell
        the watchers."""
        self._snapshot = snap
        done = self._pending == 0 or self._status in _STOPPED
        for future in self._commands.due_waiters(snap.step, done):
            future.set_result(snap)
        for ref in list(self._watchers):
            callback = ref()
            if callback is not None:
                callback()

    def watch(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after each publish, in the trainer's thread (so it must be quick
        and must not fail): a bound method, held weakly (its object may go away first)."""
        self._watchers = [r for r in self._watchers if r() is not None]
        self._watchers.append(weakref.WeakMethod(callback))  # type: ignore[arg-type]

    def _make_snapshot(self, with_probes: bool = True) -> Snapshot:
        now, (t0, s0) = self._clock(), self._rate_mark
        if self._status == Status.RUNNING and now - t0 > 0.2:
            self._steps_per_s = (self.learner.step_count - s0) / (now - t0)
            self._rate_mark = (now, self.learner.step_count)
        probes: dict[str, Any] = {}
        if with_probes:
            try:
                probes = self.learner.probes()
            except Exception as e:  # noqa: BLE001 - a broken probe must not stop training
                probes = {"probe_error": describe(e)}
        return progress_snapshot(
            self.learner, self.history, probes, seq=self._applied_seq, status=self._status,
            message=self._message, steps_per_s=self._steps_per_s,
        )  # fmt: skip
