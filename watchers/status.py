"""A watcher's state as the GUI, the CLI and logs see it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class WatcherState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    UNSUPPORTED = "unsupported"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class WatcherStatus:
    """``state`` plus a human-readable ``detail`` (the reason or the error message)."""

    state: WatcherState
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.state.value}: {self.detail}" if self.detail else self.state.value


# Called as on_status(watcher_name, status) from the watcher's thread.
StatusCallback = Callable[[str, WatcherStatus], None]


#: How each watcher is named for people (settings, tray, diagnostics).
WATCHER_LABELS = {"window": "Active window", "afk": "Away detection", "web": "Browser tabs"}


def ordered_watchers(names: Iterable[str]) -> list[str]:
    """Watcher names in the order people see them (window, afk, web), unknown ones last."""
    names = list(names)
    return [n for n in WATCHER_LABELS if n in names] + [n for n in names if n not in WATCHER_LABELS]


def status_line(name: str, status: WatcherStatus) -> str:
    """``Active window: running (sway IPC)``; a reason is given in full."""
    label = WATCHER_LABELS.get(name, name)
    if status.state is WatcherState.RUNNING and status.detail:
        return f"{label}: running ({status.detail})"
    if status.state is WatcherState.UNSUPPORTED:
        reason = status.detail.removeprefix("unsupported: ")
        return f"{label}: not recorded — {reason}" if reason else f"{label}: not recorded"
    return f"{label}: {status}"
