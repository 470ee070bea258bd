"""The encrypted file's layout: new files get 2 KB pages with HMAC-SHA256; files made with
SQLCipher's defaults (4 KB, HMAC-SHA512) before that still open, back up and rekey."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlcipher3 import dbapi2 as sqlcipher
from timelygator.core.errors import WrongKeyError
from timelygator.core.event import Event
from timelygator.core.keys import DataKey, KeyStore
from timelygator.core.maintenance import check_database, rekey_database
from timelygator.core.paths import AppDirs
from timelygator.core.schema import ensure_schema
from timelygator.core.services import Services
from timelygator.core.store import CURRENT_LAYOUT, LEGACY_LAYOUT, Store
from timelygator.core.writer import Writer

PASS = "layout test passphrase"
T = 1_700_000_000_000_000


def _raw(path: Path, key: DataKey, *pragmas: str) -> Any:
    """A bare sqlcipher3 connection: the key, then only the given pragmas."""
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {key.sqlcipher_literal()}")
    for pragma in pragmas:
        conn.execute(pragma)
    return conn


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


@pytest.fixture
def older_file(tmp_path: Path) -> Iterator[tuple[Path, DataKey, Any]]:
    """A database written with SQLCipher 4's defaults, its last rows still only in the WAL
    (the writing connection stays open, so nothing was checkpointed)."""
    path = tmp_path / "older.db"
    key = DataKey.generate()
    conn = _raw(path, key)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100, 150)])
    assert Path(str(path) + "-wal").stat().st_size > 0
    yield path, key, conn
    conn.close()


def test_a_new_database_has_2kb_pages_and_hmac_sha256(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    key = DataKey.generate()
    store = Store(path, key)
    ensure_schema(store)
    assert store.layout == CURRENT_LAYOUT
    with store.connect() as conn:
        assert int(conn.exec_driver_sql("PRAGMA page_size").scalar_one()) == 2048
        assert conn.exec_driver_sql("PRAGMA cipher_hmac_algorithm").scalar_one() == "HMAC_SHA256"
    store.close()
    # SQLCipher's default layout does not read it; the current one does.
    with pytest.raises(sqlcipher.DatabaseError, match="not a database"):
        _raw(path, key).execute("SELECT count(*) FROM sqlite_master").fetchone()
    tables = _raw(path, key, *CURRENT_LAYOUT.pragmas()).execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'events'"
    )
    assert tables.fetchone()[0] == 1


def test_a_database_made_with_sqlcipher_defaults_opens_and_keeps_its_layout(
    older_file: tuple[Path, DataKey, Any],
) -> None:
    path, key, _writer = older_file
    store = Store(path, key)
    with store.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*), max(x) FROM t").one() == (150, 149)
    assert store.layout == LEGACY_LAYOUT
    with store.connect() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1000)")
        conn.commit()
    store.close()
    # Still readable with the defaults it was made with, new row included.
    fresh = _raw(path, key)
    assert fresh.execute("SELECT count(*), max(x) FROM t").fetchone() == (151, 1000)
    assert fresh.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    fresh.close()


def test_a_wrong_key_on_an_older_database_changes_nothing(
    older_file: tuple[Path, DataKey, Any],
) -> None:
    path, _key, _writer = older_file
    wal = Path(str(path) + "-wal")
    before = (_digest(path), _digest(wal))
    store = Store(path, DataKey.generate())
    with pytest.raises(WrongKeyError, match="key or passphrase does not fit"):
        store.check_open()
    store.engine.dispose()
    assert (_digest(path), _digest(wal)) == before


def test_a_backup_keeps_the_layout_of_its_source(
    older_file: tuple[Path, DataKey, Any], tmp_path: Path
) -> None:
    path, key, _writer = older_file
    store = Store(path, key)
    store.backup(tmp_path / "backups" / "copy.db")
    store.close()
    copy = Store(tmp_path / "backups" / "copy.db", key)
    with copy.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 150
    assert copy.layout == LEGACY_LAYOUT
    assert copy.integrity_check() == []
    copy.engine.dispose()


def _rewrite_in_older_layout(dirs: AppDirs) -> None:
    """Turn the data folder's database into what an earlier TimelyGator wrote."""
    (key,) = KeyStore(dirs).load(PASS)
    store = Store(dirs.database, key)
    older = dirs.database.with_name("older.db")
    store.export_rekeyed(older, key, layout=LEGACY_LAYOUT)
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(dirs.database) + suffix).unlink(missing_ok=True)
    os.replace(older, dirs.database)


def test_rekey_brings_an_older_database_to_the_current_layout(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        bucket = services.ensure_bucket("b", type="t", client="c", hostname="h")
        services.writer.insert_events(
            bucket, [Event(T + i * 10**6, T + i * 10**6 + 500, {"i": i}) for i in range(60)]
        ).result()
    _rewrite_in_older_layout(dirs)

    before = check_database(dirs, PASS)
    assert before.ok and before.counts["events"] == 60
    assert before.layout == "SQLCipher 4, AES-256-CBC, HMAC-SHA512, 4 KB pages"
    assert not before.current_layout
    shown = subprocess.run(
        [sys.executable, "-m", "timelygator", "db", "check", "--data-dir", str(dirs.data)],
        capture_output=True,
        text=True,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS},
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "HMAC-SHA512, 4 KB pages" in shown.stdout
    assert "'timelygator db rekey' rewrites the file in the current one" in shown.stdout

    # The app works on it as it is: it opens, reads and writes.
    with Services.open(dirs, PASS) as services:
        bucket = services.ensure_bucket("b", type="t", client="c", hostname="h")
        services.writer.insert_events(bucket, [Event(T - 10**9, T - 10**9 + 1, {})]).result()

    rekey_database(dirs, PASS)
    after = check_database(dirs, PASS)
    assert after.ok and after.counts["events"] == 61
    assert after.current_layout
    assert after.layout == "SQLCipher 4, AES-256-CBC, HMAC-SHA256, 2 KB pages"


def test_an_acknowledged_heartbeat_commits_one_2kb_page(tmp_path: Path) -> None:
    """What encryption costs per heartbeat: the page holding the event, encrypted once."""
    store = Store(tmp_path / "db.sqlite", DataKey.generate())
    ensure_schema(store)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO users (name, created_us) VALUES ('local', 0)")
    writer = Writer(store, checkpoint_interval=3600)  # no background checkpoint meanwhile
    writer.start()
    wal = Path(str(store.path) + "-wal")

    def frames() -> int:
        with store.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            return int(raw.execute("PRAGMA wal_checkpoint(NOOP)").fetchone()[1])

    try:
        info = writer.create_bucket(1, "w", type="currentwindow", client="c", hostname="h")
        bucket = info.result().key  # type: ignore[union-attr]
        data = {"app": "editor", "title": "notes.txt"}
        for i in range(3):
            writer.heartbeat(bucket, Event(T + i * 10**6, T + i * 10**6, data), 5).result()
        before, size_before = frames(), wal.stat().st_size
        for i in range(3, 53):
            merged = writer.heartbeat(bucket, Event(T + i * 10**6, T + i * 10**6, data), 5)
            assert merged.result().end_us == T + i * 10**6
        assert frames() - before == 50
        assert wal.stat().st_size - size_before == 50 * (2048 + 24)  # page + frame header
    finally:
        writer.stop()
        store.close()
