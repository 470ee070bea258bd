"""Time as the store keeps it: integer UTC microseconds.

Parsing accepts what ActivityWatch clients send (any ISO 8601 offset, ``Z``, naive = UTC,
a ``+`` that arrived URL-decoded as a space, fractions longer than microseconds).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from core.errors import ValidationError

US_PER_S = 1_000_000
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
    """UTC microseconds -> ISO 8601 in UTC with microseconds, e.g. ``...T09:30:00.000000+00:00``."""
    return from_us(us).isoformat(timespec="microseconds")


def seconds_to_us(seconds: float) -> int:
    """A duration in (float) seconds -> integer microseconds, rounded to the nearest."""
    return round(seconds * US_PER_S)
