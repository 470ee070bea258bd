"""Bridges the writer's change listener (writer thread) to a Qt signal (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from core.writer import Change, Writer


class ChangeBridge(QObject):
    """Coalesces committed changes into at most one ``sig_data_changed`` per interval."""

    sig_changes = Signal(int)
    """Internal: the writer committed this many changes (emitted on the writer thread)."""
    sig_data_changed = Signal()
    """Stored data changed (debounced); views showing the affected range reload."""

    def __init__(self, writer: Writer, interval_ms: int = 2000, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.sig_data_changed)
        self.sig_changes.connect(self._on_changes)
        writer.add_change_listener(self._listener)
        self._active = True

    def _listener(self, changes: list[Change]) -> None:
        if self._active:
            self.sig_changes.emit(len(changes))

    def _on_changes(self, _count: int) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def stop(self) -> None:
        self._active = False
        self._timer.stop()
