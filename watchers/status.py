"""A watcher's state as the GUI, the CLI and logs see it."""

from __future__ import annotations

from collections.abc import Callable
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
