"""The bounded queue in front of the LLM for ``rag serve``.

One in-process llama.cpp model generates one answer at a time (its context is not
thread-safe, and two CPU cores are the bottleneck anyway), so generations are
serialised. Waiting requests are capped: a request that would wait behind too many
others is refused at once (429 with ``Retry-After``) instead of holding a connection
for minutes. Search, lookup and citation requests never pass through here, so they
are served while a generation runs.

A place is reserved on the event loop (so a full queue is refused before any response
starts) and held by the worker thread that generates: the thread gives it back when it
has really stopped, so a cancelled request never lets the next one start while the
model is still busy with it.
"""

from __future__ import annotations

import math
import threading
import time

__all__ = ["Abandoned", "GenerationQueue", "QueueFull", "Ticket"]

INITIAL_GENERATION_S = 20.0
"""Until a generation has been timed, Retry-After assumes one takes this long: about the default 1.5B
model's answer on 2 cores (first token ~13 s, then ~60 tokens at ~8 tokens/s)."""
ESTIMATE_WEIGHT = 0.3
"""Weight of the newest generation in the running estimate of how long one takes."""


class QueueFull(Exception):
    """The queue holds its maximum of waiting requests; ``retry_after`` is the advised wait in seconds."""

    def __init__(self, retry_after: int, waiting: int) -> None:
        super().__init__(f"the server is busy: {waiting} questions are already waiting for the model; "
                         f"retry in about {retry_after} s")
        self.retry_after = retry_after
        self.waiting = waiting


class Abandoned(Exception):
    """Raised by ``with ticket:`` when the request gave its place up while it waited."""


class Ticket:
    """A reserved place in the queue. ``with ticket:`` (in a worker thread) waits for a slot and holds it;
    :meth:`abandon` gives the place back when the request ends before its thread ran."""

    def __init__(self, queue: "GenerationQueue") -> None:
        self._queue = queue
        self._state = "waiting"  # waiting -> running -> done, or waiting -> done (abandoned)
        self._started = 0.0

    def __enter__(self) -> "Ticket":
        self._queue._slots.acquire()
        with self._queue._lock:
            if self._state != "waiting":  # abandoned while it waited: hand the slot on at once
                self._queue._slots.release()
                raise Abandoned()
            self._state = "running"
            self._queue._waiting -= 1
            self._queue._running += 1
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        took = time.monotonic() - self._started
        with self._queue._lock:
            self._state = "done"
            self._queue._running -= 1
            self._queue._estimate += ESTIMATE_WEIGHT * (took - self._queue._estimate)
        self._queue._slots.release()

    def abandon(self) -> None:
        """Give back a place whose generation never started (no-op once it has)."""
        with self._queue._lock:
            if self._state == "waiting":
                self._state = "done"
                self._queue._waiting -= 1


class GenerationQueue:
    """At most ``concurrency`` generations at once and ``max_waiting`` more in line; the rest are refused."""

    def __init__(self, concurrency: int = 1, max_waiting: int = 8) -> None:
        if concurrency < 1 or max_waiting < 0:
            raise ValueError("concurrency must be at least 1 and max_waiting at least 0")
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self._slots = threading.Semaphore(concurrency)
        self._lock = threading.Lock()
        self._running = 0
        self._waiting = 0
        self._estimate = INITIAL_GENERATION_S

    def state(self) -> dict:
        with self._lock:
            return {"running": self._running, "waiting": self._waiting, "concurrency": self.concurrency,
                    "max_waiting": self.max_waiting, "seconds_per_answer": round(self._estimate, 1)}

    def _retry_after(self) -> int:
        ahead = self._waiting + self._running
        return max(1, math.ceil(self._estimate * max(1, ahead) / self.concurrency))

    def reserve(self) -> Ticket:
        """A place in line, or :class:`QueueFull` at once when ``max_waiting`` requests already wait."""
        with self._lock:
            if self._running + self._waiting >= self.concurrency + self.max_waiting:
                raise QueueFull(self._retry_after(), self._waiting)
            self._waiting += 1
        return Ticket(self)
