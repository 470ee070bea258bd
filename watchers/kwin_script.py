"""KDE Plasma on Wayland: the active window from a KWin script that reports to the watcher.

KWin offers no "which window is active" call to other programs on Wayland, but its scripts
see every window. The probe owns the bus name :data:`SERVICE`, asks KWin over D-Bus
(``org.kde.KWin`` ``/Scripting``) to load ``resources/kwin/timelygator-active-window.js``
and run it; the script calls :data:`REPORTS` ``.WindowActivated(resourceClass, caption,
desktopFileName, pid)`` (all strings: KWin's ``callDBus`` turns JavaScript numbers into
doubles) whenever the active window or its caption changes, and once when it starts. Each
poll answers the calls that arrived since the last one. The script is unloaded on close.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from jeepney import DBusAddress, HeaderFields, Message
from timelygator.core.resources import resource_path
from timelygator.watchers.dbus_session import NOT_THERE, UNKNOWN_METHOD, DBusError, SessionBus
from timelygator.watchers.probes import UNKNOWN, ProbeUnsupported, WindowInfo
from timelygator.watchers.window_probe import title_looks_private

log = logging.getLogger(__name__)

SERVICE = "io.timelygator.TimelyGator.KWin"
REPORTS_PATH = "/io/timelygator/TimelyGator/KWin"
REPORTS_INTERFACE = "io.timelygator.TimelyGator.KWin"
REPORT_METHOD = "WindowActivated"
REPORT_SIGNATURE = "ssss"
SCRIPT_NAME = "timelygator-active-window"
SCRIPT_FILE = ("kwin", "timelygator-active-window.js")

KWIN_BUS = "org.kde.KWin"
SCRIPTING = DBusAddress("/Scripting", KWIN_BUS, "org.kde.kwin.Scripting")
#: How often the probe makes sure KWin still runs the script (one short D-Bus call).
CHECK_EVERY_S = 10.0


def script_path() -> Path | None:
    return resource_path(*SCRIPT_FILE)


def script_object_paths(script_id: int) -> tuple[str, str]:
    """Where KWin exports a loaded script: Plasma 6 (and late 5.x), then Plasma 5."""
    return f"/Scripting/Script{script_id}", f"/{script_id}"


class KWinScriptWindowProbe:
    """The active window as the TimelyGator KWin script reports it."""

    backend = "KWin script (KDE Plasma)"

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        check_every_s: float = CHECK_EVERY_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._bus: SessionBus | None = None
        self._window: WindowInfo | None = None
        self._check_every_s = check_every_s
        self._monotonic = monotonic
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def active_window(self) -> WindowInfo | None:
        with self._lock:
            if self._bus is None or self._bus.closed:
                self._start()
            assert self._bus is not None
            try:
                self._bus.serve(self._on_call)
                if self._monotonic() - self._checked_at >= self._check_every_s:
                    self._check_loaded(self._bus)
            except OSError:
                self._drop()
                raise
            return self._window

    def _check_loaded(self, bus: SessionBus) -> None:
        """A KWin that restarted lost the script, and silence would look like one window
        focused forever: ask now and then, and load it again when it is gone."""
        self._checked_at = self._monotonic()
        try:
            loaded = bool(bus.call(SCRIPTING, "isScriptLoaded", "s", (SCRIPT_NAME,))[0])
        except DBusError:
            loaded = False
        if not loaded:
            log.info("the KWin script is no longer loaded (KWin restarted?); loading it again")
            bus.release_name(SERVICE)
            self._drop()
            self._start()

    def _start(self) -> None:
        path = script_path()
        if path is None:
            raise ProbeUnsupported("unsupported: the KWin script is missing from this installation")
        bus = SessionBus.connect(self._environ)
        try:
            if not bus.has_owner(KWIN_BUS):
                raise ProbeUnsupported("unsupported: KWin is not running on this session bus")
            if not bus.request_name(SERVICE):
                raise ProbeUnsupported(
                    "unsupported: another TimelyGator watcher (the app or 'timelygator watch') "
                    "already receives KWin's window reports in this session; stop it first"
                )
            with contextlib.suppress(DBusError):
                bus.call(SCRIPTING, "unloadScript", "s", (SCRIPT_NAME,))
            script_id = int(bus.call(SCRIPTING, "loadScript", "ss", (str(path), SCRIPT_NAME))[0])
            if script_id < 0:
                raise ProbeUnsupported(f"unsupported: KWin did not load the script {path}")
            self._run(bus, script_id)
        except DBusError as exc:
            bus.close()
            if exc.name in NOT_THERE:
                raise ProbeUnsupported(
                    "unsupported: KWin's scripting interface is not available "
                    f"({exc.text or exc.name})"
                ) from None
            raise
        except BaseException:
            bus.close()
            raise
        self._bus = bus
        self._window = None
        self._checked_at = self._monotonic()
        log.info("KWin script %s loaded as script %d", path, script_id)

    @staticmethod
    def _run(bus: SessionBus, script_id: int) -> None:
        error: DBusError | None = None
        for object_path in script_object_paths(script_id):
            try:
                bus.call(DBusAddress(object_path, KWIN_BUS, "org.kde.kwin.Script"), "run")
                return
            except DBusError as exc:
                if exc.name not in NOT_THERE:
                    raise
                error = exc
        assert error is not None
        raise error

    def _on_call(self, message: Message) -> tuple[str, tuple[object, ...]]:
        fields = message.header.fields
        if (
            fields.get(HeaderFields.path) != REPORTS_PATH
            or fields.get(HeaderFields.member) != REPORT_METHOD
            or fields.get(HeaderFields.interface, REPORTS_INTERFACE) != REPORTS_INTERFACE
            or fields.get(HeaderFields.signature) != REPORT_SIGNATURE
        ):
            raise DBusError(UNKNOWN_METHOD, "TimelyGator only answers WindowActivated(ssss)")
        self._window = window_from_kwin(*(str(v) for v in message.body))
        return "", ()

    def _drop(self) -> None:
        if self._bus is not None:
            self._bus.close()
        self._bus = None
        self._window = None

    def close(self) -> None:
        """Unload the script and give up the name (so a later watcher can take over)."""
        with self._lock:
            bus = self._bus
            if bus is not None and not bus.closed:
                with contextlib.suppress(DBusError, OSError):
                    bus.call(SCRIPTING, "unloadScript", "s", (SCRIPT_NAME,))
                bus.release_name(SERVICE)
            self._drop()


def window_from_kwin(
    resource_class: str, caption: str, desktop_file: str, pid: str
) -> WindowInfo | None:
    """The script's report as a WindowInfo; all empty means no window is active."""
    if not (resource_class or caption or desktop_file):
        return None
    # resourceClass is the Wayland app id for native windows (the X11 class for XWayland).
    app = resource_class or desktop_file or UNKNOWN
    title = caption or UNKNOWN
    try:
        pid_value: int | None = int(float(pid)) if pid else None
    except ValueError:
        pid_value = None
    return WindowInfo(
        app=app,
        title=title,
        pid=pid_value if pid_value and pid_value > 0 else None,
        is_private=title_looks_private(title),
    )
