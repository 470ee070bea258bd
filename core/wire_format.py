"""Events and buckets in ActivityWatch's JSON form, without HTTP: strict JSON decoding, the
limits on event data, event parsing and the timestamps written and read.

The API's wire module (``core.api.wire``) adds responses and its fast paths on top; the
import and export of files (``core.transfer_format``), used by the CLI and the app's Data
page, need only this module, so they load no web framework. Every shortcut here has an exact
slow twin (``parse_iso``, ``format_iso``, ``json``) that decides anything unusual, so
results and error messages are those of the plain code.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

import orjson
from timelygator.core.errors import ValidationError
from timelygator.core.event import BucketInfo, Event
from timelygator.core.timeutil import (
    EARLIEST_US,
    LATEST_US,
    RANGE_TEXT,
    US_PER_S,
    format_iso,
    parse_iso,
    to_us,
)

EVENT_KEYS = frozenset({"id", "timestamp", "duration", "data"})
# A century: longer "events" are input errors (and keep end_us far inside int64).
MAX_DURATION_S = 100 * 366 * 86_400


@dataclass(frozen=True, slots=True)
class DataLimits:
    """Bounds on one event's ``data``: serialised size and nesting depth."""

    max_bytes: int = 256 * 1024
    max_depth: int = 32


def _reject_constant(name: str) -> Any:
    raise ValidationError(f"{name} is not valid JSON.")


# orjson turns integers outside 64 bits into floats; any run of 19 digits goes to ``json``
# (found by mapping digits to "0" and everything else to " ": a C-speed scan).
_DIGITS_ONLY = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_DIGITS = b"0" * 19
# orjson reads any depth, ``json`` stops near the recursion limit (a 400): a body that could
# be 256 levels deep (512 bytes) is measured by orjson.dumps, which stops at 255 levels.
_DEEP_POSSIBLE = 512


def loads(raw: bytes | str) -> Any:
    """Parse a request body; anything that is not strict JSON, or not valid Unicode, is a 400.

    orjson reads what it accepts exactly as ``json`` does, except integers past 64 bits and
    very deep nesting, which are kept away from it; everything it refuses (NaN, lone
    surrogates, a BOM, UTF-16, bad JSON) is decided by ``json``, so the results and
    messages are the standard library's. Bytes that are not UTF-8 are refused by both; a
    lone surrogate written as an escape (``"\ud800"``, valid JSON but not text) is refused
    here, wherever it is in the body.
    """
    value, strict = _loads(raw)
    clean = strict and isinstance(raw, bytes) and _SURROGATE_ESCAPE.search(raw) is None
    if not clean and not valid_text(value):
        raise ValidationError(
            "The request body has text that is not valid Unicode (a lone surrogate such as "
            "\\ud800)."
        )
    return value


def _loads(raw: bytes | str) -> tuple[Any, bool]:
    """The value, and whether orjson read it (then the bytes were strict UTF-8; ``json``
    also reads surrogates encoded as UTF-8 bytes, and ``str`` input may hold any)."""
    if isinstance(raw, bytes) and _LONG_DIGITS not in raw.translate(_DIGITS_ONLY):
        try:
            value = orjson.loads(raw)
            if len(raw) < _DEEP_POSSIBLE:
                return value, True
            orjson.dumps(value)
            return value, True
        except (orjson.JSONDecodeError, TypeError):
            pass
    try:
        return json.loads(raw, parse_constant=_reject_constant), False
    except ValidationError:
        raise
    except (ValueError, RecursionError):
        raise ValidationError("The request body is not valid JSON.") from None


