"""The store's value dictionary: each distinct event data text once, under a permanent id.

Stored day digests (``core.analytics.digest``, format 2) name their values by id in table
``analytics_values``. Ids are assigned by the writer when digests are persisted, in the same
transaction, and never change or get reused (AUTOINCREMENT), so a cached id or text never
goes stale and the table needs no invalidation when events change. ``drop_unreferenced``
removes the values no stored digest refers to any more (after events were deleted).
Statistics then work on id arrays, and a value is looked up (and categorized) once however
many days it appears on.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar, cast

import numpy as np
from sqlalchemy import BigInteger, Connection, Table, bindparam, delete, insert, select
from timelygator.core import models
from timelygator.core.analytics.cache_rows import digest_totals
from timelygator.core.analytics.digest import digest_ids
from timelygator.core.sql_dialect import Prepared, first_new_id, lock_all_days

log = logging.getLogger(__name__)

_MISSING = "{}"  # the text of a value dropped meanwhile (no data)
_CHUNK = 500  # ids per DELETE … IN (...)
_CACHE_LIMIT = 400_000  # texts kept in memory
K = TypeVar("K")
V = TypeVar("V")

VALUES = cast(Table, models.AnalyticsValue.__table__)
_C = VALUES.c
_USER = bindparam("user", type_=BigInteger)
# Lookups are measured hot paths (each digest write, each cold range of the views):
# prepared (``sql_dialect.Prepared``, figures there).
_TEXTS_IN_RANGE = Prepared(
    select(_C.id, _C.data).where(_C.id.between(bindparam("low"), bindparam("high")))
)
_TEXTS_OF = Prepared(lambda ids: select(_C.id, _C.data).where(_C.id.in_(ids)))
_IDS_OF = Prepared(
    lambda texts: select(_C.id, _C.data).where(_C.user_id == _USER, _C.data.in_(texts))
)
# AUTOINCREMENT (SQLite; a sequence elsewhere): ids of deleted values are never given out
# again. SQLite: the ids are worked out first and the rows inserted with them, as fast as the
# hand-written SQL this replaces; INSERT … RETURNING measured up to 1.2x that (1.05x-1.2x
# in most runs) on a day's values with 500 new ones (tests/benchmarks/sql_paths.py,
# values.assign_with_500_new, "returning"). Other engines return them.
_ADD = Prepared(insert(VALUES).values(id=bindparam("id"), user_id=_USER, data=bindparam("data")))
_ADD_RETURNING = Prepared(
    lambda texts: (
        insert(VALUES)
        .values([{"user_id": _USER, "data": text} for text in texts])
        .returning(_C.id, _C.data)
    ),
    pad=False,
)
_EVERY_ID = Prepared(select(_C.id))
_USER_IDS = Prepared(select(_C.id).where(_C.user_id == _USER))
_DROP = delete(VALUES).where(_C.id.in_(bindparam("ids", expanding=True)))


def _known(keys: Iterable[K], cache: dict[K, V]) -> tuple[dict[K, V], list[K]]:
    """The cached entries of ``keys``, and the keys not cached."""
    found: dict[K, V] = {}
    missing: list[K] = []
    for key in keys:
        value = cache.get(key)
        if value is None:
            missing.append(key)
        else:
            found[key] = value
    return found, missing


class ValueDictionary:
    """Ids for data texts (``assign``, writer thread) and texts for ids (cached); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: dict[int, str] = {}

    def texts(
        self, ids: np.ndarray[Any, Any], read: Callable[[], AbstractContextManager[Connection]]
    ) -> list[str]:
        """The texts of ``ids`` (in order); those not cached are read on a ``read()``
        connection."""
        if not len(ids):
            return []
        wanted = ids.tolist()
        out, missing = _known(set(wanted), self._texts)
        if missing:
            with read() as conn:
                out.update(self.load(conn, missing))
        lost = len(set(wanted)) - len(out)
        if lost:
            # Only when a change dropped the day's digest and its values after this digest
            # was read: the figures of that day are recomputed on the next request.
            log.warning("%d analytics values are gone: their day changed meanwhile", lost)
            return [out.get(i, _MISSING) for i in wanted]
        return [out[i] for i in wanted]

    def load(self, conn: Connection, ids: Sequence[int]) -> dict[int, str]:
        """Read the texts of ``ids`` (into the cache too)."""
        found: dict[int, str] = {}
        wanted = sorted(set(ids))
        if not wanted:
            return found
        low, high = wanted[0], wanted[-1]
        if len(wanted) * 5 >= (high - low + 1) * 4:  # dense: one range scan
            keep = set(wanted)
            rows = _TEXTS_IN_RANGE.rows(conn, {"low": low, "high": high}, driver_cursor=True)
            found = {i: d for i, d in rows if i in keep}
        else:
            found.update(_TEXTS_OF.rows(conn, values=wanted, driver_cursor=True))
        self.learn({d: i for i, d in found.items()})
        return found

    def assign(self, conn: Connection, user_id: int, texts: Iterable[str]) -> dict[str, int]:
        """Ids of ``user_id``'s ``texts``, adding the new ones (writer thread, inside its
        transaction). Ids are unique across users, so texts by id need no user.

        Looked up in the table, not the cache (``drop_unreferenced`` may have removed a
        value since). The caches are not updated: the caller passes the result to ``learn``
        once the transaction has committed.
        """
        out: dict[str, int] = {}
        missing = list(set(texts))
        out.update(
            (str(d), int(i)) for i, d in _IDS_OF.rows(conn, {"user": user_id}, values=missing)
        )
        new = [t for t in missing if t not in out]
        if new:
            first = first_new_id(conn, VALUES)
            if first is None:
                added = _ADD_RETURNING.rows(conn, {"user": user_id}, values=new)
            else:
                added = [(first + n, text) for n, text in enumerate(new)]
                rows = [{"id": i, "user": user_id, "data": text} for i, text in added]
                _ADD.execute_many(conn, rows)
            out.update((str(d), int(i)) for i, d in added)
        return out

    def learn(self, ids: dict[str, int]) -> None:
        """Remember committed (text -> id) pairs."""
        with self._lock:
            if len(self._texts) + len(ids) > _CACHE_LIMIT:
                self._texts.clear()
            self._texts.update((i, t) for t, i in ids.items())


def drop_unreferenced(conn: Connection, user_id: int | None = None) -> int:
    """Delete the values no stored digest refers to (of ``user_id``, or of every user);
    returns how many.

    For the writer after events were deleted (privacy, retention): the texts of values
    that only the deleted events had are then gone from the file too. Ids are never given
    out again. On a server, no other process stores digests meanwhile (they may refer to
    values this would otherwise take for unused: ``sql_dialect.lock_all_days``).
    """
    lock_all_days(conn)
    kept: list[np.ndarray[Any, Any]] = []
    for totals in digest_totals(conn, user_id):
        try:
            kept.append(digest_ids(totals))
        except (ValueError, KeyError, TypeError, zlib.error):
            continue  # unreadable: the reader recomputes that day
    if user_id is None:
        found = _EVERY_ID.rows(conn, driver_cursor=True)
    else:
        found = _USER_IDS.rows(conn, {"user": user_id}, driver_cursor=True)
    every = np.array([row[0] for row in found], dtype=np.int64)
    if not len(every):
        return 0
    used = np.zeros(int(every.max()) + 1, dtype=np.bool_)
    for ids in kept:
        used[ids[ids < len(used)]] = True
    unused = every[~used[every]].tolist()
    for at in range(0, len(unused), _CHUNK):
        conn.execute(_DROP, {"ids": unused[at : at + _CHUNK]})
    return len(unused)
