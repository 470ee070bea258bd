"""The few statements whose SQL differs between database engines, behind one seam.

Everything else in core is written with SQLAlchemy Core on the ORM's tables and runs on any
engine SQLAlchemy supports. What each engine spells its own way (an upsert) is built here
from the connection's dialect, so PostgreSQL (server mode) is a branch in this module, not a
search through the code. Hand-written SQL elsewhere (measured hot paths) says so where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import Insert


def upsert(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str],
    *,
    unless_same: str | None = None,
) -> Insert:
    """``INSERT … ON CONFLICT (keys) DO UPDATE``: a row whose ``keys`` exist gets the new
    values of the ``update`` columns; with ``unless_same``, only when that column differs
    (otherwise the stored row stays as it is)."""
    if conn.dialect.name == "postgresql":
        # Loaded only there: importing it costs every command's start ~0.1 s.
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(table)
        new = pg.excluded
        where = None if unless_same is None else table.c[unless_same] != new[unless_same]
        set_ = {name: new[name] for name in update}
        return cast(
            Insert, pg.on_conflict_do_update(index_elements=list(keys), set_=set_, where=where)
        )
    lite = sqlite.insert(table)
    new = lite.excluded
    where = None if unless_same is None else table.c[unless_same] != new[unless_same]
    set_ = {name: new[name] for name in update}
    return cast(
        Insert, lite.on_conflict_do_update(index_elements=list(keys), set_=set_, where=where)
    )
