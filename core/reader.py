"""The read side: buckets and events as the API, GUI and query engine need them.

Functions take a SQLAlchemy ``Connection`` (the caller owns it: one per request or job) and
return plain ``core.event`` objects. Range reads use the (bucket_id, start_us) index bounded
below by the bucket's longest event, so a one-day read touches one day of rows however long
the history is.

Every statement is SQLAlchemy Core on the ORM's tables. The range reads and their wire form
are measured hot paths (tests/benchmarks/sql_paths.py): prepared (``sql_dialect.Prepared``);
what only SQLite spells its way (clipping with scalar ``max``/``min``, the JSON text built by
SQLite) is in ``core.sql_dialect``.
"""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    String,
    Subquery,
    Table,
    and_,
    bindparam,
    func,
    select,
)
from timelygator.core import jsoncodec, models
from timelygator.core.errors import NotFoundError
from timelygator.core.event import BucketInfo, Event
from timelygator.core.sql_dialect import (
    Prepared,
    builds_event_json,
    constant,
    event_json_array,
    greatest,
    least,
)
from timelygator.core.timeutil import format_iso

# 0001-01-01T00:00:00 and 9999-12-31T23:59:59.999999 UTC: what ISO 8601 text can hold.
_REPRESENTABLE = (-62_135_596_800_000_000, 253_402_300_799_999_999)
# Beyond any real timestamp; used for open-ended ranges.
FAR_PAST_US = -(2**62)
FAR_FUTURE_US = 2**62

_BUCKET_TABLE = cast(Table, models.Bucket.__table__)
_BUCKETS = _BUCKET_TABLE.c
_EVENT_TABLE = cast(Table, models.Event.__table__)
_EVENTS = _EVENT_TABLE.c
_BUCKET = bindparam("b", type_=BigInteger)
_START = bindparam("s", type_=BigInteger)
_END = bindparam("e", type_=BigInteger)
_LIMIT = bindparam("limit", type_=BigInteger)


def _of_bucket() -> ColumnElement[bool]:
    return _EVENTS.bucket_id == _BUCKETS.id


# The time span of each bucket's events. The latest end is among the events starting within
# the bucket's longest event of its latest start: an index range, not a scan of every event
# (there is no end_us index).
_LATEST_START = select(func.max(_EVENTS.start_us)).where(_of_bucket()).correlate(_BUCKET_TABLE)
_BUCKET_ROWS = select(
    _BUCKETS.id,
    _BUCKETS.name,
    _BUCKETS.type,
    _BUCKETS.client,
    _BUCKETS.hostname,
    _BUCKETS.created_us,
    _BUCKETS.data,
    select(func.min(_EVENTS.start_us))
    .where(_of_bucket())
    .correlate(_BUCKET_TABLE)
    .scalar_subquery(),
    select(func.max(_EVENTS.end_us))
    .where(
        _of_bucket(),
        _EVENTS.start_us >= _LATEST_START.scalar_subquery() - _BUCKETS.max_duration_us,
    )
    .correlate(_BUCKET_TABLE)
    .scalar_subquery(),
).where(_BUCKETS.user_id == bindparam("u", type_=BigInteger))
_BUCKET_LIST = _BUCKET_ROWS.order_by(_BUCKETS.name)
_BUCKET_NAMED = _BUCKET_ROWS.where(_BUCKETS.name == bindparam("name", type_=String))
_BUCKET_KEY = select(_BUCKETS.id).where(
    _BUCKETS.user_id == bindparam("u", type_=BigInteger),
    _BUCKETS.name == bindparam("name", type_=String),
)

# Events of bucket :b overlapping [:s, :e]. The lower bound on start_us (the bucket's longest
# event) keeps the scan on the (bucket_id, start_us) index: one day reads one day of rows.
_LONGEST = select(_BUCKETS.max_duration_us).where(_BUCKETS.id == _BUCKET).scalar_subquery()
_OVERLAPS = and_(
    _EVENTS.bucket_id == _BUCKET,
    _EVENTS.start_us <= _END,
    _EVENTS.start_us >= _START - _LONGEST,
    _EVENTS.end_us >= _START,
)
_NEWEST_FIRST = (_EVENTS.start_us.desc(), _EVENTS.id.desc())
_CLIPPED_START = greatest(_EVENTS.start_us, _START)
_CLIPPED_END = least(_EVENTS.end_us, _END)
_RANGE = (
    select(_EVENTS.id, _CLIPPED_START, _CLIPPED_END, _EVENTS.tz_offset_s, _EVENTS.data)
    .where(_OVERLAPS)
    .order_by(*_NEWEST_FIRST)
)
# By whether the read has a limit. The range reads are measured hot paths (the API's GET
# events, the views): prepared (``sql_dialect.Prepared``, figures there).
_RANGE_READS = {False: Prepared(_RANGE), True: Prepared(_RANGE.limit(_LIMIT))}


