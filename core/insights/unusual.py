"""Unusual days: days far from the user's own baseline in active time, focus or late work.

The rule: a day is compared with the active days of the four weeks before it. For each
measure the baseline is their median, and the spread their median absolute deviation (MAD,
scaled by 1.4826 to read like a standard deviation, and at least ``MIN_SPREAD_US`` so that a
very regular month does not flag ten minutes). A day is unusual in a measure when it lies
more than ``THRESHOLD`` spreads away and at least ``MIN_DIFFERENCE_US`` from the median.
Median and MAD ignore the odd holiday or all-nighter that a mean and standard deviation
would follow. Late work is active time from 21:00 until the day ends (the day start).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from timelygator.core.analytics.daystats import DayStats
from timelygator.core.analytics.localdays import day_date
from timelygator.core.analytics.report import format_duration

WINDOW_DAYS = 28
MIN_BASELINE_DAYS = 5
THRESHOLD = 3.0
MIN_SPREAD_US = 15 * 60 * 1_000_000
MIN_DIFFERENCE_US = 45 * 60 * 1_000_000
LATE_FROM_HOUR = 21
MEASURES = ("active", "focus", "late")
_NAMES = {"active": "active time", "focus": "focus time", "late": "late work"}


@dataclass(frozen=True, slots=True)
class UnusualDay:
    day: date
    measure: str  # "active" | "focus" | "late"
    value_us: int
    median_us: int
    score: float  # spreads away from the median (signed)

    @property
    def text(self) -> str:
        more = "more" if self.value_us > self.median_us else "less"
        return (
            f"{self.day:%a} {self.day.day} {self.day:%b}: {format_duration(self.value_us)} "
            f"{_NAMES[self.measure]}, far {more} than the usual {format_duration(self.median_us)}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "measure": self.measure,
            "value_s": round(self.value_us / 1e6),
            "median_s": round(self.median_us / 1e6),
            "score": round(self.score, 2),
            "text": self.text,
        }


def measures(day: DayStats, day_start_hour: int) -> dict[str, int]:
    late = 0
    for row in day.hourly.values():
        late += sum(row[LATE_FROM_HOUR:])
        late += sum(row[:day_start_hour])
    return {
        "active": day.active_us,
        "focus": sum(s.focus_us for s in day.focus),
        "late": late,
    }


def unusual_days(
    days: Sequence[DayStats], first_shown: int, day_start_hour: int
) -> list[UnusualDay]:
    """Unusual days among ``days`` numbered ``first_shown`` or later; ``days`` must hold the
    four weeks before them too, in order, one per day."""
    values = {m: np.asarray([measures(d, day_start_hour)[m] for d in days]) for m in MEASURES}
    active = values["active"] > 0
    out: list[UnusualDay] = []
    for index, day in enumerate(days):
        if day.day < first_shown or not active[index]:
            continue
        lo = max(0, index - WINDOW_DAYS)
        window = np.flatnonzero(active[lo:index]) + lo
        if len(window) < MIN_BASELINE_DAYS:
            continue
        for measure in MEASURES:
            history = values[measure][window]
            median = float(np.median(history))
            spread = max(1.4826 * float(np.median(np.abs(history - median))), MIN_SPREAD_US)
            value = int(values[measure][index])
            score = (value - median) / spread
            if abs(score) > THRESHOLD and abs(value - median) >= MIN_DIFFERENCE_US:
                out.append(UnusualDay(day_date(day.day), measure, value, round(median), score))
    return out
