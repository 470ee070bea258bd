"""Nothing readable on disk: database, WAL and backups are encrypted as a whole."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

MARKER = "MARKER-3f9c-secret-window-title"
T = 1_700_000_000_000_000


def _write_marker(services: Services) -> None:
    key = services.ensure_bucket(
        "aw-watcher-window_h", type="currentwindow", client="t", hostname="h"
    )
    for i in range(200):
        services.writer.heartbeat(
            key, Event(T + i * 10**6, T + i * 10**6, {"app": "editor", "title": f"{MARKER} {i}"}), 0
        ).result()


def test_database_and_wal_contain_no_plaintext(dirs: AppDirs) -> None:
    services = Services.open(dirs, "a good passphrase")
    try:
        _write_marker(services)
        wal = Path(str(dirs.database) + "-wal")
        assert wal.exists() and wal.stat().st_size > 0, "expected live WAL content"
        for path in (dirs.database, wal):
            raw = path.read_bytes()
            assert MARKER.encode() not in raw
            assert b"editor" not in raw
        assert not dirs.database.read_bytes().startswith(b"SQLite format 3")
    finally:
        services.close()
    raw = dirs.database.read_bytes()
    assert MARKER.encode() not in raw
    assert not raw.startswith(b"SQLite format 3\x00")


def test_stdlib_sqlite_cannot_read_the_file(dirs: AppDirs) -> None:
    with Services.open(dirs, "a good passphrase") as services:
        _write_marker(services)
    conn = sqlite3.connect(dirs.database)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    conn.close()


def test_backup_is_encrypted_verified_and_restorable(dirs: AppDirs, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "copy.db"
    with Services.open(dirs, "a good passphrase") as services:
        _write_marker(services)
        services.file_store.backup(target)
    raw = target.read_bytes()
    assert MARKER.encode() not in raw
    assert not raw.startswith(b"SQLite format 3")
    # The backup opens with the same key and holds the same events.
    from timelygator.core.keys import KeyStore
    from timelygator.core.store import Store

    (key,) = KeyStore(dirs).load("a good passphrase")
    copy = Store(target, key)
    try:
        assert copy.integrity_check() == []
        with copy.connect() as conn:
            titles = [r[0] for r in conn.exec_driver_sql("SELECT data FROM events")]
        assert len(titles) == 200
        assert MARKER in titles[0]
    finally:
        copy.engine.dispose()
