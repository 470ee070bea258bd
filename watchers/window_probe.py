"""The real window probe, on top of pywinctl (X11, Windows, macOS).

pywinctl is imported lazily: on Linux importing it opens the X display at import time and
calls ``sys.exit(1)`` when ``xrandr``/``xset`` are missing, so the import is guarded and
turned into :class:`ProbeUnsupported` with what to install. Wayland sessions without a
usable X11 display are reported as unsupported rather than recording wrong data.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from timelygator.watchers.probes import UNKNOWN, ProbeUnsupported, WindowInfo

_PRIVATE_TITLE = re.compile(
    r"(\(Incognito\)|\bIncognito\b$|Private Browsing|\bInPrivate\b|\(Private\)$)", re.IGNORECASE
)


def title_looks_private(title: str) -> bool:
    """Browsers mark incognito/private windows in the window title."""
    return bool(_PRIVATE_TITLE.search(title))


def x11_unsupported_reason(environ: Mapping[str, str] | None = None) -> str | None:
    """Why an X11-based probe cannot work in this session, or ``None`` when it can try."""
    env = os.environ if environ is None else environ
    if sys.platform != "linux":
        return None
    display = env.get("DISPLAY", "")
    if env.get("WAYLAND_DISPLAY") and not display:
        return (
            "unsupported: Wayland session without X11 (XWayland); the focused window "
            "cannot be read. Log in to an X11 session to track windows."
        )
    if not display:
        return "unsupported: no X11 display (DISPLAY is not set)"
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        # XWayland is there, but it only sees X11 apps: native Wayland windows would be
        # missing or wrong. Refuse rather than record wrong data.
        return (
            "unsupported: Wayland session; XWayland only sees X11 applications, so the "
            "focused window would often be wrong. Log in to an X11 session to track windows."
        )
    return None


def _import_pywinctl() -> ModuleType:
    missing = [tool for tool in ("xrandr", "xset") if shutil.which(tool) is None]
    if sys.platform == "linux" and missing:
        raise ProbeUnsupported(
            f"unsupported: install x11-xserver-utils ({', '.join(missing)} missing)"
        )
    try:
        import pywinctl
    except SystemExit:
        raise ProbeUnsupported("unsupported: install x11-xserver-utils") from None
    except Exception as exc:
        raise ProbeUnsupported(f"unsupported: cannot load pywinctl ({exc})") from None
    return pywinctl


def _linux_process_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


_PYWINCTL_LOCK = threading.Lock()


class PyWinCtlWindowProbe:
    """Reads the focused window through pywinctl."""

    backend = "X11 (EWMH, via pywinctl)" if sys.platform == "linux" else "pywinctl"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ
        self._pwc: ModuleType | None = None

    def _module(self) -> ModuleType:
        if self._pwc is None:
            reason = x11_unsupported_reason(self._environ)
            if reason:
                raise ProbeUnsupported(reason)
            self._pwc = _import_pywinctl()
        return self._pwc

    def active_window(self) -> WindowInfo | None:
        # pywinctl talks to X11 through one shared Xlib connection, which is not
        # thread-safe: the window and web watchers poll from different threads.
        with _PYWINCTL_LOCK:
            return self._read_active_window()

    def _read_active_window(self) -> WindowInfo | None:
        window: Any = self._module().getActiveWindow()
        if window is None:
            return None
        title = _safe_str(lambda: window.title) or UNKNOWN
        pid = _window_pid(window)
        app: str | None = None
        if sys.platform == "linux":
            # Never pywinctl's getAppName() here: it runs `ps` on every call (and prints
            # errors for windows without _NET_WM_PID).
            if pid is not None:
                app = _linux_process_name(pid)
            if app is None:
                app = _x11_wm_class(window)
        else:
            app = _safe_str(window.getAppName)
        return WindowInfo(
            app=app or UNKNOWN, title=title, pid=pid, is_private=title_looks_private(title)
        )


def _safe_str(getter: Any) -> str | None:
    try:
        value = getter()
    except Exception:
        return None
    return value if isinstance(value, str) else None


def _x11_wm_class(window: Any) -> str | None:
    """The WM_CLASS class name (e.g. ``Firefox``) of pywinctl's underlying Xlib window."""
    xwin = getattr(window, "_xWin", None)
    try:
        wm_class = xwin.get_wm_class() if xwin is not None else None
    except Exception:
        return None
    if wm_class and len(wm_class) == 2 and isinstance(wm_class[1], str):
        return wm_class[1] or None
    return None


def _window_pid(window: Any) -> int | None:
    for attr in ("getPid",):
        getter = getattr(window, attr, None)
        if callable(getter):
            try:
                pid = getter()
                return int(pid) if pid else None
            except Exception:
                return None
    inner = getattr(window, "_win", None)  # pywinctl's EWMH wrapper on Linux
    getter = getattr(inner, "getPid", None)
    if callable(getter):
        try:
            pid = getter()
            return int(pid) if pid else None
        except Exception:
            return None
    return None


def default_window_probe(environ: Mapping[str, str] | None = None) -> Any:
    """The window probe for this OS/session (see watchers.backends)."""
    from timelygator.watchers.backends import default_window_probe as for_session

    return for_session(environ)