# A UTF-16 surrogate written as a JSON escape; a pair of them is one character, a lone one is
# no text at all. A body orjson read without such an escape cannot hold one.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def valid_text(value: Any) -> bool:
    """False when any string (key or value) in the JSON ``value`` has a lone surrogate."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


# -- events out -------------------------------------------------------------------------------
_DAY_US = 86_400 * US_PER_S
_DAY_PREFIX: dict[int, str] = {}  # day number since the epoch -> "YYYY-MM-DDT"
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))


def utc_iso(us: int) -> str:
    """``format_iso`` (UTC, microseconds, ``+00:00``) with the date part cached per day."""
    day, rest = divmod(us, _DAY_US)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        if not EARLIEST_US <= us <= LATEST_US:
            return format_iso(us)  # a row stored before the range check: not cached
        prefix = format_iso(day * _DAY_US)[:11]
        if len(_DAY_PREFIX) >= 100_000:
            _DAY_PREFIX.clear()
        _DAY_PREFIX[day] = prefix
    seconds, frac = divmod(rest, US_PER_S)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    two = _TWO_DIGITS
    return f"{prefix}{two[hours]}:{two[minutes]}:{two[seconds]}.{frac:06d}+00:00"


def bucket_out(bucket: BucketInfo) -> dict[str, Any]:
    """A bucket with both ``last_updated`` and ``metadata`` (clients read either)."""
    start = None if bucket.first_us is None else format_iso(bucket.first_us)
    end = None if bucket.last_us is None else format_iso(bucket.last_us)
    return {
        "id": bucket.name,
        "name": bucket.name,
        "type": bucket.type,
        "client": bucket.client,
        "hostname": bucket.hostname,
        "created": format_iso(bucket.created_us),
        "data": bucket.data,
        "last_updated": end,  # None for a bucket without events, as ActivityWatch says
        "metadata": {"start": start, "end": end},
    }


# -- events in --------------------------------------------------------------------------------
# The forms clients send (aw-client: isoformat(); browsers: toISOString()). For these,
# ``parse_iso``'s clean-ups (strip, "+" read as a space, long fractions) change nothing.
_PLAIN_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?", re.ASCII
)
# What aw-client and our own answers send: "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM" (32 characters).
_FULL_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d", re.ASCII)
# "YYYY-MM-DDTHH" + "+HH:MM" -> (UTC microseconds at that hour's start, offset in seconds).
_HOUR_STARTS: dict[str, tuple[int, int]] = {}
_INT64 = 2**63
_MAX_ID = 2**62  # event ids are below this


def parse_timestamp(text: str) -> tuple[int, int | None]:
    """``parse_iso`` (same results, same errors), without its clean-ups for plain forms."""
    start_us, offset_s, _canonical = _timestamp(text)
    return start_us, offset_s


def _full_iso(text: str) -> tuple[int, int, bool] | None:
    """``_timestamp`` for the 32-character form; None if ``text`` is not a valid one.

    ``datetime.fromisoformat`` (C) checks the fields; the UTC microseconds of the hour's start
    are cached per hour and offset, so most timestamps cost no date arithmetic at all.
    """
    if len(text) != 32 or _FULL_ISO.fullmatch(text) is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None  # e.g. month 13: the general path raises parse_iso's message
    key = text[:13] + text[26:]
    hour = _HOUR_STARTS.get(key)
    if hour is None:
        offset = moment.utcoffset()
        assert offset is not None
        hour = (
            to_us(moment.replace(minute=0, second=0, microsecond=0)),
            int(offset.total_seconds()),
        )
        if len(_HOUR_STARTS) >= 10_000:
            _HOUR_STARTS.clear()
        _HOUR_STARTS[key] = hour
    start_us = hour[0] + (moment.minute * 60 + moment.second) * US_PER_S + moment.microsecond
    # With "+00:00" it is exactly what utc_iso writes.
    return start_us, hour[1], hour[1] == 0 and text[26] == "+"


def _timestamp(text: str) -> tuple[int, int | None, bool]:
    """``parse_timestamp``, and whether ``text`` is already ``utc_iso`` of the result."""
    fast = _full_iso(text)
    if fast is not None:
        return fast
    if _PLAIN_ISO.fullmatch(text) is not None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            start_us, offset_s = parse_iso(text)  # e.g. month 13: parse_iso raises its message
            return start_us, offset_s, False
        offset = moment.utcoffset()
        return to_us(moment), None if offset is None else int(offset.total_seconds()), False
    start_us, offset_s = parse_iso(text)
    return start_us, offset_s, False


def _unicode(text: str) -> bool:
    """False for text with a lone UTF-16 surrogate (valid in JSON, not storable as UTF-8)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _small_flat(data: dict[Any, Any], max_bytes: int) -> bool:
    """True when ``data`` is one level of plain values whose JSON surely fits ``max_bytes``.

    A bound, not a measurement: a string costs at most 6 characters per character (\\uXXXX)
    plus quotes, a key as much plus ':' and ','. False means "check it the exact way".
    """
    bound = 2
    for key, value in data.items():
        if type(key) is not str or not (key.isascii() or _unicode(key)):
            return False
        kind = type(value)
        if kind is str:
            if not (value.isascii() or _unicode(value)):
                return False
            bound += 6 * len(value) + 2
        elif kind is int:
            if not -_INT64 < value < _INT64:
                return False
            bound += 20
        elif kind is float:
            if not math.isfinite(value):
                return False
            bound += 32
        elif value is None or kind is bool:
            bound += 5
        else:
            return False
        bound += 6 * len(key) + 4
    return bound <= max_bytes


