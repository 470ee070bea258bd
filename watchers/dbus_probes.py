"""Probes that ask a desktop service over the session bus: GNOME Shell and idle monitors.

- :class:`GnomeShellWindowProbe`: the focused window from the TimelyGator GNOME Shell
  extension (``resources/gnome-shell-extension``), which exports
  ``io.timelygator.TimelyGator.ShellWindow`` on GNOME Shell's own bus connection.
- :class:`MutterIdleProbe`: ``org.gnome.Mutter.IdleMonitor`` (GNOME, X11 and Wayland).
- :class:`ScreenSaverIdleProbe`: ``org.freedesktop.ScreenSaver.GetSessionIdleTime``, the
  fallback some desktops offer.

Every call has a deadline (:mod:`watchers.dbus_session`), so a desktop that stops answering
never holds a watcher past its stop.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from jeepney import DBusAddress
from timelygator.watchers.dbus_session import NOT_THERE, DBusError, SessionBus
from timelygator.watchers.probes import UNKNOWN, ProbeUnsupported, WindowInfo
from timelygator.watchers.window_probe import title_looks_private

log = logging.getLogger(__name__)

GNOME_SHELL_BUS = "org.gnome.Shell"
SHELL_WINDOW = DBusAddress(
    "/io/timelygator/TimelyGator/ShellWindow",
    GNOME_SHELL_BUS,
    "io.timelygator.TimelyGator.ShellWindow",
)
#: The extension's interface version this probe speaks (the extension's GetVersion).
SHELL_WINDOW_VERSION = 1
#: How long a stalled desktop may keep answering late before a poll fails.
STALE_AFTER_S = 5.0


class _BusProbe:
    """Lazily connects to the session bus; one lock serialises the watcher threads."""

    def __init__(self, environ: Mapping[str, str] | None) -> None:
        self._environ = os.environ if environ is None else environ
        self._bus: SessionBus | None = None
        self._lock = threading.Lock()

    def _connected(self) -> SessionBus:
        if self._bus is None or self._bus.closed:
            self._bus = SessionBus.connect(self._environ)
        return self._bus

    def _call(self, address: DBusAddress, method: str, **kwargs: Any) -> tuple[Any, ...]:
        bus = self._connected()
        try:
            return bus.call(address, method, **kwargs)
        except (OSError, ValueError):  # the connection broke (TimeoutError is an OSError)
            bus.close()
            self._bus = None
            raise

    def close(self) -> None:
        with self._lock:
            if self._bus is not None:
                self._bus.close()
            self._bus = None


class GnomeShellWindowProbe(_BusProbe):
    """The focused window as the TimelyGator GNOME Shell extension reports it."""

    backend = "GNOME Shell extension"

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(environ)
        self._checked = False
        self._monotonic = monotonic
        self._last: tuple[float, WindowInfo | None] | None = None

    def active_window(self) -> WindowInfo | None:
        with self._lock:
            try:
                if not self._checked:
                    self._check_extension()
                reply = self._call(SHELL_WINDOW, "GetActiveWindow")
            except DBusError as exc:
                self._checked = False
                if exc.name in NOT_THERE:
                    raise ProbeUnsupported(self._missing_reason()) from None
                raise
            except TimeoutError:
                # GNOME Shell's main loop was busy: keep the last answer for a few seconds.
                if self._last is not None and self._monotonic() - self._last[0] < STALE_AFTER_S:
                    return self._last[1]
                raise
            info = window_from_shell(reply)
            self._last = (self._monotonic(), info)
            return info

    def _check_extension(self) -> None:
        version = int(self._call(SHELL_WINDOW, "GetVersion")[0])
        if version < SHELL_WINDOW_VERSION:
            raise ProbeUnsupported(
                f"unsupported: the TimelyGator GNOME Shell extension is outdated (version "
                f"{version}, this app needs {SHELL_WINDOW_VERSION}). Reinstall it in Settings → "
                "Watchers (or run 'timelygator desktop-integration install-gnome'), then log "
                "out and back in."
            )
        self._checked = True

    def _missing_reason(self) -> str:
        from timelygator.watchers.desktop_integration import gnome_extension_missing_reason

        try:
            shell_there = self._connected().has_owner(GNOME_SHELL_BUS)
        except (DBusError, OSError):
            shell_there = False
        if not shell_there:
            return "unsupported: GNOME Shell is not running on this session bus"
        return gnome_extension_missing_reason(self._environ)


def window_from_shell(reply: tuple[Any, ...]) -> WindowInfo | None:
    """GetActiveWindow's ``(app_id, wm_class, title, pid)`` as a WindowInfo (None: no focus)."""
    app_id, wm_class, title, pid = (str(reply[0]), str(reply[1]), str(reply[2]), int(reply[3]))
    if not (app_id or wm_class or title):
        return None
    # WM_CLASS is the Wayland app id for native windows (the X11 class for XWayland ones),
    # as the other backends name apps; the .desktop id only when there is no class.
    app = wm_class or app_id.removesuffix(".desktop") or UNKNOWN
    title = title or UNKNOWN
    return WindowInfo(
        app=app, title=title, pid=pid if pid > 0 else None, is_private=title_looks_private(title)
    )


MUTTER_IDLE = DBusAddress(
    "/org/gnome/Mutter/IdleMonitor/Core",
    "org.gnome.Mutter.IdleMonitor",
    "org.gnome.Mutter.IdleMonitor",
)


class MutterIdleProbe(_BusProbe):
    """GNOME's idle time (milliseconds) from ``org.gnome.Mutter.IdleMonitor``."""

    backend = "GNOME (org.gnome.Mutter.IdleMonitor)"

    def seconds_since_input(self) -> float:
        with self._lock:
            try:
                reply = self._call(MUTTER_IDLE, "GetIdletime")
            except DBusError as exc:
                if exc.name in NOT_THERE:
                    raise ProbeUnsupported(
                        "unsupported: GNOME's idle monitor (org.gnome.Mutter.IdleMonitor) is "
                        "not on the session bus"
                    ) from None
                raise
        return int(reply[0]) / 1000.0


SCREENSAVER_PATHS = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")


class ScreenSaverIdleProbe(_BusProbe):
    """``org.freedesktop.ScreenSaver.GetSessionIdleTime`` (milliseconds, as KDE reports it)."""

    backend = "org.freedesktop.ScreenSaver"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        self._path: str | None = None

    def seconds_since_input(self) -> float:
        with self._lock:
            errors: list[str] = []
            for path in (self._path,) if self._path else SCREENSAVER_PATHS:
                address = DBusAddress(
                    path, "org.freedesktop.ScreenSaver", "org.freedesktop.ScreenSaver"
                )
                try:
                    reply = self._call(address, "GetSessionIdleTime")
                except DBusError as exc:
                    errors.append(exc.text or exc.name)
                    continue
                self._path = path
                return int(reply[0]) / 1000.0
        self._path = None
        raise ProbeUnsupported(
            "unsupported: org.freedesktop.ScreenSaver gives no idle time here "
            f"({errors[-1] if errors else 'no answer'})"
        )
