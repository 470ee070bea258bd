"""Search events by text or regular expression across buckets."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from core.errors import ValidationError
from core.event import Event


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


def compile_query(text: str, *, regex: bool, ignore_case: bool = True) -> re.Pattern[str]:
    """The pattern for a search box: plain text (escaped) or a regex (validated)."""
    flags = re.IGNORECASE if ignore_case else 0
    try:
        return re.compile(text if regex else re.escape(text), flags)
    except re.error as exc:
        raise ValidationError(f"Invalid regular expression {text!r}: {exc}.") from None


def search_events(
    events_by_bucket: Mapping[str, Iterable[Event]],
    pattern: re.Pattern[str],
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
