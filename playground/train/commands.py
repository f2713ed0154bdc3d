"""The Trainer's command queue: each command with its own future, step(n)s answered later."""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import torch

from playground.config import RunConfig
from playground.train.learner import Learner, RequestError
from playground.train.runinfo import Ack, RunInfo
from playground.train.snapshot import Snapshot

ACK_TIMEOUT_S = 5.0  # how long a command's caller waits for its acknowledgement (a loaded machine)
REQUEST_TIMEOUT_S = 10.0  # how long `ask` waits for an answer
STEP_UNITS = ("batch", "epoch")
LIVE_HPARAMS = frozenset(
    {"lr", "l1", "l2", "batch_size", "steps_per_s", "grad_clip", "max_steps", "max_epochs"}
    | {"target_test_loss", "schedule", "schedule_steps", "schedule_gamma", "min_lr"}
)


@dataclass
class Command:
    seq: int  # 1, 2, ... in the order the commands were sent
    name: str
    arg: Any
    future: Future


class CommandQueue:
    """Commands from any thread, taken in order by the trainer's thread.

    `waiters` holds the futures of step(n) commands: answered once the step count reaches
    theirs (or the run stops them), not when the command is taken.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._commands: list[Command] = []
        self._waiters: list[tuple[int, Future]] = []  # (step count, future)
        self._seq = 0
        self.closed = False

    def submit(self, name: str, arg: Any = None) -> Future:
        """Queue a command; its future fails at once when the thread has ended."""
        future: Future = Future()
        with self.lock:
            if self.closed:
                future.set_exception(RequestError("this run has ended"))
                return future
            self._seq += 1
            self._commands.append(Command(self._seq, name, arg, future))
        return future

    def take(self) -> list[Command]:
        """Every queued command, oldest first."""
        with self.lock:
            commands, self._commands = self._commands, []
        return commands

    def __bool__(self) -> bool:
        return bool(self._commands)

    def wait_for_step(self, step: int, future: Future) -> None:
        """Answer `future` once the step count reaches `step`."""
        with self.lock:
            self._waiters.append((step, future))

    def next_step_due(self) -> int | None:
        """The step count the oldest waiting step(n) finishes at."""
        return self._waiters[0][0] if self._waiters else None

    def due_waiters(self, step: int, all_done: bool) -> list[Future]:
        """Remove and return the step(n) futures that are done at this step count."""
        with self.lock:
            ready = [f for n, f in self._waiters if all_done or n <= step]
            self._waiters = [(n, f) for n, f in self._waiters if not (all_done or n <= step)]
        return ready

    def close(self) -> tuple[list[Command], list[Future]]:
        """Refuse further commands; return the queued commands and the waiting futures."""
        with self.lock:
            self.closed = True
            commands, self._commands = self._commands, []
            waiters, self._waiters = self._waiters, []
        return commands, [f for _, f in waiters]


def describe(e: BaseException) -> str:
    """A failure as one line for the page: the message, with the type unless it is ours."""
    if isinstance(e, RequestError):
        return str(e)
    return f"{type(e).__name__}: {e}"


def answer(get: Callable[[], Any], name: str) -> Any:
    """get()'s value; any failure but a time-out becomes a RequestError naming the request."""
    try:
        return get()
    except (RequestError, FutureTimeout):
        raise
    except Exception as e:
        raise RequestError(f"{name}: {describe(e)}") from e


class TrainerCommands:
    """The Trainer's caller side: commands and reads, safe from any thread. The thread's side
    (trainer.py) sets the attributes named here."""

    learner: Learner
    _commands: CommandQueue
    _wake: threading.Event
    _thread: threading.Thread
    _snapshot: Snapshot
    _info: RunInfo
    _last_read: float
    _clock: Callable[[], float]

    def start(self) -> Ack:
        """Run until paused, stopped by a stop condition, or closed."""
        return self._command("start")

    def pause(self) -> Ack:
        """Stop after the current step; the numbers shown are then those of these weights."""
        return self._command("pause")

    def step(self, n: int = 1, unit: str = "batch") -> Ack:
        """Pause, then take exactly n steps (unit "batch": n updates; "epoch": to the end of
        this epoch and n - 1 more, as TensorFlow Playground's Step does for n = 1); returns when
        they are done or the bounded wait ends (Ack.done says which)."""
        if unit not in STEP_UNITS:
            raise ValueError(f"step unit must be one of {', '.join(STEP_UNITS)}, got {unit!r}")
        wait = ACK_TIMEOUT_S + (n * 0.01 if unit == "batch" else n * 1.0)
        return self._command("step", (int(n), unit), timeout=wait)

    def reset(self) -> Ack:
        """Back to step 0 with the same initial weights and data."""
        return self._command("reset")

    def set_hparams(self, **changes: Any) -> Ack:
        """Change live hyperparameters (lr, l1, l2, batch_size, steps_per_s, ...) between steps."""
        unknown = set(changes) - LIVE_HPARAMS
        if unknown:
            raise ValueError(f"not changeable while training: {sorted(unknown)}")
        dataclasses.replace(self.cfg.train, **changes)  # validates now, in the caller
        return self._command("hparams", changes)

    def set_param(self, layer: int, row: int, col: int | None, value: float) -> Ack:
        """Set one weight (row, col) or, with col None, one bias of trainable layer `layer`."""
        if not math.isfinite(value):
            raise ValueError(f"a weight must be a finite number, got {value}")
        return self._command("param", (layer, row, col, float(value)))

    def load_state(self, state: dict[str, torch.Tensor]) -> Ack:
        """Replace the weights (e.g. from an experiment file); shapes must match the model."""
        return self._command("load", state)

    def request(self, name: str, **kwargs: Any) -> Future:
        """Ask the learner for an on-demand probe, answered between two steps (a future)."""
        return self._submit("request", (name, kwargs))

    def ask(self, name: str, timeout: float = REQUEST_TIMEOUT_S, **kwargs: Any) -> Any:
        """request(...)'s answer; RequestError with the message when it fails or times out."""
        if not self._thread.is_alive():  # nobody else touches the learner now
            return answer(lambda: self.learner.answer(name, **kwargs), name)
        future = self.request(name, **kwargs)
        try:
            return answer(lambda: future.result(timeout), name)
        except FutureTimeout:
            raise RequestError(f"{name}: no answer within {timeout:g} s (the run is busy)")

    def close(self, wait: bool = True) -> None:
        """Stop the thread; with wait=False only signal it (safe from an event loop)."""
        self._submit("close")
        if wait:
            self._thread.join(timeout=5.0)

    # ---- reads ------------------------------------------------------------------------------

    def latest(self) -> Snapshot:
        """The newest snapshot; reading it also tells the trainer someone is watching."""
        self._last_read = self._clock()
        return self._snapshot

    @property
    def info(self) -> RunInfo:
        """What the run is (data, features, output, layers): published once per build."""
        return self._info

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def cfg(self) -> RunConfig:
        """The config as it trains now (live hyperparameters included)."""
        return self.learner.cfg

    @property
    def step_count(self) -> int:
        return self.learner.step_count

    def _submit(self, name: str, arg: Any = None) -> Future:
        future = self._commands.submit(name, arg)
        self._last_read = self._clock()
        self._wake.set()
        return future

    def _command(self, name: str, arg: Any = None, timeout: float = ACK_TIMEOUT_S) -> Ack:
        future = self._submit(name, arg)
        try:
            return Ack(future.result(timeout), True)
        except FutureTimeout:
            return Ack(self._snapshot, False)
        except Exception as e:  # noqa: BLE001 - the command failed, the run goes on
            return Ack(self._snapshot, True, describe(e))
