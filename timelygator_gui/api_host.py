"""Runs the local REST API (FastAPI in uvicorn) on its own thread, started from the GUI."""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal

from core.services import Services
from timelygator_gui.preferences import ApiPrefs

log = logging.getLogger(__name__)


def port_free(host: str, port: int) -> str | None:
    """None when ``port`` can be bound, else why not."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} is already in use by another program"
            return f"port {port} cannot be used ({exc.strerror})"
    return None


class ApiHost(QObject):
    """Start/stop the API; ``status`` says where it listens or why it does not."""

    sig_status_changed = Signal(str)
    """The API's status sentence changed."""

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.status = "Off"
        self._server: object | None = None
        self._thread: threading.Thread | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._check_started)
        self._port = 0

    def _set_status(self, text: str) -> None:
        self.status = text
        self.sig_status_changed.emit(text)

    def start(self, prefs: ApiPrefs) -> None:
        self.stop()
        if not prefs.enabled:
            self._set_status("Off")
            return
        problem = port_free("127.0.0.1", prefs.port)
        if problem is not None:
            self._set_status(f"Not listening: {problem}.")
            return
        try:
            import uvicorn

            from core.api.app import create_app
            from core.api.config import ApiConfig
        except ImportError as exc:
            self._set_status(f"Not available: {exc}.")
            return
        app = create_app(self.services, ApiConfig(port=prefs.port, compat_mode=prefs.compat_mode))
        config = uvicorn.Config(
            app, host="127.0.0.1", port=prefs.port, log_config=None, access_log=False,
            lifespan="on",
        )  # fmt: skip
        server = uvicorn.Server(config)
        self._server = server
        self._port = prefs.port
        self._thread = threading.Thread(target=server.run, name="timelygator-api", daemon=True)
        self._thread.start()
        self._set_status(f"Starting on 127.0.0.1:{prefs.port}…")
        self._poll.start()

    def _check_started(self) -> None:
        server = self._server
        if server is None:
            self._poll.stop()
            return
        if getattr(server, "started", False):
            self._poll.stop()
            self._set_status(f"Listening on http://127.0.0.1:{self._port}")
        elif self._thread is not None and not self._thread.is_alive():
            self._poll.stop()
            self._server = None
            self._set_status(f"Not listening: the server on port {self._port} stopped.")

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask uvicorn to exit and wait for its thread (safe when not running)."""
        self._poll.stop()
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.should_exit = True  # type: ignore[attr-defined]
        if thread is not None:
            deadline = time.monotonic() + timeout_s
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("the API thread did not stop within %.0f s", timeout_s)
        if server is not None:
            self._set_status("Off")
