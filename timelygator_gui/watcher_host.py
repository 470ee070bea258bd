"""Hosts the Qt-free watchers on QThreads and feeds them into the writer.

Each watcher's supervisor runs in a QObject worker moved to its own QThread; the loop waits
on an Event, so stopping (request -> quit -> wait) returns within about a second.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal
from timelygator.core.event import Event
from timelygator.core.preferences import Preferences
from timelygator.core.services import Services
from timelygator.watchers.config import config_from_preferences
from timelygator.watchers.headless import Probes, WatcherSet, build_watchers
from timelygator.watchers.sink import CallbackSink
from timelygator.watchers.status import WatcherStatus

log = logging.getLogger(__name__)


class _Worker(QObject):
    """Runs one supervisor's blocking loop on the thread it was moved to."""

    sig_finished = Signal()
    """The watcher loop returned (it was stopped)."""

    def __init__(self, supervisor: Any) -> None:
        super().__init__()
        self.supervisor = supervisor

    def run(self) -> None:
        try:
            self.supervisor.run()
        finally:
            self.sig_finished.emit()


class WatcherHost(QObject):
    """Builds, starts, pauses and stops the watchers."""

    sig_status_changed = Signal(str, object)
    """A watcher changed state: its name and WatcherStatus (any thread -> GUI thread)."""
    # qint64: microsecond times do not fit the 32-bit C++ int that Signal(int) carries.
    sig_returned = Signal("qint64", "qint64")  # type: ignore[arg-type]  # stubs want types
    """The user came back after a long absence: away start and end, UTC us (any thread)."""

    def __init__(
        self, services: Services, probes: Probes | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.probes = probes
        self.watchers: WatcherSet | None = None
        self.statuses: dict[str, WatcherStatus] = {}
        self._threads: list[tuple[QThread, _Worker]] = []
        # Threads that did not stop in time (a probe blocked in a native call): kept, since
        # destroying a running QThread aborts the process.
        self.stuck: list[tuple[QThread, _Worker]] = []
        self._keys: dict[str, int] = {}
        self._keys_lock = threading.Lock()
        self.sig_status_changed.connect(self._remember)

    # -- sink (watcher threads) --------------------------------------------------------------
    def _ensure_bucket(self, name: str, type_: str, client: str, hostname: str) -> None:
        key = self.services.ensure_bucket(name, type=type_, client=client, hostname=hostname)
        with self._keys_lock:
            self._keys[name] = key

    def _heartbeat(self, bucket: str, event: Event, pulsetime_s: float) -> None:
        with self._keys_lock:
            key = self._keys.get(bucket)
        if key is None:
            key = self.services.bucket_key(bucket)
            with self._keys_lock:
                self._keys[bucket] = key
        self.services.writer.heartbeat(key, event, pulsetime_s)

    # -- lifecycle (GUI thread) ----------------------------------------------------------------
    def start(self, prefs: Preferences) -> None:
        if self.watchers is not None:
            self.stop()
        sink = CallbackSink(self._ensure_bucket, self._heartbeat)
        self.watchers = build_watchers(
            sink,
            config_from_preferences(prefs),
            probes=self.probes,
            clock=self.services.clock,
            on_status=lambda name, status: self.sig_status_changed.emit(name, status),
            on_returned=lambda start_us, end_us: self.sig_returned.emit(start_us, end_us),
        )
        for supervisor in self.watchers.supervisors:
            thread = QThread()
            thread.setObjectName(f"watcher-{supervisor.name}")
            worker = _Worker(supervisor)
            worker.moveToThread(thread)
            thread.started.connect(worker.run)
            worker.sig_finished.connect(thread.quit)
            self._threads.append((thread, worker))
            thread.start()
        log.info("watchers started: %s", ", ".join(s.name for s in self.watchers.supervisors))

    def stop(self, timeout_ms: int = 1500) -> bool:
        """Ask every watcher to stop, then wait for their threads; True when all ended."""
        if self.watchers is None:
            return True
        for supervisor in self.watchers.supervisors:
            supervisor.watcher.stop()
        ok = True
        for thread, worker in self._threads:
            thread.quit()
            if not thread.wait(timeout_ms):
                log.warning("watcher thread %s did not stop in time", thread.objectName())
                ok = False
                self.stuck.append((thread, worker))
                continue
            worker.deleteLater()
        self._threads.clear()
        if ok:  # a stuck thread may still be inside a probe: leave its connections be
            self.watchers.close_probes()
        self.watchers = None
        return ok

    def pause(self, seconds: float | None) -> None:
        if self.watchers is not None:
            self.watchers.privacy.pause(self.services.clock.now_us(), seconds)

    def resume(self) -> None:
        if self.watchers is not None:
            self.watchers.privacy.resume()

    def paused(self) -> bool:
        return self.watchers is not None and self.watchers.privacy.is_paused(
            self.services.clock.now_us()
        )

    def _remember(self, name: str, status: WatcherStatus) -> None:
        self.statuses[name] = status
