"""Which probes read the active window and the idle time in this session, and what is missing.

- X11: pywinctl (EWMH) for the window; XScreenSaver, then pynput, for idle time.
- GNOME on Wayland: the TimelyGator GNOME Shell extension; org.gnome.Mutter.IdleMonitor.
- KDE Plasma on Wayland: a KWin script the app loads; ext-idle-notify-v1/org_kde_kwin_idle.
- sway, Hyprland, river… (wlroots): wlr-foreign-toplevel-management, then sway's IPC;
  ext-idle-notify-v1 or org_kde_kwin_idle.
- Any Wayland session, for idle time when the above are missing: org.freedesktop.ScreenSaver,
  then pynput.
- Windows, macOS: pywinctl; the OS's idle time.

On Wayland, pynput only hears input that goes to X11 (XWayland) apps, so it is the last
resort and the status says so. :func:`describe_backends` is the Qt-free report for the CLI
(``timelygator desktop-integration status``) and diagnostics.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from timelygator.watchers.probes import (
    IdleProbe,
    ProbeUnsupported,
    WindowInfo,
    WindowProbe,
    backend_of,
    close_probe,
)
from timelygator.watchers.session import Desktop, DesktopSession, SessionKind, detect_session

UNSUPPORTED = "unsupported: "


def _reason(exc: ProbeUnsupported) -> str:
    return str(exc).removeprefix(UNSUPPORTED)


class WindowProbeChain:
    """Tries window backends in order and keeps the first that works.

    When the one in use becomes unsupported (a compositor restarted without the protocol, an
    extension was turned off), the next poll starts from the top again. When none works, the
    reasons are joined into one :class:`ProbeUnsupported`, the preferred backend's first.
    """

    def __init__(self, candidates: Sequence[WindowProbe]) -> None:
        if not candidates:
            raise ValueError("a chain needs at least one probe")
        self._candidates = list(candidates)
        self._current: WindowProbe | None = None
        self._lock = threading.Lock()

    @property
    def candidates(self) -> tuple[WindowProbe, ...]:
        return tuple(self._candidates)

    @property
    def backend(self) -> str:
        current = self._current
        return backend_of(current if current is not None else self._candidates[0])

    def active_window(self) -> WindowInfo | None:
        with self._lock:
            current = self._current
        if current is not None:
            try:
                return current.active_window()
            except ProbeUnsupported:
                with self._lock:
                    self._current = None
        reasons: list[str] = []
        for probe in self._candidates:
            try:
                info = probe.active_window()
            except ProbeUnsupported as exc:
                if _reason(exc) not in reasons:
                    reasons.append(_reason(exc))
                continue
            with self._lock:
                self._current = probe
            return info
        raise ProbeUnsupported(UNSUPPORTED + "; ".join(reasons))

    def close(self) -> None:
        for probe in self._candidates:
            close_probe(probe)


def window_probe_for(
    session: DesktopSession, environ: Mapping[str, str] | None = None
) -> WindowProbe:
    """The window probe (or chain) for ``session``."""
    if session.kind is not SessionKind.WAYLAND:
        from timelygator.watchers.window_probe import PyWinCtlWindowProbe

        return PyWinCtlWindowProbe(environ)
    if session.desktop is Desktop.GNOME:
        from timelygator.watchers.dbus_probes import GnomeShellWindowProbe

        return WindowProbeChain([GnomeShellWindowProbe(environ)])
    if session.desktop is Desktop.KDE:
        from timelygator.watchers.kwin_script import KWinScriptWindowProbe

        return WindowProbeChain([KWinScriptWindowProbe(environ)])
    from timelygator.watchers.sway_ipc import SwayIpcWindowProbe
    from timelygator.watchers.wayland_probes import WlrToplevelWindowProbe

    return WindowProbeChain([WlrToplevelWindowProbe(environ), SwayIpcWindowProbe(environ)])


PYNPUT_ON_WAYLAND = "pynput fallback (hears input to X11/XWayland apps only)"


def idle_probe_for(session: DesktopSession, environ: Mapping[str, str] | None = None) -> IdleProbe:
    """The idle probe (with its fallbacks) for ``session``."""
    from timelygator.watchers.idle_probe import (
        FallbackIdleProbe,
        MacIdleProbe,
        PynputIdleProbe,
        WindowsIdleProbe,
        X11IdleProbe,
    )

    if session.kind is SessionKind.WINDOWS:
        return WindowsIdleProbe()
    if session.kind is SessionKind.MACOS:
        return FallbackIdleProbe(MacIdleProbe(), PynputIdleProbe())
    if session.kind is not SessionKind.WAYLAND:
        return FallbackIdleProbe(X11IdleProbe(environ), PynputIdleProbe())

    from timelygator.watchers.dbus_probes import MutterIdleProbe, ScreenSaverIdleProbe
    from timelygator.watchers.wayland_probes import WaylandIdleProbe

    probes: list[IdleProbe] = []
    if session.desktop is Desktop.GNOME:
        probes.append(MutterIdleProbe(environ))
    probes += [WaylandIdleProbe(environ), ScreenSaverIdleProbe(environ)]
    if session.desktop is not Desktop.GNOME:
        # GNOME's own monitor also answers on GNOME-based desktops that call themselves
        # something else (Budgie, Pantheon…).
        probes.append(MutterIdleProbe(environ))
    env = os.environ if environ is None else environ
    if env.get("DISPLAY"):
        probes.append(PynputIdleProbe(backend=PYNPUT_ON_WAYLAND))
    return FallbackIdleProbe(*probes)


def default_window_probe(environ: Mapping[str, str] | None = None) -> WindowProbe:
    return window_probe_for(detect_session(environ), environ)


def default_idle_probe(environ: Mapping[str, str] | None = None) -> IdleProbe:
    return idle_probe_for(detect_session(environ), environ)


@dataclass(frozen=True, slots=True)
class BackendCheck:
    """One probe tried once: ``ok`` with the backend in use, or the reason it cannot work."""

    role: str  # "window" or "idle"
    ok: bool
    backend: str
    detail: str = ""

    def __str__(self) -> str:
        label = "Active window" if self.role == "window" else "Idle time"
        if self.ok:
            return f"{label}: {self.backend}" + (f" ({self.detail})" if self.detail else "")
        return f"{label}: {self.detail}"


def check_backends(environ: Mapping[str, str] | None = None) -> list[BackendCheck]:
    """Try the window and idle probes of this session once each (every call has a timeout).

    Creates its own probes and closes them; safe beside running watchers, except that on
    KDE the app's own watcher owns the KWin report name (then the check says so).
    """
    session = detect_session(environ)
    window = window_probe_for(session, environ)
    idle = idle_probe_for(session, environ)

    def seen(info: WindowInfo | None) -> str:  # the app, never the title (reports get shared)
        return f"now: {info.app}" if info is not None else "no window has focus"

    return [
        _check("window", window, lambda: seen(window.active_window())),
        _check("idle", idle, lambda: f"idle {idle.seconds_since_input():.0f} s"),
    ]


def _check(role: str, probe: object, read: Callable[[], str]) -> BackendCheck:
    try:
        seen = read()  # first: a chain names its backend once it found one
        return BackendCheck(role, True, backend_of(probe), seen)
    except ProbeUnsupported as exc:
        return BackendCheck(role, False, backend_of(probe), str(exc))
    except Exception as exc:
        return BackendCheck(role, False, backend_of(probe), f"error: {exc}")
    finally:
        close_probe(probe)


def describe_backends(environ: Mapping[str, str] | None = None) -> str:
    """A few lines for people: the session, then what reads the window and the idle time."""
    session = detect_session(environ)
    lines = [f"Session: {session.describe()}"]
    lines += [str(check) for check in check_backends(environ)]
    return "\n".join(lines)
