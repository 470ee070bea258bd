"""The stored analytics caches (tables ``day_digests`` and ``day_stats``): every statement
on them, and the writer hook that keeps them honest.

A row is a cache of one local day's figures (``core.analytics.digest`` and
``core.analytics.daystats``); it must never outlive a change to the events of its day.
``clear_days`` is registered with the writer (``Writer.add_transaction_hook``, by
``core.services``) and deletes the rows of the days a change touches in the change's own
transaction, so no reader ever sees a stale row, whoever wrote the events.

**Format rule.** Every row says which format wrote it: a digest's totals blob carries
``"f": FORMAT``, and a stats row's ``key`` starts with ``"{FORMAT}:"`` (``stats_key``). A
reader ignores (and recomputes) rows of any other format, and never carries figures over
from them; so a change of what a row holds or how it is computed only raises ``FORMAT``:
no schema migration, no deletion of old rows (they are replaced as days are asked for).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import cast

from sqlalchemy import ColumnElement, Connection, Table, delete, func, literal, select
from timelygator.core import models
from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.sql_dialect import lock_days_changing, upsert

# The format of every stored analytics row (digests and statistics; see the rule above).
# 3: active time is a union over hosts, AFK filtered per host.
FORMAT = 3

DIGESTS = cast(Table, models.DayDigest.__table__)
STATS = cast(Table, models.DayStats.__table__)
_KEYS = ("day", "day_start_s", "user_id")


def stats_key(version: str, settings: AnalyticsSettings) -> str:
    """The ``key`` of a stats row: the format, then a hash of what the figures depend on
    (the categories version and the settings, except the week start)."""
    relevant = replace(settings, week_start=0)
    raw = f"{version}|{relevant!r}".encode()
    return f"{FORMAT}:{hashlib.blake2b(raw, digest_size=12).hexdigest()}"


def current_format(key: str) -> bool:
    """Whether a stats row's ``key`` was written in the current format."""
    return key.startswith(f"{FORMAT}:")


# The range of the INTEGER ``day`` columns: a change of every day (``timeutil.EVERY_DAY``)
# is clipped to it (PostgreSQL refuses a 32-bit comparison with a value outside).
_DAYS = (-(2**31), 2**31 - 1)


def _days(table: Table, low: int, high: int) -> ColumnElement[bool]:
    return table.c.day.between(max(low, _DAYS[0]), min(high, _DAYS[1]))


def clear_days(conn: Connection, low: int, high: int) -> None:
    """Delete the rows of UTC-numbered days ``low..high`` (inclusive), every user's and
    every day start's (the writer's in-transaction hook). On a server, first make sure no
    other process stores rows of those days until this transaction ends (rows it computed
    before this change: ``sql_dialect.lock_days_changing``)."""
    lock_days_changing(conn, low, high)
    conn.execute(delete(DIGESTS).where(_days(DIGESTS, low, high)))
    conn.execute(delete(STATS).where(_days(STATS, low, high)))


def clear_digest_days(conn: Connection, low: int, high: int) -> None:
    conn.execute(delete(DIGESTS).where(_days(DIGESTS, low, high)))


def clear_stats_days(conn: Connection, low: int, high: int) -> None:
    conn.execute(delete(STATS).where(_days(STATS, low, high)))


# -- digests ---------------------------------------------------------------------------------
def load_digest_rows(
    conn: Connection, user: int, day_start_s: int, first: int, last: int, *, pieces: bool
) -> list[tuple[int, bytes, bytes | None]]:
    """(day, totals, pieces or None) of the stored digests of days ``first..last``."""
    c = DIGESTS.c
    blob = c.pieces if pieces else literal(None).label("pieces")
    query = select(c.day, c.totals, blob).where(
        c.user_id == user, c.day_start_s == day_start_s, c.day.between(first, last)
    )
    return cast(list[tuple[int, bytes, bytes | None]], conn.execute(query).all())


def store_digests(conn: Connection, rows: list[tuple[int, int, int, bytes, bytes]]) -> None:
    """Store (day, day_start_s, user_id, totals, pieces) rows, replacing those of the day."""
    if rows:
        stmt = upsert(conn, DIGESTS, _KEYS, ("totals", "pieces"))
        names = (*_KEYS, "totals", "pieces")
        conn.execute(stmt, [dict(zip(names, row, strict=True)) for row in rows])


def digest_totals(conn: Connection, user: int | None) -> list[bytes]:
    """The totals blobs of every stored digest (of ``user``, or of everyone)."""
    query = select(DIGESTS.c.totals)
    if user is not None:
        query = query.where(DIGESTS.c.user_id == user)
    return [row[0] for row in conn.execute(query)]


# -- per-day statistics ----------------------------------------------------------------------
StatsRow = tuple[int, int, int, str, bytes, bytes]  # day, day_start_s, user_id, key, totals, stats


def load_stats_rows(
    conn: Connection, user: int, day_start_s: int, first: int, last: int, *, full: bool
) -> list[tuple[int, str, bytes, bytes | None]]:
    """(day, key, totals, stats or None) of the stored statistics of days ``first..last``."""
    c = STATS.c
    blob = c.stats if full else literal(None).label("stats")
    query = select(c.day, c.key, c.totals, blob).where(
        c.user_id == user, c.day_start_s == day_start_s, c.day.between(first, last)
    )
    return cast(list[tuple[int, str, bytes, bytes | None]], conn.execute(query).all())


def load_totals_of_key(
    conn: Connection, user: int, day_start_s: int, first: int, last: int, key: str
) -> list[tuple[int, bytes]]:
    """(day, totals) of the days ``first..last`` stored under ``key``."""
    c = STATS.c
    query = select(c.day, c.totals).where(
        c.user_id == user, c.day_start_s == day_start_s, c.day.between(first, last), c.key == key
    )
    return cast(list[tuple[int, bytes]], conn.execute(query).all())


def days_with_stats(
    conn: Connection, user: int, day_start_s: int, first: int, last: int, key: str | None
) -> set[int]:
    """The days ``first..last`` with full statistics stored in the current format (under
    ``key`` only, when given)."""
    c = STATS.c
    match = c.key == key if key is not None else c.key.like(f"{FORMAT}:%")
    rows = conn.execute(
        select(c.day).where(
            c.user_id == user,
            c.day_start_s == day_start_s,
            c.day.between(first, last),
            match,
            func.length(c.stats) > 0,
        )
    )
    return {int(row[0]) for row in rows}


def store_stats(conn: Connection, rows: list[StatsRow], *, totals_only: bool) -> None:
    """Store statistics rows. Full rows replace the day's row; ``totals_only`` rows (empty
    ``stats``) replace only a row of another key, never a full row of the same key."""
    if not rows:
        return
    update = ("key", "totals", "stats")
    stmt = upsert(conn, STATS, _KEYS, update, unless_same="key" if totals_only else None)
    names = (*_KEYS, *update)
    conn.execute(stmt, [dict(zip(names, row, strict=True)) for row in rows])
