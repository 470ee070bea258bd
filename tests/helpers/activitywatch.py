"""ActivityWatch databases built as ActivityWatch writes them, for the import tests.

The statements follow aw-server-rust's datastore migrations (v1 to v6, ``sqlite.db``) and the
tables peewee creates for aw-server's models (``peewee-sqlite.v2.db``), with values in the
forms those servers store: nanoseconds and RFC 3339 text (Rust), ``str(datetime)`` and seconds
(peewee).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RUST_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE NOT NULL,
    type TEXT NOT NULL,
    client TEXT NOT NULL,
    hostname TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bucket_id_index ON buckets(id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucketrow INTEGER NOT NULL,
    starttime INTEGER NOT NULL,
    endtime INTEGER NOT NULL,
    data TEXT NOT NULL,
    FOREIGN KEY (bucketrow) REFERENCES buckets(id)
);
CREATE INDEX IF NOT EXISTS events_bucketrow_index ON events(bucketrow);
CREATE INDEX IF NOT EXISTS events_starttime_index ON events(starttime);
CREATE INDEX IF NOT EXISTS events_endtime_index ON events(endtime);
PRAGMA user_version = 1;
ALTER TABLE buckets ADD COLUMN data TEXT DEFAULT '{}';
PRAGMA user_version = 2;
ALTER TABLE buckets RENAME COLUMN data TO data_deprecated;
ALTER TABLE buckets ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
PRAGMA user_version = 3;
CREATE TABLE key_value (
    key TEXT PRIMARY KEY,
    value TEXT,
    last_modified NUMBER NOT NULL
);
PRAGMA user_version = 4;
DROP INDEX IF EXISTS events_bucketrow_index;
DROP INDEX IF EXISTS events_starttime_index;
DROP INDEX IF EXISTS events_endtime_index;
CREATE INDEX IF NOT EXISTS events_bucketrow_starttime_endtime_index
    ON events(bucketrow, starttime DESC, endtime);
PRAGMA user_version = 5;
CREATE INDEX IF NOT EXISTS events_bucketrow_endtime_starttime_index
    ON events(bucketrow, endtime, starttime DESC);
PRAGMA user_version = 6;
"""

PEEWEE_SCHEMA = """
CREATE TABLE IF NOT EXISTS "bucketmodel" ("key" INTEGER NOT NULL PRIMARY KEY,
    "id" VARCHAR(255) NOT NULL, "created" DATETIME NOT NULL, "name" VARCHAR(255),
    "type" VARCHAR(255) NOT NULL, "client" VARCHAR(255) NOT NULL,
    "hostname" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS "bucketmodel_id" ON "bucketmodel" ("id");
CREATE TABLE IF NOT EXISTS "eventmodel" ("id" INTEGER NOT NULL PRIMARY KEY,
    "bucket_id" INTEGER NOT NULL, "timestamp" DATETIME NOT NULL,
    "duration" DECIMAL(10, 5) NOT NULL, "datastr" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("bucket_id") REFERENCES "bucketmodel" ("key"));
CREATE INDEX IF NOT EXISTS "eventmodel_bucket_id" ON "eventmodel" ("bucket_id");
CREATE INDEX IF NOT EXISTS "eventmodel_timestamp" ON "eventmodel" ("timestamp");
"""

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLASSES = [
    {
        "id": 0,
        "name": ["Work"],
        "rule": {"type": "regex", "regex": "editor|terminal", "ignore_case": True},
        "data": {"color": "#0F0", "score": 1},
    },
    {
        "id": 1,
        "name": ["Work", "Docs"],
        "rule": {"type": "regex", "regex": "notes\\\\.md"},
        "data": {"color": "#0A0"},
    },
    {
        "id": 2,
        "name": ["Media"],
        "rule": {"type": "regex", "regex": "video"},
        "data": {"color": "#F00", "score": -1},
    },
]


def sample_events(count: int) -> list[tuple[datetime, float, dict[str, Any]]]:
    apps = ["editor", "terminal", "browser", "video"]
    return [
        (
            START + timedelta(seconds=90 * i),
            60.0 + (i % 3) * 0.25,
            {"app": apps[i % 4], "title": f"notes.md — day {i // 10}"},
        )
        for i in range(count)
    ]


def build_rust(path: Path, count: int = 40, *, wal: bool = False) -> sqlite3.Connection | None:
    """aw-server-rust's sqlite.db: a window and an AFK bucket, settings.classes.

    With ``wal`` the file is in WAL mode and the connection is returned still open, its
    writes in the ``-wal`` file, as while aw-server-rust runs.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.executescript(RUST_SCHEMA)
    created = START.isoformat(sep=" ", timespec="milliseconds")
    conn.execute(
        "INSERT INTO buckets (name, type, client, hostname, created, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ("aw-watcher-window_laptop", "currentwindow", "aw-watcher-window", "laptop", created, "{}"),
    )
    conn.execute(
        "INSERT INTO buckets (name, type, client, hostname, created, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ("aw-watcher-afk_laptop", "afkstatus", "aw-watcher-afk", "laptop", created, "{}"),
    )
    for moment, duration, data in sample_events(count):
        start = int(moment.timestamp()) * 1_000_000_000
        conn.execute(
            "INSERT INTO events (bucketrow, starttime, endtime, data) VALUES (1, ?, ?, ?)",
            (start, start + int(duration * 1e9), json.dumps(data)),
        )
    start = int(START.timestamp()) * 1_000_000_000
    conn.execute(
        "INSERT INTO events (bucketrow, starttime, endtime, data) VALUES (2, ?, ?, ?)",
        (start, start + 3600 * 1_000_000_000, json.dumps({"status": "not-afk"})),
    )
    conn.execute(
        "INSERT INTO key_value (key, value, last_modified) VALUES (?, ?, ?)",
        ("settings.classes", json.dumps(CLASSES), 1_700_000_000),
    )
    if wal:
        return conn
    conn.close()
    return None


def build_peewee(path: Path, count: int = 40) -> None:
    """aw-server's peewee-sqlite.v2.db with one window bucket."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(PEEWEE_SCHEMA)
    conn.execute(
        'INSERT INTO "bucketmodel" ("id", "created", "name", "type", "client", "hostname") '
        "VALUES (?, ?, ?, ?, ?, ?)",
        ("aw-watcher-window_desk", START.isoformat(), None, "currentwindow",
         "aw-watcher-window", "desk"),
    )  # fmt: skip
    for moment, duration, data in sample_events(count):
        conn.execute(
            'INSERT INTO "eventmodel" ("bucket_id", "timestamp", "duration", "datastr") '
            "VALUES (?, ?, ?, ?)",
            (1, str(moment), duration, json.dumps(data)),
        )
    conn.close()
