"""Daily totals over weeks and months, stacked by top-level category."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from timelygator.core.analytics.summary import Classifier, LocalOffset, system_offset_s
from timelygator.core.event import Event

US_PER_DAY = 86_400_000_000


@dataclass(slots=True)
class DailyTotals:
    """Active time per local day and top-level category."""

    days: list[date] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # largest total first
    totals: dict[str, list[int]] = field(default_factory=dict)  # category -> us per day

    def day_total(self, index: int) -> int:
        return sum(values[index] for values in self.totals.values())

    def average_us(self, *, active_days_only: bool = True) -> float:
        """Mean active time per day (over days with any activity by default)."""
        sums = [self.day_total(i) for i in range(len(self.days))]
        if active_days_only:
            sums = [s for s in sums if s > 0]
        return sum(sums) / len(sums) if sums else 0.0


def daily_totals(
    active_events: Sequence[tuple[Event, tuple[str, ...]]] | Sequence[Event],
    first_day: date,
    last_day: date,
    classifier: Classifier | None = None,
    *,
    day_start_hour: int = 0,
    local_offset: LocalOffset = system_offset_s,
) -> DailyTotals:
    """Sum active events per local day (days start at ``day_start_hour``) and category.

    ``active_events`` is either ``(event, path)`` pairs (already categorized) or events
    with a ``classifier``. Events crossing a day boundary are split.
    """
    ndays = (last_day - first_day).days + 1
    out = DailyTotals(days=[first_day + timedelta(days=i) for i in range(max(0, ndays))])
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * len(out.days))
    origin = first_day.toordinal()
    shift_day = day_start_hour * 3_600_000_000
    for item in active_events:
        if isinstance(item, Event):
            event = item
            path = classifier.categorize(event.data) if classifier else ("Uncategorized",)
        else:
            event, path = item
        offset = event.tz_offset_s
        if offset is None:
            offset = local_offset(event.start_us)
        shift = offset * 1_000_000 - shift_day
        start, end = event.start_us + shift, event.end_us + shift
        while start < end:
            boundary = (start // US_PER_DAY + 1) * US_PER_DAY
            piece = min(boundary, end) - start
            index = start // US_PER_DAY + date(1970, 1, 1).toordinal() - origin
            if 0 <= index < len(out.days):
                sums[path[0]][index] += piece
            start += piece
    out.categories = sorted(sums, key=lambda c: -sum(sums[c]))
    out.totals = {c: sums[c] for c in out.categories}
    return out