def _bucket_from_row(row: Any) -> BucketInfo:
    return BucketInfo(
        key=int(row[0]),
        name=row[1],
        type=row[2],
        client=row[3],
        hostname=row[4],
        created_us=int(row[5]),
        data=jsoncodec.loads(row[6]) if row[6] else {},
        first_us=None if row[7] is None else int(row[7]),
        last_us=None if row[8] is None else int(row[8]),
    )


def list_buckets(conn: Connection, user_id: int) -> list[BucketInfo]:
    """All buckets of a user, with the time span of their events."""
    rows = conn.execute(_BUCKET_LIST, {"u": user_id}).all()
    return [_bucket_from_row(r) for r in rows]


def get_bucket(conn: Connection, user_id: int, name: str) -> BucketInfo:
    """One bucket by its id (name); NotFoundError when this user has no such bucket."""
    row = conn.execute(_BUCKET_NAMED, {"u": user_id, "name": name}).first()
    if row is None:
        raise NotFoundError(f"There is no bucket named {name!r}.")
    return _bucket_from_row(row)


def bucket_key(conn: Connection, user_id: int, name: str) -> int:
    """The internal key of a bucket; NotFoundError when this user has no such bucket."""
    row = conn.execute(_BUCKET_KEY, {"u": user_id, "name": name}).first()
    if row is None:
        raise NotFoundError(f"There is no bucket named {name!r}.")
    return int(row[0])


def user_id(conn: Connection, name: str) -> int | None:
    """The id of the user named ``name``; None when there is none."""
    found = conn.execute(select(models.User.id).where(models.User.name == name)).scalar()
    return None if found is None else int(found)


def bucket_owner(conn: Connection, key: int) -> tuple[int, str] | None:
    """(user id, bucket name) of the bucket with internal key ``key``; None when gone."""
    row = conn.execute(select(_BUCKETS.user_id, _BUCKETS.name).where(_BUCKETS.id == key)).first()
    return None if row is None else (int(row[0]), str(row[1]))


def bucket_names(conn: Connection, user_id: int) -> list[str]:
    """The names of a user's buckets, sorted."""
    query = select(_BUCKETS.name).where(_BUCKETS.user_id == user_id).order_by(_BUCKETS.name)
    return [str(row[0]) for row in conn.execute(query)]


def bucket_hostname(conn: Connection, key: int) -> str:
    """The hostname of the bucket with internal key ``key``."""
    return str(conn.execute(select(_BUCKETS.hostname).where(_BUCKETS.id == key)).scalar_one())


def bucket_kinds(conn: Connection, user_id: int) -> list[tuple[int, str, str, str]]:
    """(key, name, type, hostname) of each of a user's buckets (no event bounds: cheap)."""
    query = select(_BUCKETS.id, _BUCKETS.name, _BUCKETS.type, _BUCKETS.hostname).where(
        _BUCKETS.user_id == user_id
    )
    return [(int(k), str(n), str(t), str(h or "")) for k, n, t, h in conn.execute(query)]


def first_event_start(conn: Connection, user_id: int) -> int | None:
    """When a user's oldest event starts (UTC microseconds); None without events.

    One index lookup per bucket (the minimum of (bucket_id, start_us)), not a scan."""
    per_bucket = (
        select(func.min(_EVENTS.start_us))
        .where(_EVENTS.bucket_id == _BUCKETS.id)
        .scalar_subquery()
        .label("first")
    )
    firsts = select(per_bucket).where(_BUCKETS.user_id == user_id).subquery()
    found = conn.execute(select(func.min(firsts.c.first))).scalar()
    return None if found is None else int(found)


