"""The read side: buckets and events as the API, GUI and query engine need them.

Functions take a SQLAlchemy ``Connection`` (the caller owns it: one per request or job) and
return plain ``core.event`` objects. Range reads use the (bucket_id, start_us) index bounded
below by the bucket's longest event, so a one-day read touches one day of rows however long
the history is.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select
from timelygator.core import jsoncodec, models
from timelygator.core.errors import NotFoundError
from timelygator.core.event import BucketInfo, Event

# 0001-01-01T00:00:00 and 9999-12-31T23:59:59.999999 UTC: what ISO 8601 text can hold.
_REPRESENTABLE = (-62_135_596_800_000_000, 253_402_300_799_999_999)
# Beyond any real timestamp; used for open-ended ranges.
FAR_PAST_US = -(2**62)
FAR_FUTURE_US = 2**62

_BUCKET_COLUMNS = (
    "b.id, b.name, b.type, b.client, b.hostname, b.created_us, b.data, "
    "(SELECT min(start_us) FROM events WHERE bucket_id = b.id), "
    # The latest end is among the events starting within the bucket's longest event of its
    # latest start: an index range, not a scan of every event (there is no end_us index).
    "(SELECT max(end_us) FROM events WHERE bucket_id = b.id AND start_us >= "
    "(SELECT max(start_us) FROM events WHERE bucket_id = b.id) - b.max_duration_us)"
)

# Events of bucket :b overlapping [:s, :e]. The lower bound on start_us (the bucket's longest
# event) keeps the scan on the (bucket_id, start_us) index: one day reads one day of rows.
_OVERLAPS = (
    "bucket_id = :b AND start_us <= :e "
    "AND start_us >= :s - (SELECT max_duration_us FROM buckets WHERE id = :b) "
    "AND end_us >= :s"
)
_RANGE_SQL = (
    "SELECT id, max(start_us, :s), min(end_us, :e), tz_offset_s, data FROM events "  # noqa: S608
    f"WHERE {_OVERLAPS} ORDER BY start_us DESC, id DESC"
)


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
    rows = conn.exec_driver_sql(
        f"SELECT {_BUCKET_COLUMNS} FROM buckets b WHERE b.user_id = ? ORDER BY b.name",  # noqa: S608
        (user_id,),
    ).all()
    return [_bucket_from_row(r) for r in rows]


def get_bucket(conn: Connection, user_id: int, name: str) -> BucketInfo:
    """One bucket by its id (name); NotFoundError when this user has no such bucket."""
    row = conn.exec_driver_sql(
        f"SELECT {_BUCKET_COLUMNS} FROM buckets b WHERE b.user_id = ? AND b.name = ?",  # noqa: S608
        (user_id, name),
    ).first()
    if row is None:
        raise NotFoundError(f"There is no bucket named {name!r}.")
    return _bucket_from_row(row)


def bucket_key(conn: Connection, user_id: int, name: str) -> int:
    """The internal key of a bucket; NotFoundError when this user has no such bucket."""
    row = conn.exec_driver_sql(
        "SELECT id FROM buckets WHERE user_id = ? AND name = ?", (user_id, name)
    ).first()
    if row is None:
        raise NotFoundError(f"There is no bucket named {name!r}.")
    return int(row[0])


_BUCKETS = models.Bucket.__table__.c
_EVENTS = models.Event.__table__.c


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
    params, tail = _range_params(bucket, start_us, end_us, limit)
    rows = conn.exec_driver_sql(_RANGE_SQL + tail, params).all()
    loads = jsoncodec.loads
    return [Event(r[1], r[2], loads(r[4]), r[0], r[3]) for r in rows]


# The wire form of a range read, built by SQLite: one text, no Python object per event, and
# the stored ``data`` text spliced in as it is. Timestamps as ``timeutil.format_iso`` writes
# them (UTC, microseconds, "+00:00"; seconds floored, also before 1970); durations as exact
# decimals with trailing zeros dropped (the same numbers as ``(end - start) / 1e6``).
_EVENTS_JSON_SQL = (
    "SELECT '[' || coalesce(group_concat("  # noqa: S608 - constant text only
    '\'{"id":\' || id || \',"timestamp":"\' '
    "|| strftime('%Y-%m-%dT%H:%M:%S', (s - f) / 1000000, 'unixepoch') "
    "|| printf('.%06d+00:00', f) "
    "|| '\",\"duration\":' || (d / 1000000) || '.' "
    "|| coalesce(nullif(rtrim(printf('%06d', d % 1000000), '0'), ''), '0') "
    "|| ',\"data\":' || data || '}', ','), '') || ']' "
    "FROM (SELECT id, s, ((s % 1000000) + 1000000) % 1000000 AS f, d, data FROM ("
    # Rows stored before the time range check may lie beyond what ISO 8601 text can say:
    # their timestamps are written at the nearest representable time, as format_iso does.
    f"SELECT id, min(max(s, {_REPRESENTABLE[0]}), {_REPRESENTABLE[1]}) AS s, d, data FROM ("
    "SELECT id, max(start_us, :s) AS s, min(end_us, :e) - max(start_us, :s) AS d, data "
    f"FROM events WHERE {_OVERLAPS} ORDER BY start_us DESC, id DESC"
)


def events_json(
    conn: Connection,
    bucket: int,
    start_us: int | None = None,
    end_us: int | None = None,
    limit: int | None = None,
) -> str:
    """``get_events`` as the API's JSON array text (id, timestamp, duration, data per event).

    Same rows in the same order as ``get_events``; ``data`` is the stored text, never parsed.
    """
    if limit == 0:
        return "[]"
    params, tail = _range_params(bucket, start_us, end_us, limit)
    # The outer aggregate keeps the subquery's order (SQLite drops a subquery's ORDER BY
    # only under an outer ORDER BY or a join; tests check the order).
    return str(conn.exec_driver_sql(_EVENTS_JSON_SQL + tail + ")))", params).scalar_one())


def count_events(
    conn: Connection, bucket: int, start_us: int | None = None, end_us: int | None = None
) -> int:
    """How many events overlap [start, end]."""
    if start_us is None and end_us is None:
        sql = "SELECT count(*) FROM events WHERE bucket_id = ?"
        return int(conn.exec_driver_sql(sql, (bucket,)).scalar_one())
    params, _ = _range_params(bucket, start_us, end_us, None)
    sql = f"SELECT count(*) FROM events WHERE {_OVERLAPS}"  # noqa: S608 - constant text
    return int(conn.exec_driver_sql(sql, params).scalar_one())


def _range_params(
    bucket: int, start_us: int | None, end_us: int | None, limit: int | None
) -> tuple[dict[str, int], str]:
    """Parameters for ``_OVERLAPS`` (open ends widened) and the LIMIT clause, if any."""
    params = {
        "b": bucket,
        "s": FAR_PAST_US if start_us is None else start_us,
        "e": FAR_FUTURE_US if end_us is None else end_us,
    }
    if limit is None or limit < 0:
        return params, ""
    params["limit"] = limit
    return params, " LIMIT :limit"


def get_event(conn: Connection, bucket: int, event_id: int) -> Event:
    """One event of a bucket; NotFoundError for a missing id or one of another bucket."""
    row = conn.exec_driver_sql(
        "SELECT id, start_us, end_us, tz_offset_s, data FROM events WHERE id = ? AND bucket_id = ?",
        (event_id, bucket),
    ).first()
    if row is None:
        raise NotFoundError(f"There is no event {event_id} in this bucket.")
    return Event(row[1], row[2], jsoncodec.loads(row[4]), row[0], row[3])


def total_events(conn: Connection) -> int:
    """Events in the whole store (all users)."""
    return int(conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one())


def _fingerprint(start_us: int, end_us: int, data: dict[str, Any]) -> tuple[int, int, str]:
    return start_us, end_us, json.dumps(data, sort_keys=True, separators=(",", ":"))


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
    rows = conn.exec_driver_sql(
        "SELECT start_us, end_us, data FROM events "
        "WHERE bucket_id = ? AND start_us >= ? AND start_us <= ?",
        (key, low, high),
    ).all()
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
