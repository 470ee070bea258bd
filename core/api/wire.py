"""Events and buckets on the wire (ActivityWatch's format), parsed and written by hand.

This is the hot path of the API: events are validated here without a pydantic model per
event, bodies are parsed with orjson (the standard library decides whatever orjson would
read differently) and event responses are serialised with orjson over plain lists and dicts.
Every shortcut here has an exact slow twin (``parse_iso``, ``format_iso``, ``json``) that
decides anything unusual, so results and error messages are those of the plain code.
The pydantic schemas in ``core.api.schemas`` describe the same shapes for OpenAPI.

The format itself (decoding, data limits, one event, timestamps, a bucket) is
``core.wire_format``, free of HTTP so file import and export use it without FastAPI; its
names are re-exported here for the routers. This module adds responses, event lists and the
typed (msgspec) fast path of inserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import orjson
from sqlalchemy import Connection
from starlette.responses import Response
from timelygator.core import reader
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.timeutil import EARLIEST_US, LATEST_US, US_PER_S
from timelygator.core.wire_format import (
    _MAX_ID,
    EVENT_KEYS,
    MAX_DURATION_S,
    DataLimits,
    _parse_event,
    _small_flat,
    _timestamp,
    bucket_out,
    check_data,
    dumps,
    loads,
    parse_event,
    parse_timestamp,
    utc_iso,
    valid_text,
)

__all__ = [
    "EVENT_KEYS",
    "MAX_DURATION_S",
    "DataLimits",
    "JSONBytes",
    "ParsedEvents",
    "bucket_out",
    "check_data",
    "dumps",
    "dumps_events",
    "event_out",
    "events_json",
    "events_out",
    "inserted_out",
    "loads",
    "message",
    "parse_event",
    "parse_event_body",
    "parse_events",
    "parse_insert",
    "parse_insert_body",
    "parse_time_param",
    "parse_time_range",
    "parse_timestamp",
    "utc_iso",
    "valid_text",
]


class JSONBytes(Response):
    """A JSON response from a value serialised with the standard library (no validation)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return dumps(content)


def message(text: str, status: int, headers: dict[str, str] | None = None) -> JSONBytes:
    return JSONBytes({"message": text}, status_code=status, headers=headers)


