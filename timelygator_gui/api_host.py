"""Runs the local REST API (core's ``ApiServer``) from the GUI, never blocking the GUI thread.

``ApiServer.start()`` binds the port and waits until uvicorn listens; ``stop()`` lets
in-flight requests finish. Both can take a while, so they run on one pinned worker thread,
in the order the user asked for them. ``status`` is the sentence the settings page and the
tray show: where the API listens, or why it does not (port in use, ...).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from timelygator.core.errors import TimelyGatorError
from timelygator.core.preferences import ApiPrefs
from timelygator.core.services import Services
from timelygator.gui.tasks import TaskRunner

log = logging.getLogger(__name__)

OFF = "Off"


@dataclass(frozen=True, slots=True)
class ApiStatus:
    """What the API is doing: listening (with its URL) or not (with the reason)."""

    listening: bool
    text: str
    url: str = ""


class ApiHost(QObject):
    """Start/stop the API on a worker; ``status`` says where it listens or why it does not."""

    sig_status_changed = Signal(str)
    """The API's status sentence changed (GUI thread)."""

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.status = OFF
        self.url = ""
        self.listening = False
        self._runner = TaskRunner(self, pinned=True)
        self._lock = threading.Lock()  # guards _server across the worker and shutdown
        self._server: object | None = None
        self._closed = False  # shut down for good: a start finishing late stops at once

    # -- worker side (any thread but the GUI's) -----------------------------------------------
    def _start_blocking(self, prefs: ApiPrefs) -> ApiStatus:
        self.stop_blocking()
        if not prefs.enabled:
            return ApiStatus(False, OFF)
        try:
            from timelygator.core.api import ApiConfig, ApiServer
        except ImportError as exc:  # the API's extras are not installed
            return ApiStatus(False, f"Not available: {exc}.")
        config = ApiConfig(
            port=prefs.port,
            compat_mode=prefs.compat_mode,
            extension_origins=(
                *(f"chrome-extension://{i}" for i in prefs.extension_ids),
                *prefs.allowed_origins,
            ),
        )
        server = ApiServer(self.services, config)
        try:
            server.start()
        except TimelyGatorError as exc:
            return ApiStatus(False, f"Not listening: {exc}")
        with self._lock:
            closed = self._closed
            if not closed:
                self._server = server
        if closed:
            server.stop()
            return ApiStatus(False, OFF)
        return ApiStatus(True, f"Listening on {server.url}", server.url)

    def stop_blocking(self, *, final: bool = False) -> None:
        """Stop the server and wait for its thread (safe from any thread, safe when off).

        ``final``: the app is closing; a start still in progress stops as soon as it is up.
        """
        with self._lock:
            self._closed = self._closed or final
            server, self._server = self._server, None
        if server is not None:
            server.stop()  # type: ignore[attr-defined]

    # -- GUI side ----------------------------------------------------------------------------
    def _show(self, status: ApiStatus) -> None:
        self.listening, self.url = status.listening, status.url
        if status.text != self.status:
            self.status = status.text
            self.sig_status_changed.emit(status.text)

    def _failed(self, exc: BaseException) -> None:
        log.error("the API could not be started: %s", exc)
        self._show(ApiStatus(False, f"Not listening: {exc}"))

    def start(self, prefs: ApiPrefs) -> None:
        """(Re)start the API with ``prefs`` (or stop it when disabled); returns at once."""
        if prefs.enabled:
            self._show(ApiStatus(False, f"Starting on 127.0.0.1:{prefs.port}…"))
        copy = ApiPrefs(
            prefs.enabled,
            prefs.port,
            prefs.compat_mode,
            list(prefs.extension_ids),
            list(prefs.allowed_origins),
        )
        self._runner.run("api", lambda: self._start_blocking(copy), self._show, self._failed,
                         keep_all=True)  # fmt: skip

    def stop(self) -> None:
        """Stop the API on the worker; returns at once."""

        def work() -> ApiStatus:
            self.stop_blocking()
            return ApiStatus(False, OFF)

        self._runner.run("api", work, self._show, self._failed, keep_all=True)

    def wait(self, timeout_ms: int = 20_000) -> bool:
        """Block until queued starts/stops are done (shutdown and tests only)."""
        return self._runner.wait(timeout_ms)
