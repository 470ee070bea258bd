"""What a watcher asks the operating system, as small interfaces.

Real implementations live in ``window_probe.py``, ``idle_probe.py`` and ``browser_history.py``;
tests pass fakes. A probe that cannot work on this system raises :class:`ProbeUnsupported`
with a reason a user can act on; any other exception is a (possibly temporary) failure that
the supervisor handles by restarting the watcher.

Optional parts a probe may have: ``backend`` (a short name of what it reads from, shown in
the watcher's status, e.g. ``"sway IPC"``) and ``close()`` (releases connections and
threads; the watcher set calls it when it stops).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

UNKNOWN = "unknown"


class ProbeUnsupported(Exception):
    """This probe cannot work here (missing tool, Wayland session, no display...)."""


@dataclass(frozen=True, slots=True)
class WindowInfo:
    """The focused window. ``app``/``title`` are ``"unknown"`` when the OS would not say."""

    app: str
    title: str
    pid: int | None = None
    is_private: bool | None = None


@dataclass(frozen=True, slots=True)
class BrowserTab:
    """A tab resolved from a browser's history (or reported by the extension)."""

    browser: str
    url: str
    title: str
    incognito: bool = False


class WindowProbe(Protocol):
    def active_window(self) -> WindowInfo | None:
        """The focused window, or ``None`` when nothing has focus."""
        ...


class IdleProbe(Protocol):
    def seconds_since_input(self) -> float:
        """Seconds since the last keyboard/mouse input."""
        ...


class BrowserHistoryProbe(Protocol):
    def browser_for_app(self, app: str) -> str | None:
        """The browser key (``chrome``, ``firefox``...) for an app name, or ``None``."""
        ...

    def resolve(self, browser: str, window_title: str) -> BrowserTab | None:
        """The tab whose page title matches the window title, from recent history."""
        ...


def backend_of(probe: object) -> str:
    """The name of the backend a probe reads from ("" for probes that do not say)."""
    return str(getattr(probe, "backend", "") or "")


def close_probe(probe: object) -> None:
    """Release what a probe holds (connections, threads); probes without ``close`` hold none."""
    close = getattr(probe, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()