def dumps_events(value: Any) -> bytes:
    """Event(s) on the wire: orjson, or ``dumps`` for what orjson refuses (huge integers)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return dumps(value)


def event_out(event: Event) -> dict[str, Any]:
    """Exactly the four keys aw-client accepts; timestamp in UTC with microseconds."""
    return {
        "id": event.id,
        "timestamp": utc_iso(event.start_us),
        "duration": (event.end_us - event.start_us) / US_PER_S,
        "data": event.data,
    }


def events_out(events: list[Event]) -> list[dict[str, Any]]:
    fmt = utc_iso
    return [
        {
            "id": e.id,
            "timestamp": fmt(e.start_us),
            "duration": (e.end_us - e.start_us) / US_PER_S,
            "data": e.data,
        }
        for e in events
    ]


def events_json(
    conn: Connection,
    bucket_key: int,
    start_us: int | None,
    end_us: int | None,
    limit: int | None,
) -> bytes:
    """The JSON array of a range read, built by SQLite from stored rows (``data`` unparsed)."""
    return reader.events_json(conn, bucket_key, start_us, end_us, limit).encode()


def parse_events(body: Any, limits: DataLimits, max_events: int) -> tuple[list[Event], bool]:
    """One event or a list of them -> (events, was_a_list)."""
    if isinstance(body, list):
        if len(body) > max_events:
            raise ValidationError(f"At most {max_events} events per request.")
        return [parse_event(item, limits) for item in body], True
    return [parse_event(body, limits)], False


@dataclass(slots=True)
class ParsedEvents:
    """``parse_events`` for inserts: the events, and what their answer can reuse."""

    events: list[Event]
    many: bool
    stamps: list[str | None]  # each event's timestamp text when it is its utc_iso already


def parse_insert(body: Any, limits: DataLimits, max_events: int) -> ParsedEvents:
    """``parse_events`` (same results and errors), keeping the reusable timestamp texts."""
    if isinstance(body, list):
        if len(body) > max_events:
            raise ValidationError(f"At most {max_events} events per request.")
        items, many = body, True
    else:
        items, many = [body], False
    events: list[Event] = []
    stamps: list[str | None] = []
    add_event, add_stamp = events.append, stamps.append
    for item in items:
        event, stamp = _parse_event(item, limits)
        add_event(event)
        add_stamp(stamp)
    return ParsedEvents(events, many, stamps)


class _WireEvent(msgspec.Struct, forbid_unknown_fields=True):
    """An event as the wire carries it, typed for msgspec (``parse_event`` checks the rest)."""

    timestamp: str
    duration: float = 0.0
    data: dict[str, Any] | None = None
    id: int | None = None


_EVENT_DECODER = msgspec.json.Decoder(_WireEvent)
_EVENTS_DECODER = msgspec.json.Decoder(list[_WireEvent] | _WireEvent)


def parse_insert_body(raw: bytes, limits: DataLimits, max_events: int) -> ParsedEvents:
    """``parse_insert(loads(raw), ...)``: the same events, or the same error.

    msgspec decodes a well-formed body straight into typed fields (in C; it decodes JSON as
    ``json`` does: big integers exactly, the last of repeated keys), and only the checks
    types cannot express run in Python. A body msgspec refuses, or with an event a check
    refuses, is parsed again the exact way, which raises the error the plain code would.
    """
    try:
        body = _EVENTS_DECODER.decode(raw)
    except (msgspec.DecodeError, ValueError, RecursionError):  # ValueError: not UTF-8
        body = None
    if body is not None:
        many = isinstance(body, list)
        items = body if isinstance(body, list) else [body]
        parsed = _typed_events(items, many, limits, max_events)
        if parsed is not None:
            return parsed
    return parse_insert(loads(raw), limits, max_events)


def parse_event_body(raw: bytes, limits: DataLimits) -> Event:
    """``parse_event(loads(raw), ...)`` by the same two lanes as ``parse_insert_body``."""
    try:
        item = _EVENT_DECODER.decode(raw)
    except (msgspec.DecodeError, ValueError, RecursionError):  # ValueError: not UTF-8
        item = None
    if item is not None:
        parsed = _typed_events([item], False, limits, 1)
        if parsed is not None:
            return parsed.events[0]
    return parse_event(loads(raw), limits)


def _typed_events(
    items: list[_WireEvent], many: bool, limits: DataLimits, max_events: int
) -> ParsedEvents | None:
    """``parse_insert``'s checks on msgspec-typed events; None where one would fail."""
    if len(items) > max_events:
        return None
    events: list[Event] = []
    stamps: list[str | None] = []
    add_event, add_stamp = events.append, stamps.append
    max_bytes, flat = limits.max_bytes, limits.max_depth >= 1
    try:
        for item in items:
            text = item.timestamp
            start_us, offset_s, canonical = _timestamp(text)
            duration = item.duration
            if not 0 <= duration <= MAX_DURATION_S:
                return None
            data = item.data
            if data is None:
                data = {}
            elif data and not (flat and _small_flat(data, max_bytes)):
                check_data(data, limits)
            event_id = item.id
            if event_id is not None and not 0 < event_id < _MAX_ID:
                return None
            end_us = start_us + round(duration * US_PER_S)
            if not (start_us >= EARLIEST_US and end_us <= LATEST_US):
                return None
            add_event(Event(start_us, end_us, data, event_id, offset_s))
            add_stamp(text if canonical else None)
    except ValidationError:
        return None
    return ParsedEvents(events, many, stamps)


def inserted_out(parsed: ParsedEvents, stored: list[Event]) -> list[dict[str, Any]]:
    """``events_out(stored)``, reusing the sender's timestamp texts where they are the same."""
    out = []
    fmt = utc_iso
    for event, sent, stamp in zip(stored, parsed.events, parsed.stamps, strict=True):
        start = event.start_us
        out.append(
            {
                "id": event.id,
                "timestamp": stamp if stamp is not None and start == sent.start_us else fmt(start),
                "duration": (event.end_us - start) / US_PER_S,
                "data": event.data,
            }
        )
    return out


def parse_time_range(start: str | None, end: str | None) -> tuple[int | None, int | None]:
    """The ``start`` and ``end`` query parameters -> UTC microseconds (None when absent);
    ValidationError when the range ends before it starts."""
    start_us, end_us = parse_time_param(start, "start"), parse_time_param(end, "end")
    if start_us is not None and end_us is not None and start_us > end_us:
        raise ValidationError("'start' is after 'end': the range ends before it begins.")
    return start_us, end_us


def parse_time_param(value: str | None, name: str) -> int | None:
    """A ``start``/``end`` query parameter -> UTC microseconds (None when absent)."""
    if value is None or value == "":
        return None
    try:
        return parse_timestamp(value)[0]
    except ValidationError:
        raise ValidationError(f"'{name}' is not an ISO 8601 timestamp.") from None
