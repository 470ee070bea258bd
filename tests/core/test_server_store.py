"""Server mode's store: a PostgreSQL database opened by URL (``Services.open_server``).

Against the session's throwaway cluster (``pg_cluster`` in tests/conftest.py); skipped,
saying why, where PostgreSQL is not installed.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect
from timelygator.core.errors import (
    AccessDeniedError,
    NoSuchDatabaseError,
    ServerUnreachableError,
    StorageError,
    ValidationError,
)
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs, resolve_dirs
from timelygator.core.schema import SCHEMA_VERSION
from timelygator.core.server_store import ServerSpec, ServerStore
from timelygator.core.services import Services

from tests.helpers import postgres

SECRET = "S3cret-pass-never-shown"
US = 1_000_000
T0 = 1_714_550_400 * US  # 2024-05-01 08:00 UTC


def _fresh(cluster: postgres.Cluster) -> str:
    return cluster.create_database(f"t{uuid.uuid4().hex}")


def test_an_empty_database_gets_the_schema_the_user_and_a_writer(
    pg_cluster: postgres.Cluster, dirs: AppDirs
) -> None:
    url = _fresh(pg_cluster)
    with Services.open_server(url, dirs, max_delay=0.05) as services:
        assert services.server and not services.read_only
        assert services.store.user_version() == SCHEMA_VERSION
        key = services.ensure_bucket("w", type="currentwindow", client="c", hostname="h")
        services.writer.heartbeat(key, Event(T0, T0, {"app": "a"}), 5).result(10)
        services.writer.heartbeat(key, Event(T0 + 2 * US, T0 + 2 * US, {"app": "a"}), 5).result(10)
    with Services.open_server(url, dirs) as again:
        assert again.user_id == services.user_id
        assert [(e.start_us, e.end_us, e.data) for e in again.events("w")] == [
            (T0, T0 + 2 * US, {"app": "a"})
        ]
    # Microsecond times and ids are 64-bit on the server (SQLite's INTEGER is already).
    store = ServerStore(url)
    columns = inspect(store.engine)
    kinds = {c["name"]: str(c["type"]) for c in columns.get_columns("events")}
    assert kinds == {
        "id": "BIGINT",
        "bucket_id": "BIGINT",
        "start_us": "BIGINT",
        "end_us": "BIGINT",
        "tz_offset_s": "INTEGER",
        "data": "TEXT",
    }
    for table in ("users", "buckets", "api_tokens", "categories", "analytics_values"):
        types = {c["name"]: str(c["type"]) for c in columns.get_columns(table)}
        assert types["id"] == "BIGINT", table
    store.close()


def test_models_match_the_migrations_on_postgresql(pg_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from timelygator.core.models import Base

    store = ServerStore(pg_url)
    try:
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        store.close()


def test_two_writers_draw_distinct_ids(pg_url: str, tmp_path: Path) -> None:
    """Two writers on one database (as two ``serve`` workers): every event gets its own id,
    from the database's sequence, not from what each writer counted."""
    one = Services.open_server(pg_url, resolve_dirs(tmp_path / "a"), max_delay=0.05)
    two = Services.open_server(pg_url, resolve_dirs(tmp_path / "b"), max_delay=0.05)
    try:
        key = one.ensure_bucket("b", type="t", client="c", hostname="h")
        futures = []
        for i in range(20):
            writer = (one if i % 2 else two).writer
            at = T0 + 10 * i * US
            futures.append(writer.insert_events(key, [Event(at, at + US, {"i": i})]))
            futures.append(writer.insert_events(key, [Event(at + 5 * US, at + 6 * US, {"j": i})]))
        answered = sorted(e.id or 0 for f in futures for e in f.result(10))
    finally:
        one.close()
        two.close()
    with Services.open_server(pg_url, resolve_dirs(tmp_path / "c")) as check:
        stored = sorted(e.id or 0 for e in check.events("b"))
    assert len(set(stored)) == 40 and stored == answered


@pytest.mark.parametrize("case", ["unreachable", "no such database", "refused login"])
def test_a_server_that_cannot_be_used_is_said_clearly_without_the_password(
    pg_cluster: postgres.Cluster,
    dirs: AppDirs,
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    port, database, user = pg_cluster.port, "postgres", postgres.USER
    expected: type[StorageError]
    if case == "unreachable":
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        expected, words = ServerUnreachableError, "cannot be reached"
    elif case == "no such database":
        database, expected, words = "nothing_here", NoSuchDatabaseError, "create it first"
    else:
        user, expected, words = "nobody_here", AccessDeniedError, "user name or password"
    url = f"postgresql+psycopg://{user}:{SECRET}@127.0.0.1:{port}/{database}"
    with pytest.raises(expected) as raised:
        Services.open_server(url, dirs)
    message = str(raised.value)
    assert words in message
    assert f"127.0.0.1:{port}" in message and repr(database) in message
    assert SECRET not in message and SECRET not in repr(raised.value)
    assert SECRET not in caplog.text


def test_a_url_of_another_engine_is_refused_without_repeating_it(dirs: AppDirs) -> None:
    with pytest.raises(ValidationError, match="PostgreSQL") as raised:
        Services.open_server(f"mysql://u:{SECRET}@h/db", dirs)
    assert SECRET not in str(raised.value)


def test_a_reader_spec_hides_the_url_and_opens_a_read_only_reader(pg_url: str) -> None:
    spec = ServerStore(pg_url).reader_spec()
    assert isinstance(spec, ServerSpec) and "postgresql" not in repr(spec)
    reader = spec.open_reader()
    try:
        with pytest.raises(StorageError, match="cannot be written"), reader.connect() as conn:
            conn.exec_driver_sql("DELETE FROM users")
        with reader.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM users").scalar_one() == 1
    finally:
        reader.close()


def test_tokens_and_users_are_made_on_the_server_database(
    pg_cluster: postgres.Cluster,
    dirs: AppDirs,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A container's first step (installers/server): ``token create`` with the database URL
    in the environment makes the token in the (still empty) server database, which gets its
    schema; the data folder gets no SQLite database."""
    from timelygator.core import tokens
    from timelygator.core.cli import build_parser, run

    url = _fresh(pg_cluster)
    monkeypatch.setenv("TIMELYGATOR_DATABASE_URL", url)

    def tg(*args: str) -> str:
        capsys.readouterr()
        assert run(build_parser().parse_args([*args, "--data-dir", str(dirs.data)])) == 0
        return capsys.readouterr().out

    secret = tg("token", "create", "--scope", "admin", "--name", "admin").strip()
    tg("user", "create", "bob")
    listed = json.loads(tg("token", "list", "--json"))
    assert [(t["name"], t["scope"]) for t in listed] == [("admin", "admin")]
    assert [u["name"] for u in json.loads(tg("user", "list", "--json"))] == ["local", "bob"]
    assert not dirs.database.exists()
    with Services.open_server(url, dirs) as services, services.read() as conn:
        verified = tokens.verify_token(conn, secret)
        assert verified is not None and verified.user_id == services.user_id
