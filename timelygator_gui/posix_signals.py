"""SIGTERM/SIGINT/SIGHUP end the app the orderly way (logout, ``kill``, Ctrl+C).

Python runs signal handlers only when the interpreter has control, which it rarely has
while Qt's event loop waits. ``signal.set_wakeup_fd`` writes a byte to a socket on every
signal; a ``QSocketNotifier`` on the other end wakes the event loop, which then calls
``on_signal`` on the GUI thread.
"""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier

SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")


class QuitOnSignals(QObject):
    """Calls ``on_signal`` once on the GUI thread when the process is asked to stop."""

    def __init__(self, on_signal: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_signal = on_signal
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        signal.set_wakeup_fd(self._writer.fileno())
        for name in SIGNALS:
            number = getattr(signal, name, None)
            if number is not None:
                signal.signal(number, lambda _n, _f: None)  # the wakeup fd does the work
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def _drain(self) -> None:
        try:
            while self._reader.recv(64):
                pass
        except BlockingIOError:
            pass
        self._on_signal()

    def close(self) -> None:
        signal.set_wakeup_fd(-1)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


def install_quit_on_signals(on_signal: Callable[[], None]) -> QuitOnSignals | None:
    """Install the handlers (POSIX only; Windows ends GUI apps through window messages)."""
    if sys.platform == "win32":
        return None
    return QuitOnSignals(on_signal)
