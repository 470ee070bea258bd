"""Every migration has a working downgrade: the chain walked down and up again, one revision at
a time, on a store with rows in every table, on SQLite (the real encrypted store) and on
PostgreSQL (a throwaway cluster; skipped, saying why, where PostgreSQL is not installed).

After each step: the tables and columns are the ones that revision defines
(``tests.helpers.schema_walk.COLUMNS``), and the user's rows (users, buckets, events, tokens,
categories, settings) are all there, as that revision holds them. Back at the newest schema,
TimelyGator opens the folder and shows the same figures as before the walk. Both engines also
go from no schema to the newest and back to none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, insert, select, text
from timelygator.core import models, tokens
from timelygator.core.keys import DataKey, KeyStore
from timelygator.core.paths import AppDirs
from timelygator.core.revisions import (
    SCHEMA_RELEASES,
    migrate,
    parse_revision,
    readers_of,
    revisions,
)
from timelygator.core.schema import SCHEMA_VERSION
from timelygator.core.services import Services
from timelygator.core.sql_dialect import user_version
from timelygator.core.store import Store

from tests.helpers import postgres
from tests.helpers.schema_walk import (
    CACHE_TABLES,
    COLUMNS,
    SQLITE_TRIGGERS,
    Rows,
    fill,
    project,
    schema_of,
    sqlite_triggers,
    summary_of,
    user_rows,
)

PASS = "migration chain passphrase"


def test_the_expected_columns_cover_every_revision() -> None:
    assert sorted(COLUMNS) == list(range(SCHEMA_VERSION + 1))
    assert COLUMNS[SCHEMA_VERSION] == {
        t.name: [c.name for c in t.columns] for t in models.Base.metadata.sorted_tables
    }


def check_step(conn: Connection, version: int, expected: Rows) -> None:
    """The schema of revision ``version`` and the user's rows as it holds them."""
    assert user_version(conn) == version
    assert schema_of(conn) == COLUMNS[version], f"schema at {version}"
    assert user_rows(conn, version) == project(expected, version), f"rows at {version}"
    if conn.dialect.name == "sqlite":
        assert sqlite_triggers(conn) == SQLITE_TRIGGERS.get(version, set()), version
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []


def revoked_for_disabled(rows: Rows, disabled_user: int) -> Rows:
    """``rows`` after going below 0006: the disabled user's tokens revoked, and (back at 0006)
    the user active."""
    head = COLUMNS[SCHEMA_VERSION]
    user_of, revoked = head["api_tokens"].index("user_id"), head["api_tokens"].index("revoked")
    disabled = head["users"].index("disabled_us")
    out = dict(rows)
    out["api_tokens"] = [
        tuple(
            True if i == revoked and row[user_of] == disabled_user else v for i, v in enumerate(row)
        )
        for row in rows["api_tokens"]
    ]
    out["users"] = [
        tuple(None if i == disabled else v for i, v in enumerate(row)) for row in rows["users"]
    ]
    return out


def down_and_up(oldest: int) -> list[int]:
    """The versions from the newest down to ``oldest`` and up again, one step each."""
    return [*range(SCHEMA_VERSION - 1, oldest - 1, -1), *range(oldest + 1, SCHEMA_VERSION + 1)]


def walk(engine: Engine, path: list[int], expected: Rows, disabled_user: int) -> None:
    """Move the database from the newest schema through each version of ``path``, one
    revision per transaction, checking the schema and the user's rows after each."""
    after = revoked_for_disabled(expected, disabled_user)
    for version in path:
        with engine.begin() as conn:
            migrate(conn, version)
        with engine.connect() as conn:
            check_step(conn, version, after)


# -- SQLite: the real encrypted store ------------------------------------------------------------
@pytest.fixture
def filled(dirs: AppDirs) -> dict[str, Any]:
    with Services.open(dirs, PASS, max_delay=0.05) as services:
        return fill(services)


