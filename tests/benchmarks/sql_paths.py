#!/usr/bin/env python3
"""The read paths' SQL: SQLAlchemy Core statements vs the hand-written SQL they replaced.

One encrypted store (``dataset``'s realistic days, ~100k events by default) in a temporary
folder; in every case the variants run in turn, the order rotating repeat by repeat, on the
same connection and data, and are reported as medians (wall-clock and CPU milliseconds) with
ratios to the old one (< 1: faster than the hand-written SQL):

- ``old``: the hand-written SQL and the code that ran it, kept below as the reference
  (``old_*``), as they were in ``core/reader.py``, ``core/analytics/values.py`` and
  ``core/query/store_source.py``;
- ``new``: the module's function as it is now (Core statements; the hot ones prepared with
  ``core.sql_dialect.Prepared``);
- ``core`` (hot statements only): the same Core statement run the usual way
  (``Connection.execute``; an expanding ``IN`` list for the value lookups): why the hot
  ones are prepared;
- ``returning`` (new values): the ids of new values given by a prepared INSERT … RETURNING,
  as on engines other than SQLite: why SQLite works them out first.

The variants must also agree: the script checks they give the same results (same events,
same JSON text, same ids) before timing them.

Usage: python tests/benchmarks/sql_paths.py [--events 100000] [--repeats 31] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset
from sqlalchemy import Connection, bindparam, insert, select
from timelygator.core import jsoncodec, reader
from timelygator.core.analytics import values as values_module
from timelygator.core.analytics.values import ValueDictionary
from timelygator.core.event import BucketInfo, Event
from timelygator.core.paths import resolve_dirs
from timelygator.core.query import store_source
from timelygator.core.query.store_source import StoreDataSource
from timelygator.core.runtime import tune_gc
from timelygator.core.services import Services

PASSPHRASE = "benchmark-passphrase"
FIRST = date(2024, 3, 4)  # a Monday
S = 1_000_000
H = 3600 * S

# -- the reference: the hand-written SQL as it was ------------------------------------------
_REPRESENTABLE = (-62_135_596_800_000_000, 253_402_300_799_999_999)
_OLD_BUCKET_COLUMNS = (
    "b.id, b.name, b.type, b.client, b.hostname, b.created_us, b.data, "
    "(SELECT min(start_us) FROM events WHERE bucket_id = b.id), "
    "(SELECT max(end_us) FROM events WHERE bucket_id = b.id AND start_us >= "
    "(SELECT max(start_us) FROM events WHERE bucket_id = b.id) - b.max_duration_us)"
)
_OLD_OVERLAPS = (
    "bucket_id = :b AND start_us <= :e "
    "AND start_us >= :s - (SELECT max_duration_us FROM buckets WHERE id = :b) "
    "AND end_us >= :s"
)
_OLD_RANGE_SQL = (
    "SELECT id, max(start_us, :s), min(end_us, :e), tz_offset_s, data FROM events "
    f"WHERE {_OLD_OVERLAPS} ORDER BY start_us DESC, id DESC"
)
_OLD_EVENTS_JSON_SQL = (
    "SELECT '[' || coalesce(group_concat("
    '\'{"id":\' || id || \',"timestamp":"\' '
    "|| strftime('%Y-%m-%dT%H:%M:%S', (s - f) / 1000000, 'unixepoch') "
    "|| printf('.%06d+00:00', f) "
    "|| '\",\"duration\":' || (d / 1000000) || '.' "
    "|| coalesce(nullif(rtrim(printf('%06d', d % 1000000), '0'), ''), '0') "
    "|| ',\"data\":' || data || '}', ','), '') || ']' "
    "FROM (SELECT id, s, ((s % 1000000) + 1000000) % 1000000 AS f, d, data FROM ("
    f"SELECT id, min(max(s, {_REPRESENTABLE[0]}), {_REPRESENTABLE[1]}) AS s, d, data FROM ("
    "SELECT id, max(start_us, :s) AS s, min(end_us, :e) - max(start_us, :s) AS d, data "
    f"FROM events WHERE {_OLD_OVERLAPS} ORDER BY start_us DESC, id DESC"
)
_OLD_SOURCE_RANGE_SQL = (
    "SELECT id, max(start_us, :s), min(end_us, :e), tz_offset_s, data FROM events "
    "WHERE bucket_id = :b AND start_us < :e "
    "AND start_us >= :s - (SELECT max_duration_us FROM buckets WHERE id = :b) "
    "AND (end_us > :s OR (end_us = start_us AND start_us >= :s)) "
    "ORDER BY start_us DESC, id DESC"
)
_OLD_SOURCE_COUNT_SQL = (
    "SELECT count(*) FROM events "
    "WHERE bucket_id = :b AND start_us < :e "
    "AND start_us >= :s - (SELECT max_duration_us FROM buckets WHERE id = :b) "
    "AND (end_us > :s OR (end_us = start_us AND start_us >= :s))"
)


def _old_params(bucket: int, start: int | None, end: int | None, limit: int | None) -> Any:
    params = {
        "b": bucket,
        "s": reader.FAR_PAST_US if start is None else start,
        "e": reader.FAR_FUTURE_US if end is None else end,
    }
    if limit is None or limit < 0:
        return params, ""
    params["limit"] = limit
    return params, " LIMIT :limit"


def old_get_events(
    conn: Connection, bucket: int, start: int | None, end: int | None, limit: int | None
) -> list[Event]:
    if limit == 0:
        return []
    params, tail = _old_params(bucket, start, end, limit)
    rows = conn.exec_driver_sql(_OLD_RANGE_SQL + tail, params).all()
    loads = jsoncodec.loads
    return [Event(r[1], r[2], loads(r[4]), r[0], r[3]) for r in rows]


def old_events_json(
    conn: Connection, bucket: int, start: int | None, end: int | None, limit: int | None
) -> str:
    if limit == 0:
        return "[]"
    params, tail = _old_params(bucket, start, end, limit)
    return str(conn.exec_driver_sql(_OLD_EVENTS_JSON_SQL + tail + ")))", params).scalar_one())


def old_count_events(conn: Connection, bucket: int, start: int | None, end: int | None) -> int:
    params, _ = _old_params(bucket, start, end, None)
    sql = f"SELECT count(*) FROM events WHERE {_OLD_OVERLAPS}"
    return int(conn.exec_driver_sql(sql, params).scalar_one())


def old_list_buckets(conn: Connection, user_id: int) -> list[BucketInfo]:
    rows = conn.exec_driver_sql(
        f"SELECT {_OLD_BUCKET_COLUMNS} FROM buckets b WHERE b.user_id = ? ORDER BY b.name",
        (user_id,),
    ).all()
    return [reader._bucket_from_row(r) for r in rows]


def old_get_event(conn: Connection, bucket: int, event_id: int) -> Event:
    row = conn.exec_driver_sql(
        "SELECT id, start_us, end_us, tz_offset_s, data FROM events WHERE id = ? AND bucket_id = ?",
        (event_id, bucket),
    ).first()
    assert row is not None
    return Event(row[1], row[2], jsoncodec.loads(row[4]), row[0], row[3])


def old_bucket_key(conn: Connection, user_id: int, name: str) -> int:
    row = conn.exec_driver_sql(
        "SELECT id FROM buckets WHERE user_id = ? AND name = ?", (user_id, name)
    ).first()
    assert row is not None
    return int(row[0])


def old_source_events(conn: Connection, key: int, start: int, end: int) -> list[Event]:
    """``StoreDataSource.bucket_events`` as it was (a fresh source: no parsed data cached)."""
    params = {"b": key, "s": start, "e": end}
    result = conn.exec_driver_sql(_OLD_SOURCE_RANGE_SQL, params)
    try:
        rows: Sequence[Any] = result.cursor.fetchall()
    finally:
        result.close()
    parsed: dict[str, Any] = {}
    for text in {r[4] for r in rows}.difference(parsed):
        parsed[text] = json.loads(text)
    return [Event(s, e, parsed[d], i, tz) for i, s, e, tz, d in rows]


def old_source_count(conn: Connection, key: int, start: int, end: int) -> int:
    params = {"b": key, "s": start, "e": end}
    return int(conn.exec_driver_sql(_OLD_SOURCE_COUNT_SQL, params).scalar_one())


def old_values_load(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
    """``ValueDictionary.load`` as it was (of a new dictionary, as ``new_values_load``)."""
    values = ValueDictionary()
    found: dict[int, str] = {}
    wanted = sorted(set(ids))
    low, high = wanted[0], wanted[-1]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if len(wanted) * 5 >= (high - low + 1) * 4:
            cursor.execute(
                "SELECT id, data FROM analytics_values WHERE id BETWEEN ? AND ?", (low, high)
            )
            keep = set(wanted)
            found = {i: d for i, d in cursor.fetchall() if i in keep}
        else:
            for at in range(0, len(wanted), 500):
                chunk = wanted[at : at + 500]
                marks = ",".join("?" * len(chunk))
                cursor.execute(
                    f"SELECT id, data FROM analytics_values WHERE id IN ({marks})",
                    chunk,
                )
                found.update(cursor.fetchall())
    finally:
        cursor.close()
    values.learn({d: i for i, d in found.items()})
    return found


def old_values_assign(conn: Connection, user_id: int, texts: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    missing = list(set(texts))
    for at in range(0, len(missing), 500):
        chunk = missing[at : at + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.exec_driver_sql(
            f"SELECT id, data FROM analytics_values WHERE user_id = ? AND data IN ({marks})",
            (user_id, *chunk),
        ).all()
        out.update((str(d), int(i)) for i, d in rows)
    new = [t for t in missing if t not in out]
    if new:
        top = conn.exec_driver_sql(
            "SELECT max(coalesce((SELECT max(id) FROM analytics_values), 0), coalesce("
            "(SELECT seq FROM sqlite_sequence WHERE name = 'analytics_values'), 0))"
        ).scalar()
        first = int(top or 0) + 1
        rows_new = [(first + n, user_id, t) for n, t in enumerate(new)]
        conn.exec_driver_sql(
            "INSERT INTO analytics_values (id, user_id, data) VALUES (?, ?, ?)", rows_new
        )
        out.update((t, i) for i, _u, t in rows_new)
    return out


# The value dictionary's lookups as plain Core would run them (expanding IN lists).
_V = values_module.VALUES.c
_CORE_TEXTS_OF = select(_V.id, _V.data).where(_V.id.in_(bindparam("ids", expanding=True)))
_CORE_IDS_OF = select(_V.id, _V.data).where(
    _V.user_id == bindparam("user"), _V.data.in_(bindparam("texts", expanding=True))
)
_CORE_ADD = insert(values_module.VALUES).returning(_V.id, _V.data)


def core_values_load(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
    values = ValueDictionary()
    wanted = sorted(set(ids))
    low, high = wanted[0], wanted[-1]
    if len(wanted) * 5 >= (high - low + 1) * 4:
        keep = set(wanted)
        rows = conn.execute(
            values_module._TEXTS_IN_RANGE.statement, {"low": low, "high": high}
        ).all()
        found = {i: d for i, d in rows if i in keep}
    else:
        found = {}
        for at in range(0, len(wanted), 500):
            found.update(conn.execute(_CORE_TEXTS_OF, {"ids": wanted[at : at + 500]}).all())
    values.learn({d: i for i, d in found.items()})
    return found


def core_values_assign(conn: Connection, user_id: int, texts: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    missing = list(set(texts))
    for at in range(0, len(missing), 500):
        chunk = missing[at : at + 500]
        rows = conn.execute(_CORE_IDS_OF, {"user": user_id, "texts": chunk})
        out.update((str(d), int(i)) for i, d in rows)
    new = [t for t in missing if t not in out]
    if new:
        added = conn.execute(_CORE_ADD, [{"user_id": user_id, "data": t} for t in new])
        out.update((str(d), int(i)) for i, d in added)
    return out


def returning_values_assign(conn: Connection, user_id: int, texts: Sequence[str]) -> dict[str, int]:
    """``ValueDictionary.assign`` with the new values inserted as other engines than SQLite
    insert them (prepared INSERT … RETURNING)."""
    missing = list(set(texts))
    known = values_module._IDS_OF.rows(conn, {"user": user_id}, values=missing)
    out = {str(d): int(i) for i, d in known}
    new = [t for t in missing if t not in out]
    added = values_module._ADD_RETURNING.rows(conn, {"user": user_id}, values=new)
    out.update((str(d), int(i)) for i, d in added)
    return out


def new_values_load(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
    """``ValueDictionary.load`` of a new dictionary (nothing cached)."""
    return ValueDictionary().load(conn, ids)


# -- the store and the timing ----------------------------------------------------------------
def build_store(path: Path, events: int, seed: int) -> tuple[int, date]:
    """Days of ``dataset`` until ``events`` are stored; (events, the busiest day)."""
    catalog = dataset.build_catalog(seed)
    with Services.open(resolve_dirs(path), PASSPHRASE) as services:
        keys = dataset.ensure_buckets(services)
        total, day, busiest, most = 0, FIRST, FIRST, 0
        while total < events:
            generated = dataset.day_events(day, seed, catalog)
            for name, day_events in generated.by_bucket().items():
                if day_events:
                    services.writer.insert_events(keys[name], day_events).result()
            if len(generated.window) > most:
                busiest, most = day, len(generated.window)
            total += generated.count()
            day = date.fromordinal(day.toordinal() + 1)
    return total, busiest


def interleaved(
    old: Callable[[], Any],
    new: Callable[[], Any],
    repeats: int,
    *,
    core: Callable[[], Any] | None = None,
    extra: dict[str, Callable[[], Any]] | None = None,
    self_timed: bool = False,
) -> dict[str, float | int]:
    """Medians of ``old`` and ``new`` (and ``core``: the same statement as ``new`` executed
    by SQLAlchemy the usual way, ``Connection.execute``) run in turn, the order rotating
    repeat by repeat, after one untimed run of each (compiled-statement caches warm):
    wall-clock milliseconds, and the CPU milliseconds of the thread that ran them
    (``*_cpu_ms``: what the work cost, without the time other processes had the CPU; steadier
    on a busy machine). ``self_timed``: each returns (wall seconds, CPU seconds, result)."""
    variants = {"old": old, "new": new}
    if core is not None:
        variants["core"] = core
    variants.update(extra or {})
    for fn in variants.values():
        fn()
    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for n in range(repeats):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            started, started_cpu = time.perf_counter(), time.thread_time()
            got = variants[name]()
            if self_timed:
                wall[name].append(got[0] * 1000)
                cpu[name].append(got[1] * 1000)
            else:
                wall[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((time.thread_time() - started_cpu) * 1000)
    out: dict[str, float | int] = {}
    for name in names:
        out[f"{name}_ms"] = round(statistics.median(wall[name]), 4)
        out[f"{name}_cpu_ms"] = round(statistics.median(cpu[name]), 4)
    for name in names[1:]:
        out[f"{name}_over_old"] = round(out[f"{name}_ms"] / out["old_ms"], 3)
        out[f"{name}_over_old_cpu"] = round(out[f"{name}_cpu_ms"] / out["old_cpu_ms"], 3)
    out["repeats"] = repeats
    return out


def same(old: Any, new: Any, what: str) -> None:
    if old != new:
        raise SystemExit(f"{what}: the new statement gives another result than the old one")


def reader_cases(
    conn: Connection, user: int, key: int, day_start: int, repeats: int
) -> dict[str, Any]:
    ranges = {
        "hour": (day_start + 10 * H, day_start + 11 * H, None),
        "day": (day_start, day_start + 24 * H, None),
        "all": (None, None, None),
        "newest_100": (None, None, 100),
    }
    out: dict[str, Any] = {}
    for name, (start, end, limit) in ranges.items():

        def old_read(a: Any = start, b: Any = end, n: Any = limit) -> Any:
            return old_get_events(conn, key, a, b, n)

        def new_read(a: Any = start, b: Any = end, n: Any = limit) -> Any:
            return reader.get_events(conn, key, a, b, n)

        def old_wire(a: Any = start, b: Any = end, n: Any = limit) -> Any:
            return old_events_json(conn, key, a, b, n)

        def new_wire(a: Any = start, b: Any = end, n: Any = limit) -> Any:
            return reader.events_json(conn, key, a, b, n)

        def core_read(a: Any = start, b: Any = end, n: Any = limit) -> Any:
            params, limited = reader._range_params(key, a, b, n)
            rows = conn.execute(reader._RANGE_READS[limited].statement, params).all()
            loads = jsoncodec.loads
            return [Event(r[1], r[2], loads(r[4]), r[0], r[3]) for r in rows]

        def core_wire(a: Any = start, b: Any = end, n: Any = limit) -> Any:
            params, limited = reader._range_params(key, a, b, n)
            return conn.execute(reader._EVENTS_JSON[limited].statement, params).scalar_one()

        events = old_read()
        same(events, new_read(), f"get_events {name}")
        same(old_wire(), new_wire(), f"events_json {name}")
        same(old_wire(), reader.events_json_encoded(conn, key, start, end, limit), name)
        same(events, core_read(), name)
        same(old_wire(), core_wire(), name)
        out[f"get_events_{name}"] = {
            "events": len(events),
            **interleaved(old_read, new_read, repeats, core=core_read),
        }
        out[f"events_json_{name}"] = interleaved(old_wire, new_wire, repeats, core=core_wire)
    start, end, _ = ranges["day"]
    same(old_count_events(conn, key, start, end), reader.count_events(conn, key, start, end), "n")
    out["count_events_day"] = interleaved(
        lambda: old_count_events(conn, key, start, end),
        lambda: reader.count_events(conn, key, start, end),
        repeats,
    )
    same(old_list_buckets(conn, user), reader.list_buckets(conn, user), "list_buckets")
    out["list_buckets"] = interleaved(
        lambda: old_list_buckets(conn, user), lambda: reader.list_buckets(conn, user), repeats
    )
    some = reader.get_events(conn, key, start, end, 1)[0].id or 0
    same(old_get_event(conn, key, some), reader.get_event(conn, key, some), "get_event")
    out["get_event"] = interleaved(
        lambda: old_get_event(conn, key, some), lambda: reader.get_event(conn, key, some), repeats
    )
    name = dataset.WINDOW_BUCKET
    out["bucket_key"] = interleaved(
        lambda: old_bucket_key(conn, user, name),
        lambda: reader.bucket_key(conn, user, name),
        repeats,
    )
    return out


def source_cases(
    conn: Connection, user: int, key: int, day_start: int, repeats: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name = dataset.WINDOW_BUCKET
    for label, (start, end) in {
        "hour": (day_start + 10 * H, day_start + 11 * H),
        "day": (day_start, day_start + 24 * H),
        "all": (reader.FAR_PAST_US, reader.FAR_FUTURE_US),
    }.items():

        def new_read(a: int = start, b: int = end) -> list[Event]:
            source = StoreDataSource(conn, user)
            source._keys[name] = key  # the bucket's key known, as after the first read
            return source.bucket_events(name, a, b)

        def old_read(a: int = start, b: int = end) -> list[Event]:
            return old_source_events(conn, key, a, b)

        def core_read(a: int = start, b: int = end) -> list[Event]:
            params = {"b": key, "s": a, "e": b}
            result = conn.execute(store_source._RANGE_ALL.statement, params)
            try:
                rows: Sequence[Any] = result.cursor.fetchall()
            finally:
                result.close()
            parsed = {text: json.loads(text) for text in {r[4] for r in rows}}
            return [Event(s, e, parsed[d], i, tz) for i, s, e, tz, d in rows]

        events = old_read()
        same(events, new_read(), f"bucket_events {label}")
        same(events, core_read(), f"bucket_events {label}")
        out[f"bucket_events_{label}"] = {
            "events": len(events),
            **interleaved(old_read, new_read, repeats, core=core_read),
        }
    start, end = day_start, day_start + 24 * H
    source = StoreDataSource(conn, user)
    source._keys[name] = key
    same(old_source_count(conn, key, start, end), source.bucket_event_count(name, start, end), "n")
    out["bucket_event_count_day"] = interleaved(
        lambda: old_source_count(conn, key, start, end),
        lambda: source.bucket_event_count(name, start, end),
        repeats,
    )
    return out


def value_cases(services: Services, repeats: int) -> dict[str, Any]:
    """The value dictionary on the distinct data texts of the store's events."""
    user = services.user_id
    with services.read() as conn:
        texts = [str(r[0]) for r in conn.exec_driver_sql("SELECT DISTINCT data FROM events")]
    rng = random.Random(5)
    rng.shuffle(texts)
    stored, unseen = texts[: len(texts) * 3 // 4], texts[len(texts) * 3 // 4 :]
    ids = services.writer.call(lambda c: ValueDictionary().assign(c, user, stored)).result()
    every = sorted(ids.values())
    out: dict[str, Any] = {"values_stored": len(every)}

    def rolled_back(
        fn: Callable[[Connection, int, Sequence[str]], dict[str, int]], chunk: Sequence[str]
    ) -> Callable[[], tuple[float, float, dict[str, int]]]:
        """``fn`` in the writer's transaction, undone after (a savepoint rolled back): the
        wall and CPU seconds ``fn`` took (not the hand-off to the writer thread), and its
        result."""

        def run(conn: Connection) -> tuple[float, float, dict[str, int]]:
            savepoint = conn.begin_nested()
            try:
                started, started_cpu = time.perf_counter(), time.thread_time()
                got = fn(conn, user, chunk)
                return time.perf_counter() - started, time.thread_time() - started_cpu, got
            finally:
                savepoint.rollback()

        return lambda: services.writer.call(run).result()

    def new_assign(conn: Connection, u: int, chunk: Sequence[str]) -> dict[str, int]:
        return ValueDictionary().assign(conn, u, chunk)

    day = rng.sample(stored, min(2000, len(stored)))  # a day's values, all known
    mixed = rng.sample(stored, min(1500, len(stored))) + unseen[:500]  # new ones among them
    for label, chunk in {"known_2000": day, "with_500_new": mixed}.items():
        old_fn, new_fn = rolled_back(old_values_assign, chunk), rolled_back(new_assign, chunk)
        core_fn = rolled_back(core_values_assign, chunk)
        returning_fn = rolled_back(returning_values_assign, chunk)
        same(old_fn()[2], new_fn()[2], f"assign {label}")
        same(old_fn()[2], core_fn()[2], f"assign {label}")
        same(old_fn()[2], returning_fn()[2], f"assign {label}")
        extra = {"returning": returning_fn}
        timed = interleaved(old_fn, new_fn, repeats, core=core_fn, extra=extra, self_timed=True)
        out[f"assign_{label}"] = timed
    # As ``ValueDictionary.texts`` reads: a connection of its own for each load.
    for label, wanted in {
        "dense_all": every,
        "dense_2000": every[len(every) // 3 : len(every) // 3 + 2000],
        "sparse_2000": rng.sample(every, min(2000, len(every))),
        "sparse_100": rng.sample(every, min(100, len(every))),
    }.items():

        def old_load(w: Sequence[int] = wanted) -> dict[int, str]:
            with services.read() as conn:
                return old_values_load(conn, w)

        def new_load(w: Sequence[int] = wanted) -> dict[int, str]:
            with services.read() as conn:
                return new_values_load(conn, w)

        def core_load(w: Sequence[int] = wanted) -> dict[int, str]:
            with services.read() as conn:
                return core_values_load(conn, w)

        same(old_load(), new_load(), f"load {label}")
        same(old_load(), core_load(), f"load {label}")
        timed = interleaved(old_load, new_load, repeats, core=core_load)
        out[f"load_{label}"] = {"ids": len(wanted), **timed}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events in the store")
    parser.add_argument("--repeats", type=int, default=31, help="timed runs of each, per case")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--store", type=Path, help="keep the store in this folder and reuse it on later runs"
    )
    args = parser.parse_args()
    tune_gc()  # as every TimelyGator process does
    with tempfile.TemporaryDirectory(prefix="tg-sql-paths-") as tmp:
        path = args.store or Path(tmp) / "data"
        marker = path / f"sql-paths-{args.events}-{args.seed}.json"
        started = time.perf_counter()
        if marker.exists():
            events, day = json.loads(marker.read_text())
            busiest = date.fromisoformat(day)
        else:
            shutil.rmtree(path, ignore_errors=True)
            events, busiest = build_store(path, args.events, args.seed)
            marker.write_text(json.dumps([events, busiest.isoformat()]))
        built_s = time.perf_counter() - started
        with Services.open(resolve_dirs(path), PASSPHRASE) as services:
            user = services.user_id
            midnight = datetime(busiest.year, busiest.month, busiest.day, tzinfo=UTC)
            day_start = (int(midnight.timestamp()) - dataset.day_offset_s(busiest, None)) * S
            with services.read() as conn:
                key = reader.bucket_key(conn, user, dataset.WINDOW_BUCKET)
                read = reader_cases(conn, user, key, day_start, args.repeats)
                source = source_cases(conn, user, key, day_start, args.repeats)
            values = value_cases(services, args.repeats)
    print(
        json.dumps(
            {
                "events": events,
                "build_s": round(built_s, 1),
                "day": busiest.isoformat(),
                "reader": read,
                "store_source": source,
                "values": values,
                "python": sys.version.split()[0],
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
