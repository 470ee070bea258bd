"""Replacing a range of a bucket's events: the one rule that makes the sync idempotent.

A *range* is a span of start times ``[start, end)`` (an end may be open). Replacing a range
with a list of events makes the bucket's events that start in it exactly that list:

- an incoming event equal to a stored one in start, end, offset and data changes nothing;
- one equal in start and data but not in end (a heartbeat grew it after it was sent) or
  offset updates that stored event in place, keeping its id;
- the others are inserted, and the stored events of the range that are not in the list are
  deleted (an event deleted, excluded or redacted on the sending side).

So sending the same range twice changes nothing the second time, a sync that stopped half
way is completed by sending the range again, and a range sent again after its last event
grew updates that event instead of adding another. Both sides use it: the server for what a
device pushes (``POST /api/0/sync/buckets/{id}``), a device for what it pulls.

Ranges are cut into pages (``next_page``) so that a year of history travels in requests of
a bounded size; a page never splits the events that share one start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from timelygator.core.errors import ValidationError
from timelygator.core.event import Event

# Reads a bucket's events that start in [start, end) (None: open), oldest first, at most
# ``limit`` of them (None: all).
ReadStarting = Callable[[int | None, int | None, int | None], list[Event]]


@dataclass(frozen=True, slots=True)
class Range:
    """Start times ``[start_us, end_us)``; None is an open end."""

    start_us: int | None
    end_us: int | None

    def __post_init__(self) -> None:
        if self.start_us is not None and self.end_us is not None and self.end_us < self.start_us:
            raise ValidationError("A sync range must not end before it starts.")

    def holds(self, start_us: int) -> bool:
        """Whether an event starting at ``start_us`` belongs to this range."""
        return (self.start_us is None or start_us >= self.start_us) and (
            self.end_us is None or start_us < self.end_us
        )


@dataclass(slots=True)
class RangePlan:
    """What replacing a range changes: new events, stored events to update (carrying the
    stored id), stored ids to delete, and how many stayed as they were."""

    inserts: list[Event] = field(default_factory=list)
    updates: list[Event] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return len(self.inserts) + len(self.updates) + len(self.deletes)


def data_text(data: dict[str, Any]) -> str:
    """An event's data as canonical JSON (key order does not matter)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def check_in_range(span: Range, events: list[Event]) -> None:
    """ValidationError when an event does not start within ``span`` (nothing is stored)."""
    for event in events:
        if not span.holds(event.start_us):
            raise ValidationError(
                "Every event of a sync range must start within the range; one does not."
            )


def plan_replace(stored: list[Event], incoming: list[Event]) -> RangePlan:
    """How to make ``stored`` (a range's events, with ids) equal ``incoming`` (ids ignored).

    Events are paired by start and data; among equals, exact matches (same end and offset)
    pair first, so sending a list again pairs every event with itself.
    """
    plan = RangePlan()
    by_identity: dict[tuple[int, str], list[Event]] = {}
    for event in stored:
        by_identity.setdefault((event.start_us, data_text(event.data)), []).append(event)
    unmatched: list[tuple[Event, list[Event]]] = []
    for event in incoming:
        group = by_identity.get((event.start_us, data_text(event.data)))
        if not group:
            plan.inserts.append(_fresh(event))
            continue
        exact = next(
            (s for s in group if s.end_us == event.end_us and s.tz_offset_s == event.tz_offset_s),
            None,
        )
        if exact is not None:
            group.remove(exact)
            plan.unchanged += 1
        else:
            unmatched.append((event, group))
    for event, group in unmatched:
        if not group:
            plan.inserts.append(_fresh(event))
            continue
        plan.updates.append(_fresh(event, group.pop(0).id))
    for group in by_identity.values():
        plan.deletes.extend(int(e.id) for e in group if e.id is not None)
    return plan


def _fresh(event: Event, event_id: int | None = None) -> Event:
    return Event(event.start_us, event.end_us, event.data, event_id, event.tz_offset_s)


def next_page(read: ReadStarting, since: int | None, limit: int) -> tuple[list[Event], int | None]:
    """The events of the page that starts at ``since`` and where the next one starts.

    At most ``limit`` events (more only when more than ``limit`` share one start: a start's
    events always travel together); the page is the range ``[since, next)``, and the next
    start is None when the page reaches the end of the bucket.
    """
    events = read(since, None, limit + 1)
    if len(events) <= limit:
        return events, None
    until = events[limit].start_us
    page = [e for e in events[:limit] if e.start_us < until]
    if page:
        return page, until
    return read(until, until + 1, None), until + 1


def fit(
    events: list[Event], until: int | None, size: Callable[[Event], int], budget: int
) -> tuple[list[Event], int | None]:
    """A page cut down to ``budget`` (by ``size``), and where the rest starts: the first
    events whose sizes add up to at most the budget (at least one start's events), never
    splitting the events of one start."""
    total = 0
    for index, event in enumerate(events):
        total += size(event)
        if total <= budget or index == 0:
            continue
        cut = index
        while cut > 0 and events[cut - 1].start_us == events[cut].start_us:
            cut -= 1
        if cut == 0:
            return events, until  # one start's events: they travel together
        return events[:cut], events[cut].start_us
    return events, until
