"""The maintenance modules' statements (issue #16, item 3): SQLAlchemy Core on our tables,
SQLite-file operations behind ``core.sql_dialect``; the rows and values a user gets back."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import Connection, insert, literal_column
from sqlalchemy import table as table_clause
from sqlalchemy.dialects import postgresql, sqlite
from timelygator.core import backup, maintenance, salvage, sql_dialect
from timelygator.core.awimport import import_activitywatch
from timelygator.core.categories.model import Category, Rule
from timelygator.core.categories.stored import load_stored_categories, replace_stored_categories
from timelygator.core.event import Event
from timelygator.core.keys import DataKey, KeyStore
from timelygator.core.models import AnalyticsValue, Base
from timelygator.core.paths import AppDirs
from timelygator.core.schema import ensure_schema
from timelygator.core.services import Services
from timelygator.core.store import Store

from tests.helpers.activitywatch import build_rust

PASS = "maintenance sql passphrase"
S = 1_000_000
T = 1_760_000_000 * S
DAY = 86_400 * S
CACHES = {"day_digests", "day_stats", "analytics_values"}


def fill(services: Services, n: int, start: int = T, title: str = "t") -> None:
    key = services.ensure_bucket("w", type="currentwindow", client="c", hostname="h")
    services.writer.insert_events(
        key,
        [Event(start + i * S, start + i * S + S // 2, {"title": f"{title}{i}"}) for i in range(n)],
    ).result()


def rows_of(conn: Any, table: str) -> list[tuple[Any, ...]]:
    """Every row of ``table`` as the file holds it (raw SQL: the test's own reference)."""
    driver = conn.connection.driver_connection
    return [tuple(r) for r in driver.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid")]


def key_of(dirs: AppDirs) -> DataKey:
    return KeyStore(dirs).load(PASS)[0]


# -- the seam: the store's connections and the SQLite file -----------------------------------
def test_store_connections_get_the_sqlite_file_settings(tmp_path: Path) -> None:
    key = DataKey.generate()
    wanted = {"synchronous": 1, "foreign_keys": 1, "temp_store": 2, "busy_timeout": 3000}
    for wal, mode in ((True, "wal"), (False, "delete")):
        store = Store(tmp_path / f"{mode}.db", key, wal=wal)
        try:
            with store.connect() as conn:
                raw = conn.connection.driver_connection
                assert raw is not None
                got = {name: raw.execute(f"PRAGMA {name}").fetchone()[0] for name in wanted}
                journal = raw.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            store.close()
        assert (got, journal) == (wanted, mode)


def test_a_backup_is_in_rollback_journal_mode_and_holds_the_rows(tmp_path: Path) -> None:
    key = DataKey.generate()
    store = Store(tmp_path / "db.sqlite", key)
    ensure_schema(store)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO users (name, created_us) VALUES ('local', 0)")
    store.backup(tmp_path / "copy.db")
    store.close()
    copy = Store(tmp_path / "copy.db", key, access="read")
    try:
        with copy.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "delete"
            assert rows_of(conn, "users") == [(1, 1, "local", 0, None)]
    finally:
        copy.engine.dispose()


def test_the_checkpoint_empties_the_log_unless_a_reader_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = Store(path, DataKey.generate())
    ensure_schema(store)
    wal = Path(f"{path}-wal")

    def add_user(name: str) -> None:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO users (name, created_us) VALUES (?, 0)", (name,))

    add_user("a")
    reader = store.engine.connect()
    reader.begin()
    assert reader.exec_driver_sql("SELECT count(*) FROM users").scalar_one() == 1
    add_user("b")  # after the reader's snapshot: the log cannot be emptied under it
    with store.connect_fresh() as conn:
        assert sql_dialect.checkpoint_truncate(conn) is False
    reader.close()
    with store.connect_fresh() as conn:
        assert sql_dialect.checkpoint_truncate(conn) is True
    assert wal.stat().st_size == 0
    add_user("c")
    assert wal.stat().st_size > 0
    other = Store(path, store.key, access="read")  # keeps the log file from being removed
    try:
        other.check_open()
        store.close()  # checkpoints on closing
        assert wal.stat().st_size == 0
    finally:
        other.engine.dispose()


def test_connect_fresh_raises_the_drivers_own_errors(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite", DataKey.generate())
    try:
        with pytest.raises(store.dbapi.OperationalError), store.connect_fresh() as conn:
            conn.exec_driver_sql("SELECT * FROM nowhere")
    finally:
        store.close()


def test_sqlite_file_maintenance_refuses_a_server_clearly() -> None:
    server = cast(Connection, SimpleNamespace(dialect=postgresql.dialect()))
    for operation in (
        sql_dialect.secure_delete,
        lambda conn: sql_dialect.foreign_keys(conn, enforced=False),
        sql_dialect.row_position,
    ):
        with pytest.raises(NotImplementedError, match=r"SQLite database file.*pg_dump"):
            operation(server)
    assert sql_dialect.checkpoint_truncate(server) is True  # the server's own log
    plain = table_clause("settings", *(literal_column(c) for c in ("user_id", "key")))
    lite = cast(Connection, SimpleNamespace(dialect=sqlite.dialect()))
    on_server = str(sql_dialect.insert_or_ignore(server, plain).compile(dialect=server.dialect))
    on_file = str(sql_dialect.insert_or_ignore(lite, plain).compile(dialect=lite.dialect))
    assert on_server.endswith("ON CONFLICT DO NOTHING")
    assert on_file.startswith("INSERT OR IGNORE INTO settings")


# -- the maintenance modules ----------------------------------------------------------------
def test_every_table_of_ours_is_counted_salvaged_or_a_cache() -> None:
    ours = {t.name for t in maintenance.TABLES}
    assert ours | CACHES == set(Base.metadata.tables)
    assert [t.name for t in salvage.TABLES] == [t.name for t in maintenance.TABLES]
    assert {t.name for t in backup._CACHE_TABLES} == CACHES


def test_db_check_counts_the_rows_of_every_table(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 123)
        with services.read() as conn:
            expected = {t.name: len(rows_of(conn, t.name)) for t in maintenance.TABLES}
    report = maintenance.check_database(dirs, PASS)
    assert report.ok, report.problems
    assert report.counts == expected
    assert report.counts["events"] == 123 and report.counts["users"] == 1


def test_a_purged_backup_keeps_the_recent_rows_and_drops_the_caches(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 10, start=T - 40 * DAY, title="old")
        fill(services, 10, start=T, title="new")
        services.writer.call(
            lambda conn: conn.execute(insert(AnalyticsValue), {"user_id": 1, "data": "{}"})
        ).result()
        made = backup.backup_now(services)
        key = services.file_store.key
    assert key is not None
    before = Store(made.path, key, access="immutable")
    try:
        with before.connect() as conn:
            kept = {t.name: rows_of(conn, t.name) for t in maintenance.TABLES}
            assert len(rows_of(conn, "analytics_values")) == 1
    finally:
        before.engine.dispose()
    assert backup.purge_backup(made.path, key, T - 30 * DAY) == 10
    assert backup.purge_backup(made.path, key, T - 30 * DAY) == 0
    after = Store(made.path, key, access="immutable")
    try:
        assert after.integrity_check() == []
        with after.connect() as conn:
            events = rows_of(conn, "events")
            assert [e[-1] for e in events] == [f'{{"title":"new{i}"}}' for i in range(10)]
            assert events == [e for e in kept["events"] if "new" in e[-1]]
            for table in maintenance.TABLES:
                if table.name != "events":
                    assert rows_of(conn, table.name) == kept[table.name], table.name
            assert all(rows_of(conn, name) == [] for name in CACHES)
    finally:
        after.engine.dispose()


def test_salvage_of_a_readable_file_copies_every_row_exactly(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        fill(services, 4321)
        odd = (
            # A value whose column type SQLAlchemy would convert or refuse is copied as is.
            "INSERT INTO api_tokens (user_id, name, prefix, token_hash, scopes, created_us, "
            "revoked) VALUES (1, 'odd', 'p', 'h', 'read', 5, 7)",
            "INSERT INTO settings (user_id, key, value) VALUES (1, 'b', '\"x\"'), (1, 'a', '2')",
            "UPDATE events SET tz_offset_s = 'text' WHERE id = 3",
        )

        def write_odd(conn: Connection) -> None:
            for statement in odd:
                conn.exec_driver_sql(statement)

        services.writer.call(write_odd, events=True).result()
        services.writer.call(
            lambda conn: replace_stored_categories(
                conn, 1, [Category(["Work"], Rule(type="regex", regex="code"), score=1.5)]
            )
        ).result()
        with services.read() as conn:
            before = {t.name: rows_of(conn, t.name) for t in salvage.TABLES}
    result = salvage.salvage_database(dirs, PASS)
    assert result.complete
    assert result.copied == {name: len(rows) for name, rows in before.items()}
    store = Store(dirs.database, key_of(dirs), access="read")
    try:
        with store.connect() as conn:
            after = {t.name: rows_of(conn, t.name) for t in salvage.TABLES}
    finally:
        store.engine.dispose()
    assert after == before
    assert ("odd", 7) in [(r[3], r[-1]) for r in after["api_tokens"]]
    assert before["events"][2][5] == "text"


def test_activitywatch_categories_never_replace_the_users_own(
    dirs: AppDirs, tmp_path: Path
) -> None:
    source = tmp_path / "aw" / "sqlite.db"
    build_rust(source, count=3)
    mine = [Category(["Mine"], Rule(type="regex", regex="editor"))]
    with Services.open(dirs, PASS) as services:
        services.writer.call(lambda conn: replace_stored_categories(conn, 1, mine)).result()
        result = import_activitywatch(services, source)
        with services.read() as conn:
            names = [c.name for c in load_stored_categories(conn, services.user_id)]
    assert result.categories is None
    assert "you have your own" in result.categories_note
    assert names == [["Mine"]]
