"""Keeps a watcher running: restarts it with exponential backoff when it crashes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from timelygator.watchers.status import WatcherState
from timelygator.watchers.watcher import Watcher

log = logging.getLogger(__name__)

# on_restart(attempt, delay_s, error) is called before each wait.
RestartCallback = Callable[[int, float, BaseException], None]


class Supervisor:
    """Runs ``watcher.run`` on a thread; an exception never escapes, it schedules a restart.

    Delays grow ``initial_backoff_s * 2**n`` up to ``max_backoff_s``; a run that lasted at
    least ``healthy_after_s`` resets the backoff.
    """

    def __init__(
        self,
        watcher: Watcher,
        *,
        initial_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        healthy_after_s: float = 60.0,
        on_restart: RestartCallback | None = None,
    ) -> None:
        self.watcher = watcher
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.healthy_after_s = healthy_after_s
        self._on_restart = on_restart
        self._thread: threading.Thread | None = None
        self.restarts = 0

    @property
    def name(self) -> str:
        return self.watcher.name

    def run(self) -> None:
        """Blocking: run (and restart) the watcher until it is stopped."""
        failures = 0
        while not self.watcher.stop_requested:
            started = time.monotonic()
            try:
                self.watcher.run()
                return  # stopped normally
            except Exception as exc:
                if time.monotonic() - started >= self.healthy_after_s:
                    failures = 0
                delay = min(self.max_backoff_s, self.initial_backoff_s * 2**failures)
                failures += 1
                self.restarts += 1
                message = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "%s watcher failed (%s); restarting in %.1f s", self.name, message, delay
                )
                if self._on_restart is not None:
                    try:
                        self._on_restart(failures, delay, exc)
                    except Exception:
                        log.exception("restart callback failed")
                if self.watcher.wait(delay):
                    break
        self.watcher.set_status(WatcherState.STOPPED)

    def start(self) -> threading.Thread:
        """Run on a new daemon thread and return it."""
        thread = threading.Thread(target=self.run, name=f"tg-watcher-{self.name}", daemon=True)
        self._thread = thread
        thread.start()
        return thread

    def stop(self, timeout_s: float = 1.0) -> bool:
        """Stop the watcher and wait for its thread; True when it ended in time."""
        self.watcher.stop()
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()