def get_events(
    conn: Connection,
    bucket: int,
    start_us: int | None = None,
    end_us: int | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Events overlapping [start, end], clipped to it, newest first; ``limit`` after the range.

    ``limit`` None or negative means all; 0 gives [].
    """
    if limit == 0:
        return []
    params, limited = _range_params(bucket, start_us, end_us, limit)
    rows = _RANGE_READS[limited].rows(conn, params)
    loads = jsoncodec.loads
    return [Event(r[1], r[2], loads(r[4]), r[0], r[3]) for r in rows]


# The wire form of a range read: (id, start, duration, data) of the same rows in the same
# order, the start within what ISO 8601 text can hold (rows stored before the time range check
# may lie beyond it: their timestamps are written at the nearest representable time, as
# format_iso does). SQLite assembles the JSON text itself (``sql_dialect.event_json_array``).
def _wire_rows(limited: bool) -> Subquery:
    rows = select(
        _EVENTS.id,
        _CLIPPED_START.label("s"),
        (_CLIPPED_END - _CLIPPED_START).label("d"),
        _EVENTS.data,
    ).where(_OVERLAPS)
    rows = rows.order_by(*_NEWEST_FIRST)
    if limited:
        rows = rows.limit(_LIMIT)
    inner = rows.subquery("clipped")
    c = inner.c
    representable = least(greatest(c.s, constant(_REPRESENTABLE[0])), constant(_REPRESENTABLE[1]))
    return select(c.id, representable.label("s"), c.d, c.data).subquery("wire")


_EVENTS_JSON = {
    limited: Prepared(event_json_array(_wire_rows(limited))) for limited in (False, True)
}


def events_json(
    conn: Connection,
    bucket: int,
    start_us: int | None = None,
    end_us: int | None = None,
    limit: int | None = None,
) -> str:
    """``get_events`` as the API's JSON array text (id, timestamp, duration, data per event).

    Same rows in the same order as ``get_events``; ``data`` is the stored text, never parsed.
    SQLite builds the text (one string, no Python object per event); other engines give the
    rows to ``events_json_encoded``.
    """
    if not builds_event_json(conn):
        return events_json_encoded(conn, bucket, start_us, end_us, limit)
    if limit == 0:
        return "[]"
    params, limited = _range_params(bucket, start_us, end_us, limit)
    return str(_EVENTS_JSON[limited].rows(conn, params)[0][0])


def _decimal_seconds(us: int) -> str:
    """``us`` as SQLite's ``event_json_array`` writes a duration (exact, trailing zeros
    dropped; integer division and remainder truncated toward zero, as SQLite's)."""
    whole, part = divmod(abs(us), 1_000_000)
    if us < 0:
        whole, part = -whole, -part
    fraction = f"{part:06d}".rstrip("0") or "0"  # as printf('%06d'), also below zero
    return f"{whole}.{fraction}"


def events_json_encoded(
    conn: Connection,
    bucket: int,
    start_us: int | None = None,
    end_us: int | None = None,
    limit: int | None = None,
) -> str:
    """``events_json`` on any engine: the rows read with ``get_events``'s statement and
    encoded here, the same text byte for byte."""
    if limit == 0:
        return "[]"
    params, limited = _range_params(bucket, start_us, end_us, limit)
    rows = _RANGE_READS[limited].rows(conn, params)
    return (
        "["
        + ",".join(
            f'{{"id":{i},"timestamp":"{format_iso(s)}",'
            f'"duration":{_decimal_seconds(e - s)},"data":{d}}}'
            for i, s, e, _tz, d in rows
        )
        + "]"
    )


_COUNT = select(func.count()).select_from(_EVENT_TABLE)
_COUNT_BUCKET = _COUNT.where(_EVENTS.bucket_id == _BUCKET)
_COUNT_OVERLAPS = _COUNT.where(_OVERLAPS)


def count_events(
    conn: Connection, bucket: int, start_us: int | None = None, end_us: int | None = None
) -> int:
    """How many events overlap [start, end]."""
    if start_us is None and end_us is None:
        return int(conn.execute(_COUNT_BUCKET, {"b": bucket}).scalar_one())
    params, _ = _range_params(bucket, start_us, end_us, None)
    return int(conn.execute(_COUNT_OVERLAPS, params).scalar_one())


def _range_params(
    bucket: int, start_us: int | None, end_us: int | None, limit: int | None
) -> tuple[dict[str, int], bool]:
    """Parameters for ``_OVERLAPS`` (open ends widened) and the limit, if any (and whether
    there is one)."""
    params = {
        "b": bucket,
        "s": FAR_PAST_US if start_us is None else start_us,
        "e": FAR_FUTURE_US if end_us is None else end_us,
    }
    if limit is None or limit < 0:
        return params, False
    params["limit"] = limit
    return params, True


_ONE_EVENT = select(
    _EVENTS.id, _EVENTS.start_us, _EVENTS.end_us, _EVENTS.tz_offset_s, _EVENTS.data
).where(_EVENTS.id == bindparam("id", type_=BigInteger), _EVENTS.bucket_id == _BUCKET)


def get_event(conn: Connection, bucket: int, event_id: int) -> Event:
    """One event of a bucket; NotFoundError for a missing id or one of another bucket."""
    row = conn.execute(_ONE_EVENT, {"id": event_id, "b": bucket}).first()
    if row is None:
        raise NotFoundError(f"There is no event {event_id} in this bucket.")
    return Event(row[1], row[2], jsoncodec.loads(row[4]), row[0], row[3])


def total_events(conn: Connection) -> int:
    """Events in the whole store (all users)."""
    return int(conn.execute(_COUNT).scalar_one())


def _fingerprint(start_us: int, end_us: int, data: dict[str, Any]) -> tuple[int, int, str]:
    return start_us, end_us, json.dumps(data, sort_keys=True, separators=(",", ":"))


_STARTING_WITHIN = select(_EVENTS.start_us, _EVENTS.end_us, _EVENTS.data).where(
    _EVENTS.bucket_id == _BUCKET, _EVENTS.start_us >= _START, _EVENTS.start_us <= _END
)


def split_new_events(
    conn: Connection, *, key: int, events: list[Event]
) -> tuple[list[Event], int, int]:
    """(events to store, how many are stored already, how many repeat one earlier in the list).

    Imports skip events equal in (start, end, data) to stored ones, and store exact repeats
    within one file once, so importing a file twice changes nothing.
    """
    if not events:
        return [], 0, 0
    low = min(e.start_us for e in events)
    high = max(e.start_us for e in events)
    rows = conn.execute(_STARTING_WITHIN, {"b": key, "s": low, "e": high}).all()
    stored = {_fingerprint(int(r[0]), int(r[1]), json.loads(r[2])) for r in rows}
    seen: set[tuple[int, int, str]] = set()
    fresh = []
    present = repeated = 0
    for event in events:
        fp = _fingerprint(event.start_us, event.end_us, event.data)
        if fp in seen:
            repeated += 1
        elif fp in stored:
            present += 1
            seen.add(fp)
        else:
            seen.add(fp)
            fresh.append(event)
    return fresh, present, repeated


# Events of bucket :b that start in [:s, :e), oldest first, whole (not clipped): the sync's
# ranges (``core.sync.ranges``) are ranges of starts, so an event belongs to exactly one.
_STARTING_IN = (
    select(_EVENTS.id, _EVENTS.start_us, _EVENTS.end_us, _EVENTS.tz_offset_s, _EVENTS.data)
    .where(_EVENTS.bucket_id == _BUCKET, _EVENTS.start_us >= _START, _EVENTS.start_us < _END)
    .order_by(_EVENTS.start_us, _EVENTS.id)
)
_STARTING_IN_LIMITED = _STARTING_IN.limit(_LIMIT)
_COUNT_STARTING_IN = _COUNT.where(
    _EVENTS.bucket_id == _BUCKET, _EVENTS.start_us >= _START, _EVENTS.start_us < _END
)


def events_starting(
    conn: Connection,
    bucket: int,
    start_us: int | None = None,
    end_us: int | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Events that start in [start, end) (open ends: all), oldest first, not clipped;
    at most ``limit`` (None or negative: all)."""
    params, limited = _range_params(bucket, start_us, end_us, limit)
    rows = conn.execute(_STARTING_IN_LIMITED if limited else _STARTING_IN, params).all()
    loads = jsoncodec.loads
    return [Event(int(r[1]), int(r[2]), loads(r[4]), int(r[0]), r[3]) for r in rows]


def count_starting(
    conn: Connection, bucket: int, start_us: int | None = None, end_us: int | None = None
) -> int:
    """How many events start in [start, end) (open ends: all)."""
    params, _ = _range_params(bucket, start_us, end_us, None)
    return int(conn.execute(_COUNT_STARTING_IN, params).scalar_one())
