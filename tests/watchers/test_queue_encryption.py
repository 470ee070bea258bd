"""The watcher's offline queue holds titles and URLs: it is encrypted like the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from timelygator.core.client.offline_queue import OfflineQueue
from timelygator.core.keys import DataKey, KeyStore
from timelygator.core.paths import resolve_dirs
from timelygator.watchers.cli import queue_key

SECRET_TITLE = "Quarterly salary review — confidential.xlsx"


def test_queue_with_a_key_is_unreadable_on_disk_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    key = DataKey.generate()
    queue = OfflineQueue(path, key)
    queue.put("heartbeat", "aw-watcher-window_h", {"data": {"title": SECRET_TITLE}}, 2.0)
    queue.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("queue.db"))
    assert SECRET_TITLE.encode() not in raw
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT * FROM requests").fetchall()
    again = OfflineQueue(path, key)
    item = again.peek()
    assert item is not None
    assert item.body["data"]["title"] == SECRET_TITLE
    assert item.pulsetime == 2.0
    again.close()


def test_watch_uses_the_data_folder_key(tmp_path: Path) -> None:
    dirs = resolve_dirs(tmp_path / "data")
    dirs.ensure()
    first = queue_key(dirs, "queue key passphrase")
    assert KeyStore(dirs).key_file.exists()
    assert queue_key(dirs, "queue key passphrase").raw == first.raw


def test_watch_server_queue_is_encrypted_with_the_folder_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``watch --server`` with the server down: the title waits in the queue, unreadable."""
    import argparse

    from timelygator.core.event import Event
    from timelygator.watchers.cli import QUEUE_FILENAME, server_client

    data = tmp_path / "watch-data"
    args = argparse.Namespace(
        server="http://127.0.0.1:9", token_file=None, data_dir=data, passphrase_file=None
    )
    monkeypatch.setenv("TIMELYGATOR_PASSPHRASE", "queue test passphrase")
    client = server_client(args)
    client.ensure_bucket("aw-watcher-window_h", "currentwindow", "t", "h")
    client.heartbeat(
        "aw-watcher-window_h", Event(1_000_000, 2_000_000, {"title": SECRET_TITLE}), 2.0
    )
    client.close(timeout_s=0.1)
    queue_files = [p for p in data.iterdir() if p.name.startswith(QUEUE_FILENAME)]
    assert queue_files
    raw = b"".join(p.read_bytes() for p in queue_files)
    assert SECRET_TITLE.encode() not in raw
    assert not raw.startswith(b"SQLite format 3")
    key = KeyStore(resolve_dirs(data)).load("queue test passphrase")[0]
    queue = OfflineQueue(data / QUEUE_FILENAME, key)
    try:
        bodies = []
        while (item := queue.peek()) is not None:
            bodies.append(item.body)
            queue.remove(item.seq)
    finally:
        queue.close()
    assert any(b.get("data", {}).get("title") == SECRET_TITLE for b in bodies), bodies
