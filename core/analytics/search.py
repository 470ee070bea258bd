"""Search events by text or regular expression across buckets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from timelygator.core.event import Event
from timelygator.core.patterns import UserPattern, compile_pattern, escape


@dataclass(slots=True)
class SearchResult:
    """Matching events (bucket name, event), newest first, with totals."""

    matches: list[tuple[str, Event]] = field(default_factory=list)
    total_us: int = 0
    by_bucket: dict[str, int] = field(default_factory=dict)  # bucket -> us
    truncated: bool = False

    @property
    def count(self) -> int:
        return len(self.matches)


def compile_query(text: str, *, regex: bool, ignore_case: bool = True) -> UserPattern:
    """The pattern for a search box: plain text (escaped) or a regex (validated, run in
    linear time: ``core.patterns``)."""
    return compile_pattern(text if regex else escape(text), ignore_case=ignore_case)


def search_events(
    events_by_bucket: Mapping[str, Iterable[Event]],
    pattern: UserPattern,
    *,
    keys: Iterable[str] | None = None,
    limit: int = 5000,
) -> SearchResult:
    """Events whose string data values (or only ``keys``) match ``pattern``.

    Totals count every match; at most ``limit`` matches are listed (``truncated`` says so).
    """
    wanted = tuple(keys) if keys is not None else None
    result = SearchResult()
    per_bucket: dict[str, int] = defaultdict(int)
    for bucket, events in events_by_bucket.items():
        for event in events:
            values = (
                [v for v in event.data.values() if isinstance(v, str)]
                if wanted is None
                else [v for k in wanted if isinstance(v := event.data.get(k), str)]
            )
            if any(pattern.search(v) for v in values):
                duration = event.end_us - event.start_us
                result.total_us += duration
                per_bucket[bucket] += duration
                if len(result.matches) < limit:
                    result.matches.append((bucket, event))
                else:
                    result.truncated = True
    result.matches.sort(key=lambda m: -m[1].start_us)
    result.by_bucket = dict(per_bucket)
    return result
