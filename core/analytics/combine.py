"""Adding up per-day figures: a range's summary and its daily totals by top category."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
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
    return sorted(((k, v) for k, v in totals.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))


def _add(into: dict[Any, int], more: dict[Any, int]) -> None:
    for key, us in more.items():
        into[key] = into.get(key, 0) + us


def combine(
    days: Sequence[DayStats], first: date, last: date, settings: AnalyticsSettings
) -> Summary:
    """The summary of local days ``first..last`` from each day's statistics."""
    offsets = OffsetResolver()
    d0, d1 = day_number(first), day_number(last)
    start_us = day_bounds(d0, offsets(d0 * US_PER_DAY), settings.day_start_s)[0]
    end_us = day_bounds(d1, offsets(d1 * US_PER_DAY), settings.day_start_s)[1]
    out = Summary(start_us=start_us, end_us=end_us)
    apps: dict[str, int] = {}
    titles: dict[str, int] = {}
    domains: dict[str, int] = {}
    urls: dict[str, int] = {}
    leaves: dict[tuple[str, ...], int] = {}
    hourly: dict[str, list[int]] = {}
    weighted = 0.0
    for day in days:
        out.active_us += day.active_us
        out.afk_us += day.afk_us
        weighted += day.weighted
        _add(apps, day.apps)
        _add(titles, day.titles)
        _add(domains, day.domains)
        _add(urls, day.urls)
        _add(leaves, day.categories)
        for top, row in day.hourly.items():
            into = hourly.setdefault(top, [0] * 24)
            for hour in range(24):
                into[hour] += row[hour]
        out.focus_sessions.extend(day.focus)
        out.context_switches += day.switches
        out.gaps.extend(day.gaps)
    out.apps = _ranked(apps)
    out.titles = _ranked(titles)
    out.domains = _ranked(domains)
    out.urls = _ranked(urls)
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
