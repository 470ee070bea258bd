"""Interval arithmetic on event spans (UTC microseconds)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from timelygator.core.event import Event

Span = tuple[int, int]


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same time as ``spans``."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def total_us(spans: Iterable[Span]) -> int:
    """Time covered by ``spans`` (overlaps counted once)."""
    return sum(end - start for start, end in merge_spans(spans))


def not_afk_spans(afk_events: Sequence[Event]) -> list[Span]:
    """Where the user was present according to AFK events (``status`` = ``not-afk``)."""
    return merge_spans(
        (e.start_us, e.end_us) for e in afk_events if e.data.get("status") == "not-afk"
    )


def afk_spans(afk_events: Sequence[Event]) -> list[Span]:
    """Where the user was away according to AFK events."""
    return merge_spans((e.start_us, e.end_us) for e in afk_events if e.data.get("status") == "afk")


def clip_events(events: Sequence[Event], spans: Sequence[Span]) -> list[Event]:
    """The parts of ``events`` inside ``spans`` (merged, sorted), in start order.

    An event crossing several spans becomes several pieces that keep its data and id.
    """
    merged = merge_spans(spans)
    if not merged:
        return []
    out: list[Event] = []
    starts = [s for s, _ in merged]
    for event in sorted(events, key=lambda e: e.start_us):
        index = max(0, bisect.bisect_right(starts, event.start_us) - 1)
        while index < len(merged):
            s, e = merged[index]
            if s >= event.end_us:
                break
            lo, hi = max(s, event.start_us), min(e, event.end_us)
            if hi > lo:
                out.append(Event(lo, hi, event.data, event.id, event.tz_offset_s))
            index += 1
    return out


def clip_to_range(events: Sequence[Event], start_us: int, end_us: int) -> list[Event]:
    """Events cut to ``[start_us, end_us)``; those outside are dropped."""
    out: list[Event] = []
    for e in events:
        lo, hi = max(e.start_us, start_us), min(e.end_us, end_us)
        if hi > lo:
            out.append(Event(lo, hi, e.data, e.id, e.tz_offset_s))
    return out
