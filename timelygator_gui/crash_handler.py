"""One place for uncaught errors: ``sys.excepthook`` and ``threading.excepthook``.

Installed once by the app. Each uncaught exception is logged first, then handed to the GUI
thread through a queued signal, where one error dialog at a time shows it.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

Shower = Callable[[BaseException, str], None]


class CrashHandler(QObject):
    """Receives exceptions from any thread and shows them on the GUI thread."""

    sig_exception = Signal(object, str)
    """An uncaught exception and where it happened (emitted from any thread)."""

    def __init__(self, show: Shower, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._show = show
        self._previous: tuple[Any, Any] | None = None
        self._showing = False
        self.sig_exception.connect(self._on_exception)

    def install(self) -> None:
        if self._previous is not None:
            return
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def _sys_hook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.error("Uncaught exception", exc_info=(kind, exc, tb))
        self.sig_exception.emit(exc, "main thread")

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or isinstance(args.exc_value, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "a thread"
        log.error(
            "Uncaught exception in %s", name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )  # fmt: skip
        self.sig_exception.emit(args.exc_value, f"thread {name}")

    def report(self, exc: BaseException, context: str = "") -> None:
        """Show an error caught elsewhere (a failed background job)."""
        log.error("Error in %s: %s", context or "background work", exc, exc_info=exc)
        self.sig_exception.emit(exc, context)

    def _on_exception(self, exc: BaseException, context: str) -> None:
        if self._showing:
            return  # one dialog at a time; the rest are in the log
        self._showing = True
        try:
            self._show(exc, context)
        finally:
            self._showing = False
