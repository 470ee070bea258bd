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
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Connection
from timelygator.core.analytics.cache_rows import digest_totals
from timelygator.core.analytics.digest import digest_ids

log = logging.getLogger(__name__)

_MISSING = "{}"  # the text of a value dropped meanwhile (no data)
_CHUNK = 500  # bound parameters per IN (...) query
_CACHE_LIMIT = 400_000  # texts kept in memory
K = TypeVar("K")
V = TypeVar("V")


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
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if len(wanted) * 5 >= (high - low + 1) * 4:  # dense: one range scan
                cursor.execute(
                    "SELECT id, data FROM analytics_values WHERE id BETWEEN ? AND ?", (low, high)
                )
                keep = set(wanted)
                found = {i: d for i, d in cursor.fetchall() if i in keep}
            else:
                for at in range(0, len(wanted), _CHUNK):
                    chunk = wanted[at : at + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    cursor.execute(
                        f"SELECT id, data FROM analytics_values WHERE id IN ({marks})",  # noqa: S608
                        chunk,
                    )
                    found.update(cursor.fetchall())
        finally:
            cursor.close()
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
        for at in range(0, len(missing), _CHUNK):
            chunk = missing[at : at + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.exec_driver_sql(
                "SELECT id, data FROM analytics_values "  # noqa: S608
                f"WHERE user_id = ? AND data IN ({marks})",
                (user_id, *chunk),
            ).all()
            out.update((str(d), int(i)) for i, d in rows)
        new = [t for t in missing if t not in out]
        if new:
            # AUTOINCREMENT: ids of deleted values are never given out again.
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
    out again.
    """
    kept: list[np.ndarray[Any, Any]] = []
    for totals in digest_totals(conn, user_id):
        try:
            kept.append(digest_ids(totals))
        except (ValueError, KeyError, TypeError, zlib.error):
            continue  # unreadable: the reader recomputes that day
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if user_id is None:
            cursor.execute("SELECT id FROM analytics_values")
        else:
            cursor.execute("SELECT id FROM analytics_values WHERE user_id = ?", (user_id,))
        every = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
    finally:
        cursor.close()
    if not len(every):
        return 0
    used = np.zeros(int(every.max()) + 1, dtype=np.bool_)
    for ids in kept:
        used[ids[ids < len(used)]] = True
    unused = every[~used[every]].tolist()
    for at in range(0, len(unused), _CHUNK):
        chunk = unused[at : at + _CHUNK]
        marks = ",".join("?" * len(chunk))
        conn.exec_driver_sql(
            f"DELETE FROM analytics_values WHERE id IN ({marks})",  # noqa: S608
            tuple(chunk),
        )
    return len(unused)
