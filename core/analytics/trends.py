"""Daily totals over weeks and months, stacked by top-level category."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


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
