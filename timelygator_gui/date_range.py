"""The range the main window shows: a day, a week, a month or a custom span of days."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from timelygator.core.timeutil import to_us


class RangeMode(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class DateRange:
    """Whole local days ``first..last`` (inclusive); days begin at ``day_start_hour``."""

    mode: RangeMode
    first: date
    last: date
    day_start_hour: int = 0

    @classmethod
    def around(
        cls, day: date, mode: RangeMode, *, week_start: int = 0, day_start_hour: int = 0
    ) -> DateRange:
        """The day/week/month containing ``day`` (``week_start``: 0 = Monday, 6 = Sunday)."""
        if mode is RangeMode.WEEK:
            first = day - timedelta(days=(day.weekday() - week_start) % 7)
            return cls(mode, first, first + timedelta(days=6), day_start_hour)
        if mode is RangeMode.MONTH:
            last_day = calendar.monthrange(day.year, day.month)[1]
            return cls(mode, day.replace(day=1), day.replace(day=last_day), day_start_hour)
        return cls(RangeMode.DAY, day, day, day_start_hour)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def shifted(self, steps: int) -> DateRange:
        """The previous (-1) or next (+1) range of the same kind."""
        if self.mode is RangeMode.MONTH:
            month = self.first.month - 1 + steps
            first = date(self.first.year + month // 12, month % 12 + 1, 1)
            return DateRange.around(first, RangeMode.MONTH, day_start_hour=self.day_start_hour)
        delta = timedelta(days=self.days * steps)
        return DateRange(self.mode, self.first + delta, self.last + delta, self.day_start_hour)

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    def bounds_us(self) -> tuple[int, int]:
        """UTC microseconds of the range's start and end in the machine's local time."""
        offset = timedelta(hours=self.day_start_hour)
        start = datetime.combine(self.first, time()).astimezone() + offset
        end = datetime.combine(self.last + timedelta(days=1), time()).astimezone() + offset
        return to_us(start), to_us(end)

    def label(self) -> str:
        """How the navigator names the range ("Tue 4 Mar 2025", "3 - 9 Mar 2025", ...)."""
        if self.mode is RangeMode.DAY:
            return f"{self.first:%a} {self.first.day} {self.first:%b %Y}"
        if self.mode is RangeMode.MONTH:
            return f"{self.first:%B %Y}"
        if self.first.year != self.last.year:
            return f"{self.first.day} {self.first:%b %Y} – {self.last.day} {self.last:%b %Y}"  # noqa: RUF001
        if self.first.month != self.last.month:
            return f"{self.first.day} {self.first:%b} – {self.last.day} {self.last:%b %Y}"  # noqa: RUF001
        return f"{self.first.day} – {self.last.day} {self.last:%b %Y}"  # noqa: RUF001
