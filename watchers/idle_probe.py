"""Real idle probes: seconds since the last keyboard/mouse input.

X11 via the MIT-SCREEN-SAVER extension (python-xlib), Windows via GetLastInputInfo, macOS
via ``ioreg`` HIDIdleTime, and a pynput listener as the fallback elsewhere. Wayland's
sources live in ``wayland_probes.py`` and ``dbus_probes.py``; ``backends.py`` picks.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import subprocess
import threading
import time
from collections.abc import Mapping
from typing import Any

from timelygator.watchers.probes import IdleProbe, ProbeUnsupported, close_probe
from timelygator.watchers.window_probe import x11_unsupported_reason


class X11IdleProbe:
    """XScreenSaverQueryInfo's ``idle`` (milliseconds) through python-xlib."""

    backend = "X11 (MIT-SCREEN-SAVER)"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ
        self._display: Any = None
        self._root: Any = None

    def _connect(self) -> None:
        reason = x11_unsupported_reason(self._environ)
        if reason:
            raise ProbeUnsupported(reason)
        try:
            from Xlib import display as xdisplay
        except ImportError:
            raise ProbeUnsupported("unsupported: python-xlib is not installed") from None
        env = os.environ if self._environ is None else self._environ
        try:
            disp = xdisplay.Display(env.get("DISPLAY") or None)
        except Exception as exc:
            raise ProbeUnsupported(f"unsupported: cannot open the X11 display ({exc})") from None
        if not disp.has_extension("MIT-SCREEN-SAVER"):
            disp.close()
            raise ProbeUnsupported("unsupported: the X server lacks the MIT-SCREEN-SAVER extension")
        self._display = disp
        self._root = disp.screen().root

    def seconds_since_input(self) -> float:
        if self._display is None:
            self._connect()
        try:
            return float(self._root.screensaver_query_info().idle) / 1000.0
        except Exception:
            self.close()  # reconnect next time (X server restarted...)
            raise

    def close(self) -> None:
        if self._display is not None:
            with contextlib.suppress(Exception):
                self._display.close()
        self._display = None
        self._root = None


class WindowsIdleProbe:
    """GetLastInputInfo (ms tick of the last input) against GetTickCount."""

    backend = "Windows (GetLastInputInfo)"

    def seconds_since_input(self) -> float:
        class LastInputInfo(ctypes.Structure):
            _fields_ = [("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint)]

        windll: Any = getattr(ctypes, "windll", None)
        if windll is None:
            raise ProbeUnsupported("unsupported: not Windows")
        info = LastInputInfo()
        info.cbSize = ctypes.sizeof(info)
        if not windll.user32.GetLastInputInfo(ctypes.byref(info)):
            raise OSError("GetLastInputInfo failed")
        now_ms = windll.kernel32.GetTickCount() & 0xFFFFFFFF
        return float((now_ms - info.dwTime) & 0xFFFFFFFF) / 1000.0


_HID_IDLE = re.compile(r'"HIDIdleTime"\s*=\s*(\d+)')


class MacIdleProbe:
    """``ioreg -c IOHIDSystem`` HIDIdleTime (nanoseconds)."""

    backend = "macOS (HIDIdleTime)"

    def seconds_since_input(self) -> float:
        out = subprocess.run(
            ["ioreg", "-c", "IOHIDSystem", "-d", "4"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
        match = _HID_IDLE.search(out)
        if match is None:
            raise ProbeUnsupported("unsupported: ioreg reports no HIDIdleTime")
        return int(match.group(1)) / 1e9


class PynputIdleProbe:
    """Fallback: listens to keyboard and mouse with pynput and remembers the last input."""

    def __init__(self, backend: str = "pynput (keyboard and mouse listener)") -> None:
        self.backend = backend
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._listeners: list[Any] = []

    def _touch(self, *_args: Any) -> None:
        with self._lock:
            self._last = time.monotonic()

    def _start(self) -> None:
        try:
            from pynput import keyboard, mouse
        except Exception as exc:
            raise ProbeUnsupported(f"unsupported: pynput cannot listen here ({exc})") from None
        self._listeners = [
            keyboard.Listener(on_press=self._touch, on_release=self._touch),
            mouse.Listener(on_move=self._touch, on_click=self._touch, on_scroll=self._touch),
        ]
        for listener in self._listeners:
            listener.daemon = True
            listener.start()

    def seconds_since_input(self) -> float:
        if not self._listeners:
            self._start()
        with self._lock:
            return max(0.0, time.monotonic() - self._last)

    def close(self) -> None:
        for listener in self._listeners:
            listener.stop()
        self._listeners = []


class FallbackIdleProbe:
    """Tries idle sources in order; one that is unsupported is dropped for the next.

    ``backend`` names the source in use and, once it had to fall back, why the better
    ones did not work.
    """

    def __init__(self, *probes: IdleProbe) -> None:
        if not probes:
            raise ValueError("at least one idle probe")
        self._probes = list(probes)
        self._dropped: list[IdleProbe] = []
        self._reasons: list[str] = []
        self._lock = threading.Lock()

    @property
    def candidates(self) -> tuple[IdleProbe, ...]:
        """The sources still to try, the one in use first."""
        with self._lock:
            return tuple(self._probes)

    @property
    def backend(self) -> str:
        with self._lock:
            probe = self._probes[0] if self._probes else None
            reasons = list(self._reasons)
        name = str(getattr(probe, "backend", "") or "") if probe is not None else ""
        if name and reasons:
            return f"{name}; {'; '.join(reasons)}"
        return name

    def seconds_since_input(self) -> float:
        while True:
            with self._lock:
                if not self._probes:
                    break
                probe = self._probes[0]
            try:
                return probe.seconds_since_input()
            except ProbeUnsupported as exc:
                with self._lock:
                    if self._probes and self._probes[0] is probe:
                        reason = str(exc).removeprefix("unsupported: ")
                        if reason not in self._reasons:  # two sources can lack the same bus
                            self._reasons.append(reason)
                        self._dropped.append(self._probes.pop(0))
                close_probe(probe)
        raise ProbeUnsupported("unsupported: " + ("; ".join(self._reasons) or "no idle source"))

    def close(self) -> None:
        with self._lock:
            probes = [*self._probes, *self._dropped]
        for probe in probes:
            close_probe(probe)


def default_idle_probe(environ: Mapping[str, str] | None = None) -> IdleProbe:
    """The best idle source for this OS/session, with fallbacks (see watchers.backends)."""
    from timelygator.watchers.backends import default_idle_probe as for_session

    return for_session(environ)
