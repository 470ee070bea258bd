"""Time as the store keeps it: integer UTC microseconds.

Parsing accepts what ActivityWatch clients send (any ISO 8601 offset, ``Z``, naive = UTC,
a ``+`` that arrived URL-decoded as a space, fractions longer than microseconds).

**The time range.** Every time that is stored (an event's start and end, a bucket's
``created``) and every period that is asked for (query periods, summaries, previews) lies in
``[EARLIEST_US, LATEST_US]``: 1970-01-01 to 2200-01-01 UTC. ``check_time_range`` is the one
check; the writer applies it to every change (API, imports, the app's manual entries,
watchers) and the API names the field in its 400. The bounds are far inside what every layer
can represent: local times on Windows start in 1970, Python's ``datetime`` ends in year 9999
(an event at 9999-12-31 plus a day, or 0001-01-01 with a positive UTC offset, cannot even be
written out), and integer microseconds stay far inside 64 bits with any duration added.
Rows stored before this check existed may lie outside; ``format_iso`` writes them at the
nearest representable time rather than failing, and ``core.repair`` finds and fixes them.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from timelygator.core.errors import ValidationError

US_PER_S = 1_000_000
# Days begin at 04:00 unless the user chooses otherwise (General settings, ``--day-start``).
# Here, not in core.analytics, so preferences load without the analytics stack (numpy).
DEFAULT_DAY_START_S = 4 * 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# "...T10:00:00 01:00" (a "+" decoded to a space in a query string) and long fractions.
_SPACE_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


class Clock(Protocol):
    """Source of the current time; injected so time logic can be tested."""

    def now_us(self) -> int:
        """Current UTC time in microseconds since the epoch."""
        ...


class SystemClock:
    """The real wall clock."""

    def now_us(self) -> int:
        return time.time_ns() // 1000


def to_us(moment: datetime) -> int:
    """Aware datetime -> UTC microseconds (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_S + delta.microseconds


def from_us(us: int) -> datetime:
    """UTC microseconds -> aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=us)


# The supported time range (see the module docstring), inclusive at both ends.
EARLIEST_US = 0  # 1970-01-01T00:00:00Z
LATEST_US = to_us(datetime(2200, 1, 1, tzinfo=UTC))
RANGE_TEXT = "1970-01-01 to 2200-01-01 UTC"
# What ``datetime`` can hold: stored times outside are written out at these bounds.
_REPRESENTABLE_MIN_US = to_us(datetime.min.replace(tzinfo=UTC))
_REPRESENTABLE_MAX_US = to_us(datetime.max.replace(tzinfo=UTC))


def in_time_range(us: int) -> bool:
    """True when ``us`` lies in the supported range."""
    return EARLIEST_US <= us <= LATEST_US


def check_time_range(start_us: int, end_us: int | None = None, what: str = "A time") -> None:
    """ValidationError (naming ``what``) unless start (and end) lie in the supported range."""
    if not EARLIEST_US <= start_us <= LATEST_US:
        raise ValidationError(f"{what} is outside the supported range ({RANGE_TEXT}).")
    if end_us is not None and not EARLIEST_US <= end_us <= LATEST_US:
        raise ValidationError(
            f"{what} plus its duration ends outside the supported range ({RANGE_TEXT})."
        )


def parse_iso(text: str) -> tuple[int, int | None]:
    """Parse an ISO 8601 timestamp.

    Returns ``(utc_microseconds, utc_offset_seconds)``; the offset is ``None`` for naive input.
    Raises ValidationError with the offending text on anything else.
    """
    if not isinstance(text, str) or not text:
        raise ValidationError(f"Invalid timestamp {text!r}: expected an ISO 8601 string.")
    raw = text.strip()
    raw = _SPACE_OFFSET.sub(r"\1+\2", raw)
    raw = _LONG_FRACTION.sub(r"\1", raw)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"Invalid timestamp {text[:64]!r}: expected ISO 8601 like 2024-01-31T09:30:00+01:00."
        ) from None
    offset = moment.utcoffset()
    offset_s = None if offset is None else int(offset.total_seconds())
    return to_us(moment), offset_s


def format_iso(us: int) -> str:
    """UTC microseconds -> ISO 8601 in UTC with microseconds, e.g. ``...T09:30:00.000000+00:00``.

    A time ``datetime`` cannot hold (only rows stored before the range check) is written at
    the nearest one it can, so reading such a row never fails.
    """
    if not _REPRESENTABLE_MIN_US <= us <= _REPRESENTABLE_MAX_US:
        us = min(max(us, _REPRESENTABLE_MIN_US), _REPRESENTABLE_MAX_US)
    return from_us(us).isoformat(timespec="microseconds")


def clamp_to_range(us: int) -> int:
    """``us`` moved into the supported range (for filters such as a read's ``start``)."""
    return min(max(us, EARLIEST_US), LATEST_US)


def seconds_to_us(seconds: float) -> int:
    """A duration in (float) seconds -> integer microseconds, rounded to the nearest."""
    return round(seconds * US_PER_S)


US_PER_DAY = 86_400 * US_PER_S
EVERY_DAY = (-(2**62), 2**62)  # a day range that holds every day


def touched_days(start_us: int, end_us: int) -> tuple[int, int]:
    """The UTC day numbers (days since 1970-01-01, both ends included) whose figures a span
    ``start_us..end_us`` can change: -2 .. +1 days around it.

    A local day (of any UTC offset, -12..+14 h, and any day start, 0..24 h) is numbered after
    its local date, so its moments lie within two UTC days before to one after it. The rule
    the writer reports changes by (``Change.day_ranges``, the transaction hooks) and the
    analytics caches are invalidated by: written once, here.
    """
    return start_us // US_PER_DAY - 2, end_us // US_PER_DAY + 1
