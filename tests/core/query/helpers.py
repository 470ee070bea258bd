"""Small builders for query tests: times in whole seconds."""

from __future__ import annotations

from typing import Any

from timelygator.core.event import Event

S = 1_000_000


def ev(start_s: float, end_s: float, **data: Any) -> Event:
    """An event from ``start_s`` to ``end_s`` seconds after the epoch."""
    return Event(round(start_s * S), round(end_s * S), data)


def spans(events: list[Event]) -> list[tuple[float, float]]:
    """(start, end) in seconds."""
    return [(e.start_us / S, e.end_us / S) for e in events]


def spans_data(events: list[Event]) -> list[tuple[float, float, dict[str, Any]]]:
    return [(e.start_us / S, e.end_us / S, e.data) for e in events]
