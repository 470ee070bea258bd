"""Fake clock, probes and sink for watcher tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from timelygator.core.event import Event
from timelygator.core.timeutil import US_PER_S
from timelygator.watchers.probes import BrowserTab, WindowInfo

T0 = 1_700_000_000 * US_PER_S  # 2023-11-14T22:13:20Z


class FakeClock:
    def __init__(self, start_us: int = T0) -> None:
        self.us = start_us

    def now_us(self) -> int:
        return self.us

    def advance(self, seconds: float) -> int:
        self.us += round(seconds * US_PER_S)
        return self.us


@dataclass
class Heartbeat:
    bucket: str
    start_us: int
    end_us: int
    data: dict[str, Any]
    pulsetime_s: float


@dataclass
class RecordingSink:
    buckets: list[tuple[str, str, str, str]] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)
    flushed: int = 0
    got_heartbeat: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def ensure_bucket(self, name: str, type: str, client: str, hostname: str) -> None:
        self.buckets.append((name, type, client, hostname))

    def heartbeat(self, bucket: str, event: Event, pulsetime_s: float) -> None:
        with self.changed:
            self.heartbeats.append(
                Heartbeat(bucket, event.start_us, event.end_us, dict(event.data), pulsetime_s)
            )
            self.changed.notify_all()
        self.got_heartbeat.set()

    def wait_for(self, predicate: Callable[[Heartbeat], bool], timeout_s: float) -> Heartbeat:
        """Wait until a heartbeat satisfies ``predicate`` and return it (fails on timeout)."""
        found: list[Heartbeat] = []

        def check() -> bool:
            found[:] = [h for h in self.heartbeats if predicate(h)]
            return bool(found)

        with self.changed:
            assert self.changed.wait_for(check, timeout_s), "no matching heartbeat in time"
        return found[0]

    def flush(self) -> None:
        self.flushed += 1

    def close(self) -> None:
        pass

    def simple(self) -> list[tuple[str, int, int, dict[str, Any], float]]:
        """(bucket, start relative to T0 in s, duration in s, data, pulsetime) tuples."""
        return [
            (
                h.bucket,
                (h.start_us - T0) // US_PER_S,
                (h.end_us - h.start_us) // US_PER_S,
                h.data,
                h.pulsetime_s,
            )
            for h in self.heartbeats
        ]


class FakeWindowProbe:
    def __init__(self, app: str = "code", title: str = "main.py - editor") -> None:
        self.info: WindowInfo | None = WindowInfo(app, title)
        self.error: BaseException | None = None
        self.calls = 0

    def set(self, app: str, title: str, is_private: bool | None = None) -> None:
        self.info = WindowInfo(app, title, is_private=is_private)

    def active_window(self) -> WindowInfo | None:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.info


class FakeIdleProbe:
    def __init__(self, idle_s: float = 0.0) -> None:
        self.idle_s = idle_s

    def seconds_since_input(self) -> float:
        return self.idle_s


class FakeHistory:
    """Browser history probe: title -> url for the app named 'chrome'."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages

    def browser_for_app(self, app: str) -> str | None:
        return "chrome" if app == "chrome" else None

    def resolve(self, browser: str, window_title: str) -> BrowserTab | None:
        title = window_title.removesuffix(" - Google Chrome")
        url = self.pages.get(title)
        return BrowserTab(browser, url, title) if url else None
