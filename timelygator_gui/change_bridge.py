"""Bridges the writer's change listener (writer thread) to a Qt signal (GUI thread).

Every committed change reaches the GUI through here, whoever made it (a watcher, an API
client, an edit in the window): the one path by which views learn that data changed. The
first batch after a quiet spell is delivered at once (an edit shows without delay); while
changes keep coming (heartbeats every second) they are gathered and delivered at most once per
``interval_ms``.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QTimer, Signal
from timelygator.core.writer import Change, Writer


class ChangeBridge(QObject):
    """Delivers committed changes on the GUI thread, at most one batch per interval."""

    sig_changes = Signal(object)
    """Committed changes (a list of ``core.writer.Change``), oldest first."""
    _sig_arrived = Signal()
    """Internal: the writer committed changes into an empty buffer (writer thread)."""

    def __init__(self, writer: Writer, interval_ms: int = 1000, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._buffer: list[Change] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._cooled_down)
        self._sig_arrived.connect(self._arrived)
        self._active = True
        writer.add_change_listener(self._listener)

    def _listener(self, changes: list[Change]) -> None:
        if not self._active:
            return
        with self._lock:
            was_empty = not self._buffer
            self._buffer.extend(changes)
        if was_empty:
            self._sig_arrived.emit()

    def _arrived(self) -> None:
        if not self._timer.isActive():
            self._deliver()  # the first batch after a quiet spell: at once

    def _cooled_down(self) -> None:
        self._deliver()  # whatever gathered meanwhile (nothing: the spell is quiet again)

    def _deliver(self) -> None:
        with self._lock:
            batch, self._buffer = self._buffer, []
        if batch and self._active:
            self._timer.start()
            self.sig_changes.emit(batch)

    def stop(self) -> None:
        self._active = False
        self._timer.stop()
        with self._lock:
            self._buffer = []
