"""The query engine's data source backed by the store (one user's buckets, one connection).

The range read is hand-written and runs on the driver's cursor: it is the measured hot path
of every query (tests/benchmarks/query.py, query_ours_*), and ``max(a, b)``/``min(a, b)`` are
SQLite's spelling (PostgreSQL: greatest/least). The rest goes through ``core.reader``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from timelygator.core import reader
from timelygator.core.event import Event

# Half-open [start, end): events overlapping it, plus zero-length events inside it.
_RANGE_SQL = (
    "SELECT id, max(start_us, :s), min(end_us, :e), tz_offset_s, data FROM events "
    "WHERE bucket_id = :b AND start_us < :e "
    "AND start_us >= :s - (SELECT max_duration_us FROM buckets WHERE id = :b) "
    "AND (end_us > :s OR (end_us = start_us AND start_us >= :s)) "
    "ORDER BY start_us DESC, id DESC"
)
_COUNT_SQL = (
    "SELECT count(*) FROM events "
    "WHERE bucket_id = :b AND start_us < :e "
    "AND start_us >= :s - (SELECT max_duration_us FROM buckets WHERE id = :b) "
    "AND (end_us > :s OR (end_us = start_us AND start_us >= :s))"
)


class StoreDataSource:
    """``core.query.QueryDataSource`` over the database, limited to one user's buckets."""

    def __init__(self, conn: Connection, user_id: int) -> None:
        self._conn = conn
        self._user_id = user_id
        self._keys: dict[str, int] = {}
        self._parsed: dict[str, dict[str, Any]] = {}

    def _key(self, name: str) -> int:
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = reader.bucket_key(self._conn, self._user_id, name)
        return key

    def bucket_names(self) -> list[str]:
        return reader.bucket_names(self._conn, self._user_id)

    def bucket_events(
        self, name: str, start_us: int, end_us: int, limit: int | None = None
    ) -> list[Event]:
        if limit == 0:
            return []
        params = {"b": self._key(name), "s": start_us, "e": end_us}
        sql = _RANGE_SQL
        if limit is not None and limit > 0:
            sql += " LIMIT :limit"
            params["limit"] = limit
        result = self._conn.exec_driver_sql(sql, params)
        try:
            # The driver's plain tuples: SQLAlchemy's Row objects cost as much as the read.
            rows: Sequence[Any] = result.cursor.fetchall()
        finally:
            result.close()
        # Equal data text -> one shared dict (watchers repeat the same data a lot; the query
        # engine never mutates event data).
        parsed = self._parsed
        loads = json.loads
        for text in {r[4] for r in rows}.difference(parsed):
            parsed[text] = loads(text)
        return [Event(s, e, parsed[d], i, tz) for i, s, e, tz, d in rows]

    def bucket_event_count(self, name: str, start_us: int, end_us: int) -> int:
        params = {"b": self._key(name), "s": start_us, "e": end_us}
        return int(self._conn.exec_driver_sql(_COUNT_SQL, params).scalar_one())

    def bucket_hostname(self, name: str) -> str:
        return reader.bucket_hostname(self._conn, self._key(name))
