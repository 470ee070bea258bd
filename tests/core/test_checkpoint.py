"""Checkpoints run beside the writer (``core.checkpoint``), not inside its commits."""

from __future__ import annotations

import threading
from pathlib import Path

from timelygator.core.checkpoint import WalCheckpointer
from timelygator.core.event import Event
from timelygator.core.keys import DataKey
from timelygator.core.schema import ensure_schema
from timelygator.core.store import Store
from timelygator.core.writer import Writer

S = 1_000_000
T = 1_700_000_000 * S
COMMITS = 1_500  # more than SQLite's default threshold of 1,000 pages


def wal_state(store: Store) -> tuple[int, int]:
    """(frames in the log, frames already copied into the database file)."""
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        _busy, frames, copied = raw.execute("PRAGMA wal_checkpoint(NOOP)").fetchone()
    return int(frames), int(copied)


def open_writer(tmp_path: Path, interval: float | None) -> tuple[Store, Writer, int]:
    store = Store(tmp_path / "db.sqlite", DataKey.generate())
    ensure_schema(store)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO users (name, created_us) VALUES ('local', 0)")
    writer = Writer(store, checkpoint_interval=interval)
    writer.start()
    info = writer.create_bucket(1, "w", type="t", client="c", hostname="h").result()
    assert info is not None
    return store, writer, info.key


def one_commit_each(writer: Writer, key: int, count: int) -> None:
    for i in range(count):
        writer.insert_events(key, [Event(T + i * S, T + i * S + S, {"n": i})]).result()


def test_commits_leave_the_copying_to_the_background_thread(tmp_path: Path) -> None:
    # A writer whose own checkpointer does not come round during this test.
    store, writer, key = open_writer(tmp_path, interval=3600)
    checkpointer = WalCheckpointer(store, lambda: writer.committed_transactions, interval=0.01)
    try:
        # The commits do not checkpoint at SQLite's 1,000 pages...
        one_commit_each(writer, key, COMMITS)
        frames, copied = wal_state(store)
        assert frames >= COMMITS and copied == 0
        # ... a checkpointer copies everything committed, without the writer waiting for it.
        checkpointer.start()
        assert checkpointer.wait_covered(writer.committed_transactions, timeout=30)
        frames, copied = wal_state(store)
        assert copied == frames >= COMMITS
    finally:
        checkpointer.stop()
        writer.stop()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one() == COMMITS
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    store.close()


def test_the_writer_starts_and_stops_its_checkpointer(tmp_path: Path) -> None:
    store, writer, key = open_writer(tmp_path, interval=0.01)
    try:
        assert writer.checkpointer is not None
        one_commit_each(writer, key, 20)
        assert writer.checkpointer.wait_covered(writer.committed_transactions, timeout=30)
        frames, copied = wal_state(store)
        assert copied == frames > 0
    finally:
        writer.stop()
    assert writer.checkpointer.checkpoints >= 1
    assert not any(t.name == "timelygator-checkpoint" for t in threading.enumerate())
    store.close()
