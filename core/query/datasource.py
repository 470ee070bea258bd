"""Where queries read events from: a small protocol, and an in-memory implementation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from timelygator.core.errors import NotFoundError
from timelygator.core.event import Event


class QueryDataSource(Protocol):
    """Read access to one user's buckets, as the query engine needs it."""

    def bucket_names(self) -> list[str]:
        """This user's bucket ids."""
        ...

    def bucket_events(
        self, name: str, start_us: int, end_us: int, limit: int | None = None
    ) -> list[Event]:
        """Events overlapping [start, end), clipped to it, newest first.

        Raises NotFoundError for an unknown bucket.
        """
        ...

    def bucket_event_count(self, name: str, start_us: int, end_us: int) -> int:
        """How many events overlap [start, end)."""
        ...

    def bucket_hostname(self, name: str) -> str:
        """The hostname the bucket was created for."""
        ...


class MemoryDataSource:
    """Buckets held in memory: ``{name: [Event, ...]}`` (for tests and scripts).

    Returned events are new objects; their ``data`` dicts are shared with the stored ones,
    which query code never mutates.
    """

    def __init__(
        self,
        buckets: Mapping[str, list[Event]],
        hostnames: Mapping[str, str] | None = None,
    ) -> None:
        self._buckets = {name: list(events) for name, events in buckets.items()}
        self._hostnames = dict(hostnames or {})

    def bucket_names(self) -> list[str]:
        return list(self._buckets)

    def _events(self, name: str) -> list[Event]:
        try:
            return self._buckets[name]
        except KeyError:
            raise NotFoundError(f"There is no bucket named {name!r}.") from None

    def bucket_events(
        self, name: str, start_us: int, end_us: int, limit: int | None = None
    ) -> list[Event]:
        found = [
            Event(max(e.start_us, start_us), min(e.end_us, end_us), e.data, e.id, e.tz_offset_s)
            for e in self._events(name)
            if _overlaps(e, start_us, end_us)
        ]
        found.sort(key=lambda e: e.start_us, reverse=True)
        if limit is not None and limit >= 0:
            found = found[:limit]
        return found

    def bucket_event_count(self, name: str, start_us: int, end_us: int) -> int:
        return sum(1 for e in self._events(name) if _overlaps(e, start_us, end_us))

    def bucket_hostname(self, name: str) -> str:
        self._events(name)
        return self._hostnames.get(name, "unknown")


def _overlaps(event: Event, start_us: int, end_us: int) -> bool:
    """Overlap with [start, end); a zero-length event counts when it lies inside."""
    if event.start_us == event.end_us:
        return start_us <= event.start_us < end_us
    return event.start_us < end_us and event.end_us > start_us
