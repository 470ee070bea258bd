"""Events and buckets on the wire (ActivityWatch's format), parsed and written by hand.

This is the hot path of the API: events are validated here without a pydantic model per
event and responses are serialised with one ``json.dumps`` over plain lists and dicts.
The pydantic schemas in ``core.api.schemas`` describe the same shapes for OpenAPI.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from starlette.responses import Response

from core.errors import ValidationError
from core.event import BucketInfo, Event
from core.reader import FAR_FUTURE_US, FAR_PAST_US
from core.timeutil import US_PER_S, format_iso, parse_iso, seconds_to_us

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


def loads(raw: bytes | str) -> Any:
    """Parse a request body; anything that is not strict JSON is a 400."""
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except ValidationError:
        raise
    except (ValueError, RecursionError):
        raise ValidationError("The request body is not valid JSON.") from None


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


class JSONBytes(Response):
    """A JSON response from a value serialised with the standard library (no validation)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return dumps(content)


def message(text: str, status: int, headers: dict[str, str] | None = None) -> JSONBytes:
    return JSONBytes({"message": text}, status_code=status, headers=headers)


# -- events out -------------------------------------------------------------------------------
def event_out(event: Event) -> dict[str, Any]:
    """Exactly the four keys aw-client accepts; timestamp in UTC with microseconds."""
    return {
        "id": event.id,
        "timestamp": format_iso(event.start_us),
        "duration": (event.end_us - event.start_us) / US_PER_S,
        "data": event.data,
    }


def events_out(events: list[Event]) -> list[dict[str, Any]]:
    fmt = format_iso
    return [
        {
            "id": e.id,
            "timestamp": fmt(e.start_us),
            "duration": (e.end_us - e.start_us) / US_PER_S,
            "data": e.data,
        }
        for e in events
    ]


# Same range rule as ``core.reader.get_events`` (overlap with [start, end], clipped, newest
# first), but returning the stored JSON text of ``data`` so it is never parsed and re-dumped.
_RAW_RANGE_SQL = (
    "SELECT id, max(start_us, :s), min(end_us, :e), data FROM events "
    "WHERE bucket_id = :b AND start_us <= :e "
    "AND start_us >= :s - (SELECT max_duration_us FROM buckets WHERE id = :b) "
    "AND end_us >= :s "
    "ORDER BY start_us DESC, id DESC"
)


def events_json(
    conn: Connection,
    bucket_key: int,
    start_us: int | None,
    end_us: int | None,
    limit: int | None,
) -> bytes:
    """The JSON array of a range read, built from stored rows without parsing ``data``."""
    if limit == 0:
        return b"[]"
    params = {
        "b": bucket_key,
        "s": FAR_PAST_US if start_us is None else start_us,
        "e": FAR_FUTURE_US if end_us is None else end_us,
    }
    sql = _RAW_RANGE_SQL
    if limit is not None and limit > 0:
        sql += " LIMIT :limit"
        params["limit"] = limit
    rows = conn.exec_driver_sql(sql, params).all()
    fmt = format_iso
    parts = [
        f'{{"id":{r[0]},"timestamp":"{fmt(r[1])}","duration":{(r[2] - r[1]) / US_PER_S!r},'
        f'"data":{r[3]}}}'
        for r in rows
    ]
    return ("[" + ",".join(parts) + "]").encode()


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
        "last_updated": end if end is not None else format_iso(bucket.created_us),
        "metadata": {"start": start, "end": end},
    }


# -- events in --------------------------------------------------------------------------------
def check_data(data: Any, limits: DataLimits, what: str = "An event's data") -> dict[str, Any]:
    """``data`` must be a JSON object within the size and nesting limits."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(f"{what} must be a JSON object.")
    if data:
        try:
            size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError, RecursionError):
            raise ValidationError(f"{what} must be plain JSON.") from None
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
    if not isinstance(obj, dict):
        raise ValidationError("An event must be a JSON object.")
    if not EVENT_KEYS.issuperset(obj):
        unknown = sorted(str(k)[:40] for k in obj if k not in EVENT_KEYS)[:5]
        raise ValidationError(f"Unknown event field(s): {', '.join(unknown)}.")
    timestamp = obj.get("timestamp")
    if not isinstance(timestamp, str):
        raise ValidationError("An event needs a 'timestamp' (ISO 8601 string).")
    start_us, offset_s = parse_iso(timestamp)
    duration = obj.get("duration", 0)
    if duration is None:
        duration = 0
    if (
        isinstance(duration, bool)
        or not isinstance(duration, (int, float))
        or not math.isfinite(duration)
        or duration < 0
        or duration > MAX_DURATION_S
    ):
        raise ValidationError("An event's 'duration' must be a non-negative number of seconds.")
    data = check_data(obj.get("data"), limits)
    event_id = obj.get("id")
    if event_id is not None and (
        isinstance(event_id, bool) or not isinstance(event_id, int) or not 0 < event_id < 2**62
    ):
        raise ValidationError("An event's 'id' must be a positive integer or null.")
    return Event(start_us, start_us + seconds_to_us(duration), data, event_id, offset_s)


def parse_events(body: Any, limits: DataLimits, max_events: int) -> tuple[list[Event], bool]:
    """One event or a list of them -> (events, was_a_list)."""
    if isinstance(body, list):
        if len(body) > max_events:
            raise ValidationError(f"At most {max_events} events per request.")
        return [parse_event(item, limits) for item in body], True
    return [parse_event(body, limits)], False


def parse_time_param(value: str | None, name: str) -> int | None:
    """A ``start``/``end`` query parameter -> UTC microseconds (None when absent)."""
    if value is None or value == "":
        return None
    try:
        return parse_iso(value)[0]
    except ValidationError:
        raise ValidationError(f"'{name}' is not an ISO 8601 timestamp.") from None
