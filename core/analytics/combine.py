"""Adding up per-day figures: a range's summary and its daily totals by top category."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from timelygator.core.analytics.daystats import DayStats, DayTotals
from timelygator.core.analytics.localdays import (
    US_PER_DAY,
    US_PER_HOUR,
    AnalyticsSettings,
    OffsetResolver,
    day_bounds,
    day_date,
    day_number,
)
from timelygator.core.analytics.summary import Summary
from timelygator.core.analytics.tree import category_tree, flatten
from timelygator.core.analytics.trends import DailyTotals


def daily(days: Sequence[DayTotals], first: date) -> DailyTotals:
    """Active time per day, stacked by top-level category (largest total first)."""
    out = DailyTotals(days=[day_date(d.day) for d in days])
    sums: dict[str, list[int]] = {}
    for index, day in enumerate(days):
        for path, us in day.categories.items():
            row = sums.get(path[0])
            if row is None:
                row = sums[path[0]] = [0] * len(days)
            row[index] += us
    out.categories = sorted(sums, key=lambda c: (-sum(sums[c]), c))
    out.totals = {c: sums[c] for c in out.categories}
    return out


def _ranked(totals: dict[Any, int]) -> list[tuple[Any, int]]:
    """Largest first, ties by key (two sorts in C: by key, then stably by time)."""
    out = sorted(kv for kv in totals.items() if kv[1] > 0)
    out.sort(key=itemgetter(1), reverse=True)
    return out


def _add(into: dict[Any, int], more: dict[Any, int]) -> None:
    if not into:
        into.update(more)
        return
    get = into.get
    for key, us in more.items():
        into[key] = get(key, 0) + us


Breakdowns = tuple[list[tuple[str, int]], ...]  # apps, titles, domains, urls: ranked

# The ranked breakdowns of the last few ranges, by the identity of the days' dicts. After a
# category rule change, each day's new statistics share their app, title, domain and URL
# dicts with the earlier ones (they depend on no rule), so a month's ~40,000 titles are not
# added up and sorted again. The entries hold the dicts, so an identity is never reused.
_RECENT: OrderedDict[tuple[int, ...], tuple[list[dict[str, int]], Breakdowns]] = OrderedDict()
_RECENT_SIZE = 4
_RECENT_LOCK = threading.Lock()


def _breakdowns(days: Sequence[DayStats]) -> Breakdowns:
    """The days' app, title, domain and URL totals, each ranked."""
    held = [b for d in days for b in (d.apps, d.titles, d.domains, d.urls)]
    key = tuple(map(id, held))
    with _RECENT_LOCK:
        found = _RECENT.get(key)
        if found is not None:
            _RECENT.move_to_end(key)
            return found[1]
    sums: list[dict[str, int]] = [{}, {}, {}, {}]
    for day in days:
        for into, more in zip(sums, (day.apps, day.titles, day.domains, day.urls), strict=True):
            _add(into, more)
    ranked = tuple(_ranked(totals) for totals in sums)
    with _RECENT_LOCK:
        _RECENT[key] = (held, ranked)
        while len(_RECENT) > _RECENT_SIZE:
            _RECENT.popitem(last=False)
    return ranked


def combine(
    days: Sequence[DayStats], first: date, last: date, settings: AnalyticsSettings
) -> Summary:
    """The summary of local days ``first..last`` from each day's statistics."""
    offsets = OffsetResolver()
    d0, d1 = day_number(first), day_number(last)
    start_us = day_bounds(d0, offsets(d0 * US_PER_DAY), settings.day_start_s)[0]
    end_us = day_bounds(d1, offsets(d1 * US_PER_DAY), settings.day_start_s)[1]
    out = Summary(start_us=start_us, end_us=end_us)
    leaves: dict[tuple[str, ...], int] = {}
    hourly: dict[str, list[int]] = {}
    weighted = 0.0
    for day in days:
        out.active_us += day.active_us
        out.afk_us += day.afk_us
        weighted += day.weighted
        _add(leaves, day.categories)
        for top, row in day.hourly.items():
            into = hourly.setdefault(top, [0] * 24)
            for hour in range(24):
                into[hour] += row[hour]
        out.focus_sessions.extend(day.focus)
        out.context_switches += day.switches
        out.gaps.extend(day.gaps)
    # Lists shared with other summaries of the same days: read, never changed in place.
    out.apps, out.titles, out.domains, out.urls = _breakdowns(days)
    out.category_tree = category_tree(leaves)
    out.categories = sorted(flatten(out.category_tree), key=lambda kv: (-kv[1], kv[0]))
    out.top_categories = [(node.name, node.total_us) for node in out.category_tree]
    out.hourly = hourly
    out.productivity = weighted / out.active_us if out.active_us else None
    out.focus_us = sum(s.focus_us for s in out.focus_sessions)
    out.switches_per_hour = (
        out.context_switches / (out.active_us / US_PER_HOUR) if out.active_us else None
    )
    out.untracked_us = sum(e - s for s, e in out.gaps)
    out.daily = daily(days, first)
    return out
