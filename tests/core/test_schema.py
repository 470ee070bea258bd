"""Schema versions: Alembic head matches the code, newer databases are refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from timelygator.core import sql_dialect
from timelygator.core.errors import SchemaTooNewError
from timelygator.core.keys import DataKey, KeyStore
from timelygator.core.paths import AppDirs
from timelygator.core.revisions import migrate
from timelygator.core.schema import MIGRATIONS_DIR, SCHEMA_VERSION, ensure_schema, revision_for
from timelygator.core.services import Services
from timelygator.core.store import Store

PASS = "schema test passphrase"


def test_schema_version_is_the_alembic_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert heads == [revision_for(SCHEMA_VERSION)]


def test_models_match_the_migrations(dirs: AppDirs) -> None:
    """The ORM models and the migrated schema agree (no un-migrated model change)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from timelygator.core.models import Base

    with Services.open(dirs, PASS) as services, services.store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_newer_database_is_refused_and_untouched(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services, services.store.engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    digest = hashlib.sha256(dirs.database.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNewError, match="newer TimelyGator"):
        Services.open(dirs, PASS)
    assert hashlib.sha256(dirs.database.read_bytes()).hexdigest() == digest


def test_upgrade_backs_up_and_verifies_before_migrating(
    dirs: AppDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older database is copied (encrypted, verified) before any migration runs."""
    with Services.open(dirs, PASS) as services:
        services.ensure_bucket("kept", type="t", client="c", hostname="h")
    seen: list[list[Path]] = []

    def fake_upgrade(store: Store, target: str) -> None:
        seen.append(sorted(dirs.backups.glob(f"pre-migration-v{SCHEMA_VERSION}-*.db")))
        assert target == revision_for(SCHEMA_VERSION + 1)
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")

    monkeypatch.setattr("timelygator.core.schema.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr("timelygator.core.schema._alembic_upgrade", fake_upgrade)
    steps: list[str] = []
    with Services.open(dirs, PASS, progress=steps.append):
        pass
    assert steps == ["backup", "upgrade"]
    assert len(seen) == 1
    assert len(seen[0]) == 1
    backup = seen[0][0]
    assert not backup.read_bytes().startswith(b"SQLite format 3")
    copy = Store(backup, KeyStore(dirs).load(PASS)[0])
    try:
        assert copy.integrity_check() == []
        assert copy.user_version() == SCHEMA_VERSION
        with copy.connect() as conn:
            assert conn.exec_driver_sql("SELECT name FROM buckets").scalars().all() == ["kept"]
    finally:
        copy.engine.dispose()


def test_the_version_is_recorded_where_each_engine_keeps_it(tmp_path: Path) -> None:
    """SQLite's header field follows Alembic's own record (PostgreSQL reads the latter)."""
    store = Store(tmp_path / "fresh.db", DataKey.generate())
    try:
        with store.connect() as conn:
            assert (sql_dialect.user_version(conn), sql_dialect.alembic_version_of(conn)) == (0, 0)
        assert ensure_schema(store) == 0
        assert store.user_version() == SCHEMA_VERSION
        with store.connect() as conn:
            assert sql_dialect.alembic_version_of(conn) == SCHEMA_VERSION
    finally:
        store.engine.dispose()
    unknown = SimpleNamespace(dialect=SimpleNamespace(name="mysql"))
    with pytest.raises(NotImplementedError, match="'mysql'"):
        sql_dialect.user_version(unknown)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="'mysql'"):
        sql_dialect.set_user_version(unknown, 1)  # type: ignore[arg-type]


def test_the_sqlite_schema_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    """Server mode's 64-bit ids (BIGINT on PostgreSQL, ``core.models.ID``) leave a new
    SQLite file's schema exactly as before: ``data/sqlite_schema.json`` holds every entry of
    ``sqlite_master`` as the migrations wrote it before that change."""
    expected = json.loads((Path(__file__).parent / "data" / "sqlite_schema.json").read_text())
    store = Store(tmp_path / "fresh.db", DataKey.generate())
    try:
        ensure_schema(store)
        with store.connect() as conn:
            rows = conn.exec_driver_sql("SELECT type, name, sql FROM sqlite_master").all()
    finally:
        store.close()
    assert {f"{kind} {name}": sql for kind, name, sql in rows} == expected
    assert "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in expected["table analytics_values"]


def _migrate(store: Store, version: int) -> None:
    """Move ``store`` to schema ``version`` in one transaction (as ``db downgrade`` does)."""
    with store.engine.begin() as conn:
        migrate(conn, version)


def test_users_disabled_migrates_down_and_up_keeping_every_row(dirs: AppDirs) -> None:
    """0006 adds ``users.disabled_us`` and its downgrade drops it in place: no user, bucket,
    event or token is lost (a table copy of ``users`` would cascade-delete them all)."""
    from timelygator.core import tokens, users
    from timelygator.core.event import Event

    with Services.open(dirs, PASS) as services:
        bob = users.create(services.writer, "bob").result()
        tokens.create(services.writer, bob.id, "write", "laptop").result()
        made = services.writer.create_bucket(bob.id, "w", type="t", client="c", hostname="h")
        bucket = made.result()
        assert bucket is not None
        services.writer.insert_events(bucket.key, [Event(0, 10, {"a": 1})]).result()
        users.disable(services.writer, "bob", owner_id=services.user_id).result()
    counts = "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM buckets), " + (
        "(SELECT count(*) FROM events), (SELECT count(*) FROM api_tokens)"
    )
    store = Store(dirs.database, KeyStore(dirs).load(PASS)[0])
    try:
        with store.connect() as conn:
            before = conn.exec_driver_sql(counts).one()
        assert tuple(before) == (2, 1, 1, 1)
        _migrate(store, 5)
        with store.connect() as conn:
            columns = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(users)")]
            assert columns == ["id", "name", "created_us"]
            assert conn.exec_driver_sql(counts).one() == before
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert store.user_version() == 5
        _migrate(store, 6)
        with store.connect() as conn:
            rows = conn.exec_driver_sql("SELECT name, disabled_us FROM users ORDER BY id").all()
            assert [tuple(r) for r in rows] == [("local", None), ("bob", None)]  # active again
            assert conn.exec_driver_sql(counts).one() == before
        assert store.integrity_check() == []
    finally:
        store.engine.dispose()
    with Services.open(dirs, PASS) as services:  # the code opens the round-tripped file
        assert services.store.user_version() == SCHEMA_VERSION