def check_data(data: Any, limits: DataLimits, what: str = "An event's data") -> dict[str, Any]:
    """``data`` must be a JSON object within the size and nesting limits."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(f"{what} must be a JSON object.")
    if data and not (limits.max_depth >= 1 and _small_flat(data, limits.max_bytes)):
        try:
            text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            raise ValidationError(f"{what} must be plain JSON.") from None
        if not _unicode(text):
            raise ValidationError(f"{what} has text that is not valid Unicode (a lone surrogate).")
        size = len(text)
        if size > limits.max_bytes:
            raise ValidationError(
                f"{what} is too large ({size} bytes; the limit is {limits.max_bytes})."
            )
        if _depth(data, limits.max_depth + 1) > limits.max_depth:
            raise ValidationError(f"{what} is nested too deeply (limit {limits.max_depth} levels).")
    return data


def _depth(value: Any, cap: int) -> int:
    """Nesting depth of containers (a flat object is 1), computed up to ``cap``."""
    depth = 0
    level = [value]
    while level and depth < cap:
        depth += 1
        nxt: list[Any] = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            nxt.extend(c for c in children if isinstance(c, (dict, list)))
        level = nxt
    return depth


def parse_event(obj: Any, limits: DataLimits) -> Event:
    """One wire event -> Event; ValidationError (400) for anything off."""
    return _parse_event(obj, limits)[0]


def _parse_event(obj: Any, limits: DataLimits) -> tuple[Event, str | None]:
    """``parse_event``, plus its timestamp text when that is already ``utc_iso`` of its start."""
    if not isinstance(obj, dict):
        raise ValidationError("An event must be a JSON object.")
    if not EVENT_KEYS.issuperset(obj):
        unknown = sorted(str(k)[:40] for k in obj if k not in EVENT_KEYS)[:5]
        raise ValidationError(f"Unknown event field(s): {', '.join(unknown)}.")
    timestamp = obj.get("timestamp")
    if not isinstance(timestamp, str):
        raise ValidationError("An event needs a 'timestamp' (ISO 8601 string).")
    start_us, offset_s, canonical = _timestamp(timestamp)
    duration = obj.get("duration", 0)
    kind = type(duration)
    if not ((kind is float or kind is int) and 0 <= duration <= MAX_DURATION_S):
        if duration is None:
            duration = 0
        if (
            isinstance(duration, bool)
            or not isinstance(duration, (int, float))
            or (isinstance(duration, float) and not math.isfinite(duration))
            or duration < 0
            or duration > MAX_DURATION_S
        ):
            raise ValidationError("An event's 'duration' must be a non-negative number of seconds.")
    end_us = start_us + round(duration * US_PER_S)
    if not (EARLIEST_US <= start_us <= LATEST_US and end_us <= LATEST_US):
        _out_of_range(start_us)
    data = check_data(obj.get("data"), limits)
    event_id = obj.get("id")
    if event_id is not None and (
        isinstance(event_id, bool) or not isinstance(event_id, int) or not 0 < event_id < _MAX_ID
    ):
        raise ValidationError("An event's 'id' must be a positive integer or null.")
    event = Event(start_us, end_us, data, event_id, offset_s)
    return event, timestamp if canonical else None


def _out_of_range(start_us: int) -> NoReturn:
    if EARLIEST_US <= start_us <= LATEST_US:
        raise ValidationError(
            f"An event's 'timestamp' plus 'duration' ends after the supported range ({RANGE_TEXT})."
        )
    raise ValidationError(f"An event's 'timestamp' is outside the supported range ({RANGE_TEXT}).")
