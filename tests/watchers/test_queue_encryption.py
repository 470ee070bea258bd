"""The watcher's offline queue holds titles and URLs: it is encrypted like the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.client.offline_queue import OfflineQueue
from core.keys import DataKey, KeyStore
from core.paths import resolve_dirs
from watchers.cli import queue_key

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
