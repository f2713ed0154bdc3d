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
