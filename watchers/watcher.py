"""The poll loop every watcher shares: poll, wait on an Event, stop promptly.

A subclass implements :meth:`Watcher.setup` (create its bucket) and :meth:`Watcher.poll_once`
(one observation at a given time, sent to the sink). ``poll_once`` takes the time as an
argument so tests drive it with a fake clock and no threads. :meth:`Watcher.run` is the
blocking loop; it raises when the probe fails so that :class:`~watchers.supervisor.Supervisor`
can restart it with backoff.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from datetime import datetime

from timelygator.core.timeutil import US_PER_S, Clock, SystemClock
from timelygator.watchers.probes import ProbeUnsupported
from timelygator.watchers.sink import Sink
from timelygator.watchers.status import StatusCallback, WatcherState, WatcherStatus

log = logging.getLogger(__name__)


def local_utc_offset_s(now_us: int) -> int:
    """The local UTC offset (seconds) in effect at ``now_us``."""
    offset = datetime.fromtimestamp(now_us / US_PER_S).astimezone().utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


# While a probe is unsupported, look again this often (a display may appear later).
UNSUPPORTED_RECHECK_S = 30.0


class Watcher(ABC):
    """Base class: probe + config + sink, driven by :meth:`run` on some thread."""

    #: Short name used in status callbacks and logs (``window``, ``afk``, ``web``).
    name: str = "watcher"

    def __init__(
        self,
        sink: Sink,
        *,
        poll_interval_s: float,
        clock: Clock | None = None,
        on_status: StatusCallback | None = None,
    ) -> None:
        if poll_interval_s <= 0:
            raise ValueError("poll_interval_s must be positive")
        self.sink = sink
        self.poll_interval_s = poll_interval_s
        self.clock: Clock = clock or SystemClock()
        self._on_status = on_status
        self._status = WatcherStatus(WatcherState.STOPPED)
        self._status_lock = threading.Lock()
        self._stop = threading.Event()
        self._bucket_ready = False

    # -- status --------------------------------------------------------------------------
    @property
    def status(self) -> WatcherStatus:
        with self._status_lock:
            return self._status

    def set_status(self, state: WatcherState, detail: str = "") -> None:
        """Record a new status; the callback only fires on a change."""
        new = WatcherStatus(state, detail)
        with self._status_lock:
            if new == self._status:
                return
            self._status = new
        log.info("%s watcher: %s", self.name, new)
        if self._on_status is not None:
            try:
                self._on_status(self.name, new)
            except Exception:
                log.exception("status callback of the %s watcher failed", self.name)

    # -- work ----------------------------------------------------------------------------
    @abstractmethod
    def setup(self) -> None:
        """Create the watcher's bucket(s) in the sink."""

    @abstractmethod
    def poll_once(self, now_us: int) -> None:
        """Observe once at ``now_us`` and send what changed. Probe errors propagate."""

    def ensure_setup(self) -> None:
        if not self._bucket_ready:
            self.setup()
            self._bucket_ready = True

    def finish(self) -> None:  # noqa: B027 - optional hook
        """Called once when the loop ends (subclasses may send a last heartbeat)."""

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the loop to end; it wakes at once (the loop waits on an Event)."""
        self._stop.set()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` or until stopped; True when stopped."""
        return self._stop.wait(seconds)

    def run(self) -> None:
        """Poll until :meth:`stop`. Raises on probe failure (for the supervisor)."""
        self.set_status(WatcherState.STARTING)
        try:
            self.ensure_setup()
            while not self._stop.is_set():
                interval = self.poll_interval_s
                try:
                    self.poll_once(self.clock.now_us())
                except ProbeUnsupported as exc:
                    self.set_status(WatcherState.UNSUPPORTED, str(exc))
                    interval = max(interval, UNSUPPORTED_RECHECK_S)
                if self._stop.wait(interval):
                    break
        except Exception as exc:
            self.set_status(WatcherState.ERROR, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            try:
                self.finish()
            finally:
                if self.status.state is not WatcherState.ERROR:
                    self.set_status(WatcherState.STOPPED)
