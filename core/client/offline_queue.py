"""A durable FIFO of requests waiting for the server (SQLite; SQLCipher when given a key).

Requests survive the server being down and this process restarting: each one is committed
(``synchronous=FULL``) before ``put`` returns and removed only after the server accepted it.
One process should own a queue file at a time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher
from timelygator.core import files
from timelygator.core.keys import DataKey

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,            -- 'bucket' | 'heartbeat'
    bucket TEXT NOT NULL,
    body TEXT NOT NULL,            -- JSON
    pulsetime REAL                 -- heartbeats only
);
CREATE TABLE IF NOT EXISTS buckets (
    bucket TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class QueuedRequest:
    seq: int
    kind: str
    bucket: str
    body: dict[str, Any]
    pulsetime: float | None


class OfflineQueue:
    """FIFO of pending requests in a small SQLite file (thread-safe)."""

    def __init__(self, path: str | os.PathLike[str], key: DataKey | None = None) -> None:
        """Open (or create) the queue; with ``key`` the file is encrypted by SQLCipher."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.Lock()
        module: Any = sqlcipher if key is not None else sqlite3
        with files.private_umask():  # titles are personal data: 0600, also the WAL
            self._conn = module.connect(self.path, check_same_thread=False, isolation_level=None)
        files.make_private(self.path)
        if key is not None:
            self._conn.execute("PRAGMA cipher_log_level = NONE")
            self._conn.execute(f"PRAGMA key = {key.sqlcipher_literal()}")
        try:
            self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except Exception:
            self._conn.close()
            raise
        with files.private_umask():
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)

    def put(
        self, kind: str, bucket: str, body: dict[str, Any], pulsetime: float | None = None
    ) -> int:
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO requests (kind, bucket, body, pulsetime) VALUES (?, ?, ?, ?)",
                (kind, bucket, json.dumps(body, separators=(",", ":")), pulsetime),
            )
            return int(cur.lastrowid or 0)

    def peek(self) -> QueuedRequest | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT seq, kind, bucket, body, pulsetime FROM requests ORDER BY seq LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        seq, kind, bucket, body, pulsetime = row
        return QueuedRequest(int(seq), str(kind), str(bucket), json.loads(body), pulsetime)

    def remove(self, seq: int) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM requests WHERE seq = ?", (seq,))

    def __len__(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT COUNT(*) FROM requests").fetchone()
        return int(row[0])

    def remember_bucket(self, bucket: str, body: dict[str, Any]) -> None:
        """Keep a bucket's definition, to re-create it if the server lost it."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO buckets (bucket, body) VALUES (?, ?)",
                (bucket, json.dumps(body)),
            )

    def bucket_body(self, bucket: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT body FROM buckets WHERE bucket = ?", (bucket,)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
