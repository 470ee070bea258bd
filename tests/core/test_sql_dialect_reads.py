"""The read side's seam: clipping spelled per engine; prepared statements give what Core gives."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from timelygator.core.sql_dialect import Prepared, constant, greatest, least

SPANS = Table("spans", MetaData(), Column("a", Integer), Column("b", Integer))


def test_clipping_is_spelled_per_engine() -> None:
    clipped = select(greatest(SPANS.c.a, 5), least(SPANS.c.b, 9))
    lite = str(clipped.compile(dialect=sqlite.dialect()))
    pg = str(clipped.compile(dialect=postgresql.dialect()))
    assert "max(spans.a, ?)" in lite and "min(spans.b, ?)" in lite
    assert "GREATEST(spans.a, " in pg and "LEAST(spans.b, " in pg
    assert "max(" not in pg and "min(" not in pg


def test_clipping_on_sqlite_gives_the_larger_and_the_smaller() -> None:
    engine = create_engine("sqlite://", module=sqlite3)
    SPANS.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(SPANS), [{"a": 1, "b": 20}, {"a": 7, "b": 3}, {"a": -(2**62), "b": 0}])
        rows = conn.execute(
            select(greatest(SPANS.c.a, 5), least(SPANS.c.b, 9)).order_by(SPANS.c.a)
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(5, 0), (5, 9), (7, 3)]


ITEMS = Table(
    "items", MetaData(), Column("id", Integer, primary_key=True), Column("name", String(50))
)
NAMED = Prepared(lambda ids: select(ITEMS.c.id, ITEMS.c.name).where(ITEMS.c.id.in_(ids)))
ADD = Prepared(
    lambda names: (
        insert(ITEMS).values([{"name": name} for name in names]).returning(ITEMS.c.id, ITEMS.c.name)
    ),
    pad=False,
)
ABOVE = Prepared(
    select(ITEMS.c.id, literal("x") + ITEMS.c.name + constant("'%?"))
    .where(ITEMS.c.id > bindparam("above") + constant(0))
    .order_by(ITEMS.c.id)
    .limit(bindparam("limit"))
)


@pytest.mark.parametrize("paramstyle", ["qmark", "named"])
def test_prepared_statements_give_what_sqlalchemy_gives(paramstyle: str) -> None:
    """Lists of values of any length (padded or split), literals bound and constants written
    into the SQL, limits; the driver's positional parameters and named ones (PostgreSQL's
    drivers take names)."""
    engine = create_engine("sqlite://", module=sqlite3, paramstyle=paramstyle)
    ITEMS.metadata.create_all(engine)
    with engine.begin() as conn:
        names = [f"n{i} é'\"" for i in range(1300)]
        added = ADD.rows(conn, values=names)
        assert sorted(added) == [(i + 1, name) for i, name in enumerate(names)]
        assert ADD.rows(conn, values=[]) == []
        for wanted in ([5], [3, 1, 2], list(range(1, 513)), list(range(7, 1301, 3)), [9999]):
            rows = NAMED.rows(conn, values=wanted, driver_cursor=paramstyle == "qmark")
            expected = conn.execute(select(ITEMS).where(ITEMS.c.id.in_(wanted))).all()
            assert sorted(rows) == sorted(tuple(r) for r in expected)
        assert ABOVE.rows(conn, {"above": 1297, "limit": 2}) == [
            (1298, "xn1297 é'\"'%?"),
            (1299, "xn1298 é'\"'%?"),
        ]
        sql, _args = ABOVE.sql(conn, {"above": 1297, "limit": 2})
        assert "''%?'" in sql and "+ 0" in sql  # the constants written into the SQL
    engine.dispose()
