"""Background work for the GUI: jobs on a thread pool, results back as signals.

``TaskRunner.run(channel, fn, on_done)`` runs ``fn()`` on a worker thread and calls
``on_done(result)`` on the GUI thread. Each channel (``"range"``, ``"search"``...) keeps a
generation counter: a result from an older request on the same channel is stale (the user
already moved on) and is dropped. A result whose ``owner`` (a widget, by default the object
of a bound ``on_done``) was deleted meanwhile, such as a closed dialog's page, is dropped too.
Background callables never touch widgets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]


@dataclass(slots=True)
class _Pending:
    channel: str
    generation: int | None  # None: always delivered
    on_done: Callback
    on_error: Callback | None
    started: float
    owner: QObject | None = None


class _Relay(QObject):
    """Carries a finished job from its worker thread to the GUI thread."""

    sig_finished = Signal(int, bool, object)
    """A job ended: its id, ok flag and its result or exception."""


class _Job(QRunnable):
    def __init__(self, relay: _Relay, job_id: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._relay = relay
        self._job_id = job_id
        self._fn = fn

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # reported on the GUI thread
            self._relay.sig_finished.emit(self._job_id, False, exc)
            return
        self._relay.sig_finished.emit(self._job_id, True, result)


class TaskRunner(QObject):
    """Runs callables off the GUI thread; drops stale results per channel."""

    sig_idle = Signal()
    """Every submitted job has come back (delivered or dropped)."""
    sig_error = Signal(object)
    """A job without its own error handler failed with this exception."""

    def __init__(
        self, parent: QObject | None = None, max_threads: int = 3, *, pinned: bool = False
    ) -> None:
        """``pinned``: one thread that never expires, so every job runs on the same thread."""
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1 if pinned else max_threads)
        if pinned:
            self._pool.setExpiryTimeout(-1)
        self._relay = _Relay(self)
        self._relay.sig_finished.connect(self._on_finished)
        self._generation: dict[str, int] = {}
        self._jobs: dict[int, _Pending] = {}
        self._next_id = 0
        self.pending = 0
        self.dropped = 0
        self.last_ms: dict[str, float] = {}
        self._idle = threading.Event()
        self._idle.set()

    def run(
        self,
        channel: str,
        fn: Callable[[], Any],
        on_done: Callback,
        on_error: Callback | None = None,
        *,
        keep_all: bool = False,
        owner: QObject | None = None,
    ) -> int:
        """Start ``fn`` on a worker; returns the request's generation on ``channel``.

        With ``keep_all`` every result of the channel is delivered (writes, not views).
        ``owner``: deliver only while this object lives (default: ``on_done``'s object when
        it is a QObject); ``fn`` itself always runs to the end.
        """
        generation = self._generation.get(channel, 0) + (0 if keep_all else 1)
        self._generation[channel] = generation
        self._next_id += 1
        if owner is None:
            bound = getattr(on_done, "__self__", None)
            owner = bound if isinstance(bound, QObject) else None
        self._jobs[self._next_id] = _Pending(
            channel, None if keep_all else generation, on_done, on_error, time.perf_counter(),
            owner,
        )  # fmt: skip
        self._busy()
        self._pool.start(_Job(self._relay, self._next_id, fn))
        return generation

    def when_done(
        self,
        channel: str,
        future: Future[Any],
        on_done: Callback,
        on_error: Callback | None = None,
        *,
        owner: QObject | None = None,
    ) -> None:
        """``on_done(result)`` on the GUI thread when ``future`` (a writer's) resolves; no
        thread waits for it. Every result is delivered (writes, like ``keep_all``)."""
        self._next_id += 1
        job_id = self._next_id
        if owner is None:
            bound = getattr(on_done, "__self__", None)
            owner = bound if isinstance(bound, QObject) else None
        self._jobs[job_id] = _Pending(channel, None, on_done, on_error, time.perf_counter(), owner)
        self._busy()
        relay = self._relay

        def resolved(done: Future[Any]) -> None:
            error = done.exception()
            if error is None:
                relay.sig_finished.emit(job_id, True, done.result())
            else:
                relay.sig_finished.emit(job_id, False, error)

        future.add_done_callback(resolved)

    def _busy(self) -> None:
        self.pending += 1
        self._idle.clear()

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Block until every submitted job has come back; True when they have. Safe on any
        thread but the GUI thread (which delivers the results): background work that should
        not compete with these jobs waits here."""
        return self._idle.wait(timeout_s)

    def generation(self, channel: str) -> int:
        """The newest request's generation on ``channel`` (safe to read from a worker)."""
        return self._generation.get(channel, 0)

    def cancel(self, channel: str) -> None:
        """Drop whatever is still running on ``channel`` when it comes back."""
        self._generation[channel] = self._generation.get(channel, 0) + 1

    def _on_finished(self, job_id: int, ok: bool, payload: Any) -> None:
        self.pending -= 1
        job = self._jobs.pop(job_id)
        self.last_ms[job.channel] = (time.perf_counter() - job.started) * 1000
        current = job.generation is None or job.generation == self._generation.get(job.channel)
        if job.owner is not None and not shiboken6.isValid(job.owner):
            current = False  # its widget is gone (a closed dialog): nobody to show it to
        try:
            if not current:
                self.dropped += 1
                log.debug("dropped a stale %s result", job.channel)
            elif ok:
                job.on_done(payload)
            elif job.on_error is not None:
                job.on_error(payload)
            else:
                self.sig_error.emit(payload)
        finally:
            if self.pending == 0:
                self._idle.set()
                self.sig_idle.emit()

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Block until the pool is empty (shutdown and tests only)."""
        return bool(self._pool.waitForDone(timeout_ms))
