"""Importing ActivityWatch's own databases (aw-server-rust and aw-server), as a user would."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from timelygator.core.awimport import (
    activitywatch_data_dir,
    find_activitywatch_databases,
    import_activitywatch,
)
from timelygator.core.errors import StorageError
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.helpers.activitywatch import START, build_peewee, build_rust

PASS = "aw import passphrase"
ROOT = Path(__file__).resolve().parents[2]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )


def test_found_in_activitywatchs_default_folder(tmp_path: Path) -> None:
    # The suite points XDG_DATA_HOME into the test's home: ActivityWatch's folder is there.
    assert str(activitywatch_data_dir()).startswith(str(tmp_path))
    assert find_activitywatch_databases() == []
    build_rust(activitywatch_data_dir() / "aw-server-rust" / "sqlite.db")
    build_peewee(activitywatch_data_dir() / "aw-server" / "peewee-sqlite.v2.db")
    kinds = {d.kind for d in find_activitywatch_databases()}
    assert kinds == {"aw-server-rust", "aw-server"}


def test_cli_imports_aw_server_rust_database_once_and_leaves_it_unchanged(dirs: AppDirs) -> None:
    source = activitywatch_data_dir() / "aw-server-rust" / "sqlite.db"
    build_rust(source, count=40)
    before = sha(source)
    siblings = sorted(p.name for p in source.parent.iterdir())
    first = tg("import", "--activitywatch", "--data-dir", str(dirs.data))
    assert first.returncode == 0, first.stderr
    assert "aw-watcher-window_laptop: 40 imported" in first.stdout
    assert "aw-watcher-afk_laptop: 1 imported" in first.stdout
    assert "3 categories imported from ActivityWatch." in first.stdout
    second = tg("import", str(source), "--data-dir", str(dirs.data))
    assert second.returncode == 0, second.stderr
    assert "Imported 0 events into 2 buckets (41 already present)." in second.stdout
    assert "ActivityWatch's categories are in place already." in second.stdout
    assert sha(source) == before
    assert sorted(p.name for p in source.parent.iterdir()) == siblings
    with Services.open_reader(dirs, PASS) as services:
        buckets = {b.name: b for b in services.buckets()}
        assert buckets["aw-watcher-window_laptop"].type == "currentwindow"
        assert buckets["aw-watcher-window_laptop"].hostname == "laptop"
        events = services.events("aw-watcher-window_laptop")
        assert len(events) == 40
        first_event = min(events, key=lambda e: e.start_us)
        assert first_event.start_us == int(START.timestamp()) * 1_000_000
        assert first_event.duration_s == 60.0
        assert first_event.data == {"app": "editor", "title": "notes.md — day 0"}
        # ActivityWatch keeps no UTC offset: none is invented.
        assert first_event.tz_offset_s is None
        with services.read() as conn:
            names = [r[0] for r in conn.exec_driver_sql("SELECT name FROM categories ORDER BY id")]
    assert names == ["Work", "Docs", "Media"]


def test_peewee_database_from_aw_server(dirs: AppDirs, tmp_path: Path) -> None:
    source = tmp_path / "aw" / "peewee-sqlite.v2.db"
    build_peewee(source, count=25)
    with Services.open(dirs, PASS) as services:
        result = import_activitywatch(services, source)
        assert [(b.name, b.imported) for b in result.buckets] == [("aw-watcher-window_desk", 25)]
        events = sorted(services.events("aw-watcher-window_desk"), key=lambda e: e.start_us)
        assert events[0].start_us == int(START.timestamp()) * 1_000_000
        assert events[1].duration_s == 60.25
        assert result.categories is None


def test_a_live_activitywatch_database_is_read_with_its_wal(dirs: AppDirs, tmp_path: Path) -> None:
    source = tmp_path / "aw-live" / "sqlite.db"
    conn = build_rust(source, count=12, wal=True)
    assert conn is not None
    try:
        assert Path(f"{source}-wal").stat().st_size > 0
        wal_before = sha(Path(f"{source}-wal"))
        with Services.open(dirs, PASS) as services:
            result = import_activitywatch(services, source)
        assert sum(b.imported for b in result.buckets) == 13
        assert sha(Path(f"{source}-wal")) == wal_before
    finally:
        conn.close()


def test_an_import_that_fails_half_way_writes_nothing(
    dirs: AppDirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "aw" / "sqlite.db"
    build_rust(source, count=10)
    from timelygator.core.writer import Writer

    original = Writer._insert
    calls = []

    def failing(self: Writer, *args: Any, **kwargs: Any) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise StorageError("the disk went away")
        return original(self, *args, **kwargs)

    with Services.open(dirs, PASS) as services:
        monkeypatch.setattr(Writer, "_insert", failing)
        with pytest.raises(StorageError):
            import_activitywatch(services, source)
        monkeypatch.setattr(Writer, "_insert", original)
        assert services.buckets() == []
        with services.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM categories").scalar_one() == 0
        again = import_activitywatch(services, source)
        assert sum(b.imported for b in again.buckets) == 11


def test_not_an_activitywatch_file_is_refused(dirs: AppDirs, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    Services.open(dirs, PASS).close()
    result = tg("import", str(other), "--data-dir", str(dirs.data))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "timelygator: other.db is not an ActivityWatch database (it has no buckets or events "
        "table)."
    )
    assert json.loads(tg("export", "--data-dir", str(dirs.data)).stdout) == {"buckets": {}}
