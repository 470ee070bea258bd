"""Local days: which day a moment belongs to, for a configurable day start and week start.

A day is numbered by its local date (days since 1970-01-01). Each event carries the UTC
offset it was captured with (``tz_offset_s``), so a traveller's days and the days around a
DST change stay right; events without one fall back to the system time zone at that moment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

from timelygator.core.timeutil import DEFAULT_DAY_START_S as DEFAULT_DAY_START_S  # re-exported

US_PER_S = 1_000_000
US_PER_HOUR = 3_600 * US_PER_S
US_PER_DAY = 86_400 * US_PER_S
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Real UTC offsets lie within -12 h .. +14 h; reads around a day use this margin.
MAX_OFFSET_US = 14 * US_PER_HOUR


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """User preferences that shape every summary."""

    day_start_s: int = DEFAULT_DAY_START_S  # local days begin at 04:00
    week_start: int = 0  # 0 = Monday ... 6 = Sunday
    focus_min_s: int = 25 * 60  # a focus session lasts at least this long
    focus_grace_s: int = 120  # switching away for up to this long does not end a session
    productive_score: float = 1.0  # categories scoring at least this are "productive"
    gap_min_s: int = 5 * 60  # untracked stretches shorter than this are not reported
    hosts: tuple[str, ...] = ()  # only these hosts' buckets (empty: every host, merged)


def day_number(day: date) -> int:
    return day.toordinal() - EPOCH_ORDINAL


def day_date(number: int) -> date:
    return date.fromordinal(number + EPOCH_ORDINAL)


class OffsetResolver:
    """The system zone's UTC offset at a moment (memoized per hour), for events without one."""

    def __init__(self) -> None:
        self._memo: dict[int, int] = {}

    def __call__(self, us: int) -> int:
        hour = us // US_PER_HOUR
        found = self._memo.get(hour)
        if found is None:
            found = time.localtime(hour * 3600).tm_gmtoff
            self._memo[hour] = found
        return found


def local_today(now_us: int, day_start_s: int) -> date:
    """The local date whose day ``now_us`` falls in (system zone), days starting at
    ``day_start_s``: at 02:00 with days starting at 04:00, it is still yesterday."""
    offset = time.localtime(now_us // US_PER_S).tm_gmtoff
    return day_date(local_day(now_us, offset, day_start_s))


def local_day(us: int, offset_s: int, day_start_s: int) -> int:
    """The local day number ``us`` falls in."""
    return (us + (offset_s - day_start_s) * US_PER_S) // US_PER_DAY


def day_bounds(number: int, offset_s: int, day_start_s: int) -> tuple[int, int]:
    """UTC microseconds of a local day's start and end at a fixed offset."""
    start = number * US_PER_DAY + (day_start_s - offset_s) * US_PER_S
    return start, start + US_PER_DAY


def week_first(day: date, week_start: int) -> date:
    """The first day of the week containing ``day``."""
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def range_of(kind: str, day: date, week_start: int = 0) -> tuple[date, date]:
    """First and last local date of the day/week/month containing ``day``."""
    if kind == "day":
        return day, day
    if kind == "week":
        first = week_first(day, week_start)
        return first, first + timedelta(days=6)
    if kind == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return first, nxt - timedelta(days=1)
    raise ValueError(f"unknown range kind {kind!r}")
