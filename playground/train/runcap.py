"""The server's run cap (how many trainers train at once) and the registry of live trainers."""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

# Trainers training at once on this server; more wait their turn (status WAITING).
MAX_RUNNING = int(os.environ.get("PLAYGROUND_MAX_RUNNING", max(2, os.cpu_count() or 1)))
SLOTS = threading.BoundedSemaphore(MAX_RUNNING)
LIVE: weakref.WeakSet[Any] = weakref.WeakSet()  # every trainer whose thread may run


def live_threads() -> int:
    """Trainer threads alive in this process (a server-wide view for the status page and tests)."""
    return sum(1 for t in list(LIVE) if t.is_alive)


class RunSlot:
    """One trainer's claim on the server's cap: held while it trains, released otherwise."""

    def __init__(self, capped: bool) -> None:
        self.capped = capped  # headless runs need not count against the cap
        self.held = False
        self._slots: threading.BoundedSemaphore | None = None

    def claim(self) -> bool:
        """Take a slot if one is free (always, uncapped); True when held."""
        if not self.held:
            self._slots = SLOTS  # released to the same semaphore it came from
            self.held = not self.capped or self._slots.acquire(blocking=False)
        return self.held

    def release(self) -> None:
        if self.held:
            self.held = False
            if self.capped and self._slots is not None:
                self._slots.release()


class Turns:
    """Trainers that train at the same moment, at most `k`; the others queue for a turn, first
    come first served, and a trainer gives its turn back after each publish.

    In one process the trainers share the interpreter lock. Eight trainers all at once each pass
    it on at every torch call: every step and every probe then costs several times its CPU
    time, and the server's event loop waits behind them all. Taking turns keeps each run's work
    cheap and the server responsive; with `k` or fewer running nobody ever waits.
    """

    def __init__(self, k: int) -> None:
        self.k = max(1, k)  # none at all would stop every run
        self._cond = threading.Condition()
        self._free = self.k
        self._queue: list[object] = []

    def take(self) -> object:
        """Wait for a turn; the ticket to give back."""
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            self._cond.wait_for(lambda: self._free > 0 and self._queue[0] is ticket)
            self._queue.pop(0)
            self._free -= 1
            self._cond.notify_all()  # the next in line may find a free turn too
        return ticket

    def give(self) -> None:
        with self._cond:
            self._free += 1
            self._cond.notify_all()


# Trainers training at the same moment: one per two cores (1 on 2 cores, where eight runs at
# once then publish 5 times a second each, against 1.2 all at once).
TURNS = Turns(int(os.environ.get("PLAYGROUND_TURNS", max(1, (os.cpu_count() or 2) // 2))))
