"""The day or week in words: a few sentences from templates, every number from the analytics.

The figures (``Figures``) are computed first, from the per-day statistics every summary adds
up: active time, focus sessions and their time, app switches per active hour, and each
top-level category's time, for the range and for the user's own baseline, the four weeks
before it (as an average of the same number of days). The text is then written from
templates that only format those figures (``format_duration``, whole numbers), so every
number in it can be traced to a figure (a test checks each one). Nothing is sent anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from timelygator.core.analytics.daystats import DayStats
from timelygator.core.analytics.localdays import US_PER_HOUR
from timelygator.core.analytics.report import format_duration

BASELINE_DAYS = 28
MIN_CHANGE_US = 10 * 60 * 1_000_000  # changes under 10 minutes are not worth a sentence


@dataclass(slots=True)
class Period:
    """What one stretch of days adds up to (a baseline: averaged to the range's length)."""

    active_us: int = 0
    focus_sessions: float = 0
    focus_us: int = 0
    switches_per_hour: float | None = None
    categories: dict[str, int] = field(default_factory=dict)  # top level -> us

    def as_json(self) -> dict[str, Any]:
        return {
            "active_s": round(self.active_us / 1e6),
            "focus_sessions": round(self.focus_sessions, 1),
            "focus_s": round(self.focus_us / 1e6),
            "switches_per_hour": None
            if self.switches_per_hour is None
            else round(self.switches_per_hour, 1),
            "categories_s": {k: round(v / 1e6) for k, v in self.categories.items()},
        }


@dataclass(slots=True)
class Figures:
    first: date
    last: date
    current: Period
    baseline: Period | None  # None: no activity in the four weeks before
    changes: list[tuple[str, int, int]]  # (category, now us, usual us), largest change first

    def as_json(self) -> dict[str, Any]:
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "current": self.current.as_json(),
            "baseline": None if self.baseline is None else self.baseline.as_json(),
            "baseline_days": BASELINE_DAYS,
            "changes": [
                {"category": c, "now_s": round(n / 1e6), "usual_s": round(u / 1e6)}
                for c, n, u in self.changes
            ],
        }


def period(days: Sequence[DayStats], scale: float = 1.0) -> Period:
    """The sums of ``days`` (times ``scale``: a baseline brought to the range's length)."""
    active = sum(d.active_us for d in days)
    switches = sum(d.switches for d in days)
    categories: dict[str, int] = {}
    for day in days:
        for path, us in day.categories.items():
            categories[path[0]] = categories.get(path[0], 0) + us
    return Period(
        active_us=round(active * scale),
        focus_sessions=sum(len(d.focus) for d in days) * scale,
        focus_us=round(sum(s.focus_us for d in days for s in d.focus) * scale),
        switches_per_hour=switches / (active / US_PER_HOUR) if active else None,
        categories={k: round(v * scale) for k, v in categories.items()},
    )


def figures(
    first: date, last: date, days: Sequence[DayStats], before: Sequence[DayStats]
) -> Figures:
    """The range's figures (``days``) against its baseline (``before``: the four weeks)."""
    current = period(days)
    length = (last - first).days + 1
    active = [i for i, d in enumerate(before) if d.active_us]
    # Days before the first recorded one are not "usual" zeros: a history shorter than four
    # weeks is averaged over the days it has.
    counted = before[active[0] :] if active else []
    baseline = period(counted, length / len(counted)) if counted else None
    changes: list[tuple[str, int, int]] = []
    if baseline is not None:
        names = set(current.categories) | set(baseline.categories)
        found = [
            (name, current.categories.get(name, 0), baseline.categories.get(name, 0))
            for name in names
        ]
        changes = sorted(
            (c for c in found if abs(c[1] - c[2]) >= MIN_CHANGE_US),
            key=lambda c: (-abs(c[1] - c[2]), c[0]),
        )[:3]
    return Figures(first, last, current, baseline, changes)


def _range_name(first: date, last: date) -> str:
    if first == last:
        return f"{first:%a} {first.day} {first:%b %Y}"
    return (
        f"The week of {first.day} {first:%b %Y}"
        if (last - first).days == 6
        else (
            f"{first.day} {first:%b} – {last.day} {last:%b %Y}"  # noqa: RUF001
        )
    )


def _against(now: int, usual: int) -> str:
    if now > usual:
        return f"{format_duration(now - usual)} more than"
    if now < usual:
        return f"{format_duration(usual - now)} less than"
    return "the same as"


def _signed(now: int, usual: int) -> str:
    sign = "+" if now >= usual else "−"  # noqa: RUF001
    return f"{sign}{format_duration(abs(now - usual))}"


def digest_text(f: Figures) -> str:
    """The figures in a few sentences."""
    c, b = f.current, f.baseline
    name = _range_name(f.first, f.last)
    if not c.active_us:
        return f"{name}: no active time recorded."
    lines = [f"{name}: {format_duration(c.active_us)} active"]
    if b is not None and b.active_us:
        lines[0] += (
            f", {_against(c.active_us, b.active_us)} your usual {format_duration(b.active_us)}"
            f" (the {BASELINE_DAYS} days before)."
        )
    else:
        lines[0] += "."
    sessions = round(c.focus_sessions)
    focus = (
        f"{sessions} focus session{'s' if sessions != 1 else ''}, "
        f"{format_duration(c.focus_us)} in all"
        if sessions
        else "No focus session"
    )
    if b is not None:
        focus += f" (usually {format_duration(b.focus_us)})"
    lines.append(focus + ".")
    if c.switches_per_hour is not None:
        per_hour = round(c.switches_per_hour)
        switching = f"You switched apps {per_hour} time{'s' if per_hour != 1 else ''} an hour"
        if b is not None and b.switches_per_hour is not None:
            switching += f" (usually {round(b.switches_per_hour)})"
        lines.append(switching + ".")
    if f.changes:
        parts = [
            f"{cat} {_signed(now, usual)} ({format_duration(now)} against {format_duration(usual)})"
            for cat, now, usual in f.changes
        ]
        lines.append("Largest changes: " + "; ".join(parts) + ".")
    return " ".join(lines)


def baseline_range(first: date) -> tuple[date, date]:
    """The four weeks before ``first``."""
    return first - timedelta(days=BASELINE_DAYS), first - timedelta(days=1)
