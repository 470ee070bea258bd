"""The query engine's data source backed by the store (one user's buckets, one connection).

The range read is the measured hot path of every query (tests/benchmarks/query.py,
query_ours_*; tests/benchmarks/sql_paths.py compares it with the hand-written SQL it
replaced): SQLAlchemy Core, prepared (``sql_dialect.Prepared``), its rows the driver's
tuples. The rest goes through ``core.reader``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import BigInteger, Connection, Table, and_, bindparam, func, or_, select
from timelygator.core import models, reader
from timelygator.core.event import Event
from timelygator.core.sql_dialect import Prepared, greatest, least

_BUCKETS = cast(Table, models.Bucket.__table__).c
_EVENT_TABLE = cast(Table, models.Event.__table__)
_EVENTS = _EVENT_TABLE.c
_B = bindparam("b", type_=BigInteger)
_S = bindparam("s", type_=BigInteger)
_E = bindparam("e", type_=BigInteger)
# Half-open [start, end): events overlapping it, plus zero-length events inside it. The
# lower bound on start_us (the bucket's longest event) keeps the scan on the
# (bucket_id, start_us) index.
_WITHIN = and_(
    _EVENTS.bucket_id == _B,
    _EVENTS.start_us < _E,
    _EVENTS.start_us
    >= _S - select(_BUCKETS.max_duration_us).where(_BUCKETS.id == _B).scalar_subquery(),
    or_(
        _EVENTS.end_us > _S,
        and_(_EVENTS.end_us == _EVENTS.start_us, _EVENTS.start_us >= _S),
    ),
)
_RANGE = (
    select(
        _EVENTS.id,
        greatest(_EVENTS.start_us, _S),
        least(_EVENTS.end_us, _E),
        _EVENTS.tz_offset_s,
        _EVENTS.data,
    )
    .where(_WITHIN)
    .order_by(_EVENTS.start_us.desc(), _EVENTS.id.desc())
)
_RANGE_LIMITED = Prepared(_RANGE.limit(bindparam("limit", type_=BigInteger)))
_RANGE_ALL = Prepared(_RANGE)
_COUNT = select(func.count()).select_from(_EVENT_TABLE).where(_WITHIN)


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
        statement = _RANGE_ALL
        if limit is not None and limit > 0:
            statement = _RANGE_LIMITED
            params["limit"] = limit
        # The driver's plain tuples: SQLAlchemy's Row objects cost as much as the read.
        rows: Sequence[Any] = statement.rows(self._conn, params)
        # Equal data text -> one shared dict (watchers repeat the same data a lot; the query
        # engine never mutates event data).
        parsed = self._parsed
        loads = json.loads
        for text in {r[4] for r in rows}.difference(parsed):
            parsed[text] = loads(text)
        return [Event(s, e, parsed[d], i, tz) for i, s, e, tz, d in rows]

    def bucket_event_count(self, name: str, start_us: int, end_us: int) -> int:
        params = {"b": self._key(name), "s": start_us, "e": end_us}
        return int(self._conn.execute(_COUNT, params).scalar_one())

    def bucket_hostname(self, name: str) -> str:
        return reader.bucket_hostname(self._conn, self._key(name))