def test_sqlite_walks_every_revision_down_and_up_keeping_the_users_data(
    dirs: AppDirs, filled: dict[str, Any]
) -> None:
    store = Store(dirs.database, KeyStore(dirs).load(PASS)[0])
    try:
        with store.connect() as conn:
            expected = user_rows(conn, SCHEMA_VERSION)
            caches = {t: conn.execute(text(f"SELECT * FROM {t}")).all() for t in CACHE_TABLES}
        assert all(expected.values()), "a user table is empty: the walk would prove nothing"
        with store.engine.begin() as conn:
            migrate(conn, 5)
        with store.connect() as conn:  # 0005 keeps the caches (the old version reuses them)
            assert {t: conn.execute(text(f"SELECT * FROM {t}")).all() for t in CACHE_TABLES} == (
                caches
            )
        with store.engine.begin() as conn:
            migrate(conn, SCHEMA_VERSION)
        assert down_and_up(1) == [5, 4, 3, 2, 1, 2, 3, 4, 5, 6]
        walk(store.engine, down_and_up(1), expected, filled["bob"])
        assert store.integrity_check() == []
    finally:
        store.close()
    with Services.open(dirs, PASS) as services:  # the app opens the walked file
        assert summary_of(services) == filled["summary"]  # the caches were rebuilt alike
        with services.read() as conn:
            assert tokens.verify_token(conn, filled["bob_token"]) is None  # still refused


def chain_from_the_base(engine: Engine) -> None:
    """An empty database up to the newest schema and down to none again, one revision at a
    time, checking the schema after each."""
    for version in [*range(1, SCHEMA_VERSION + 1), *range(SCHEMA_VERSION - 1, -1, -1)]:
        with engine.begin() as conn:
            migrate(conn, version)
        with engine.connect() as conn:
            assert user_version(conn) == version
            assert schema_of(conn) == COLUMNS[version], version
            if conn.dialect.name == "sqlite":
                assert sqlite_triggers(conn) == SQLITE_TRIGGERS.get(version, set())


def test_sqlite_chain_from_no_schema_to_the_newest_and_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "empty.db", DataKey.generate())
    try:
        chain_from_the_base(store.engine)
    finally:
        store.close()


# -- PostgreSQL: a throwaway cluster ---------------------------------------------------------------
def copy_rows(source: Store, target: Engine) -> None:
    """Every row of every table of ``source`` into ``target`` (same ids)."""
    with source.connect() as conn, target.begin() as into:
        for table in models.Base.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in conn.execute(select(table))]
            if rows:
                into.execute(insert(table), rows)


@pytest.fixture
def pg_filled(
    pg_cluster: postgres.Cluster, dirs: AppDirs, filled: dict[str, Any]
) -> Iterator[tuple[Engine, Rows]]:
    """A PostgreSQL database migrated from the base (as a server's first start does) with the
    rows of ``filled``; those rows."""
    engine = create_engine(pg_cluster.create_database(f"t{uuid.uuid4().hex}"))
    store = Store(dirs.database, KeyStore(dirs).load(PASS)[0], access="read")
    try:
        with engine.begin() as conn:
            migrate(conn, SCHEMA_VERSION)
        copy_rows(store, engine)
        with store.connect() as conn:
            expected = user_rows(conn, SCHEMA_VERSION)
        with engine.connect() as conn:
            assert user_rows(conn, SCHEMA_VERSION) == expected
        yield engine, expected
    finally:
        store.engine.dispose()
        engine.dispose()


def test_postgresql_walks_every_revision_down_and_up_keeping_the_users_data(
    pg_filled: tuple[Engine, Rows], filled: dict[str, Any]
) -> None:
    engine, expected = pg_filled
    with engine.connect() as conn:
        assert tokens.verify_token(conn, filled["bob_token"]) is None  # bob is disabled
    walk(engine, down_and_up(1), expected, filled["bob"])
    with engine.connect() as conn:
        assert tokens.verify_token(conn, filled["bob_token"]) is None  # revoked on the way


def test_postgresql_chain_from_no_schema_to_the_newest_and_back(
    pg_cluster: postgres.Cluster,
) -> None:
    engine = create_engine(pg_cluster.create_database(f"t{uuid.uuid4().hex}"))
    try:
        chain_from_the_base(engine)
    finally:
        engine.dispose()


def test_every_revision_is_listed_named_and_says_which_timelygator_reads_it() -> None:
    listed = revisions()
    assert [r.version for r in listed] == list(range(1, SCHEMA_VERSION + 1))
    assert sorted(SCHEMA_RELEASES) == [r.version for r in listed]
    assert listed[4].title.startswith("Analytics value dictionary")
    for name in ("5", "0005", " 0005 ", "0005_analytics_values", "0005_analytics_values.py"):
        assert parse_revision(name) == 5
    assert readers_of(5) == "builds of TimelyGator 0.1.0 made before revision 0006"
