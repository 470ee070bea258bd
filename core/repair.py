"""Rows outside core's time range: found by ``db check``, fixed by ``db check --repair``.

Since the writer checks every time it stores (``core.timeutil.check_time_range``), such rows
can only come from a database written before that check: an event at 9999-12-31, a bucket
created on 0001-01-01. Reading tolerates them (they are written out at the nearest time ISO
8601 can hold), but they distort every summary they touch and are not real activity.

The repair, after a verified backup, in one transaction:

* an event that *starts* outside the range is deleted (no activity happened in year 9999);
* an event that starts inside but *ends* after the range is cut at its end;
* a bucket whose ``created`` lies outside gets the start of its first event, or the time of
  the repair when it has none;
* the stored per-day analytics are dropped (they are computed again on demand).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Table, delete, func, or_, select, update
from timelygator.core import models
from timelygator.core.backup import backup_now
from timelygator.core.errors import StorageError
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services, open_store
from timelygator.core.timeutil import EARLIEST_US, LATEST_US, RANGE_TEXT

_EVENTS = cast(Table, models.events_table)
_BUCKETS = cast(Table, models.buckets_table)
_E = _EVENTS.c
_B = _BUCKETS.c
_LO, _HI = EARLIEST_US, LATEST_US
_EVENT_OUTSIDE = or_(_E.start_us < _LO, _E.start_us > _HI, _E.end_us > _HI, _E.end_us < _LO)
_BUCKET_OUTSIDE = or_(_B.created_us < _LO, _B.created_us > _HI)
# The stored per-day analytics (computed again on demand).
_CACHES = (cast(Table, models.DayDigest.__table__), cast(Table, models.DayStats.__table__))


@dataclass(frozen=True, slots=True)
class OutOfRange:
    """What lies outside the range: event counts by bucket name, and buckets' ``created``."""

    events: dict[str, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.events and not self.created

    def problems(self) -> list[str]:
        """Lines for ``db check`` (empty when there is nothing to fix)."""
        lines = []
        if self.events:
            names = ", ".join(sorted(self.events)[:5]) + (", …" if len(self.events) > 5 else "")
            lines.append(
                f"{sum(self.events.values())} event(s) lie outside the supported time range "
                f"({RANGE_TEXT}), in bucket(s) {names}."
            )
        if self.created:
            names = ", ".join(sorted(self.created)[:5]) + (", …" if len(self.created) > 5 else "")
            lines.append(f"Bucket(s) created outside the supported time range: {names}.")
        if lines:
            lines.append(
                "Fix them with 'timelygator db check --repair' (a verified backup is made first)."
            )
        return lines


def find_out_of_range(conn: Connection) -> OutOfRange:
    """Every row outside the time range (a full scan of the events table)."""
    rows = conn.execute(
        select(_B.name, func.count())
        .select_from(_EVENTS.join(_BUCKETS, _B.id == _E.bucket_id))
        .where(_EVENT_OUTSIDE)
        .group_by(_B.name)
    ).all()
    created = conn.execute(select(_B.name).where(_BUCKET_OUTSIDE).order_by(_B.name)).all()
    return OutOfRange({str(r[0]): int(r[1]) for r in rows}, [str(r[0]) for r in created])


def fix_out_of_range(conn: Connection, now_us: int) -> OutOfRange:
    """Writer thread: delete, cut and re-date as the module says; returns what was found."""
    found = find_out_of_range(conn)
    if found.empty:
        return found
    conn.execute(delete(_EVENTS).where(or_(_E.start_us < _LO, _E.start_us > _HI)))
    conn.execute(update(_EVENTS).where(_E.end_us > _HI).values(end_us=_HI))
    first_start = select(func.min(_E.start_us)).where(_E.bucket_id == _B.id).scalar_subquery()
    conn.execute(
        update(_BUCKETS)
        .where(_BUCKET_OUTSIDE)
        .values(created_us=func.coalesce(first_start, now_us))
    )
    for table in _CACHES:
        conn.execute(delete(table))
    return found


def time_range_problems(dirs: AppDirs, passphrase: str | None) -> list[str]:
    """``db check``'s lines about rows outside the time range (read-only)."""
    store = open_store(dirs, passphrase, create=False)
    try:
        with store.connect() as conn:
            return find_out_of_range(conn).problems()
    except StorageError:
        return []  # a damaged file: the integrity check reports it
    finally:
        store.engine.dispose()


@dataclass(frozen=True, slots=True)
class RepairResult:
    found: OutOfRange
    backup: Path | None

    def describe(self) -> str:
        if self.found.empty:
            return "Nothing to repair: every row lies in the supported time range."
        events = sum(self.found.events.values())
        return (
            f"Repaired {events} event(s) and {len(self.found.created)} bucket(s) outside the "
            f"supported time range ({RANGE_TEXT}). The database as it was is kept in "
            f"{self.backup}."
        )


def repair_time_range(dirs: AppDirs, passphrase: str | None) -> RepairResult:
    """Back up, then fix every row outside the range (the app must not be running)."""
    with Services.open(dirs, passphrase, create=False) as services:
        with services.read() as conn:
            if find_out_of_range(conn).empty:
                return RepairResult(OutOfRange(), None)
        backup = backup_now(services)
        now = services.clock.now_us()
        found = services.writer.call(lambda conn: fix_out_of_range(conn, now), events=True).result(
            600
        )
    return RepairResult(found, backup.path)
