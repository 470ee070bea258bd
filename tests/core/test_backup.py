"""Backups: encrypted, verified, rotated, restorable; retention deletes old events only."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from timelygator.core.backup import (
    backup_due,
    backup_now,
    list_backups,
    purge_older_than,
    restore_backup,
)
from timelygator.core.errors import DatabaseLockedError, ValidationError
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

PASS = "backup test passphrase"
S = 1_000_000
DAY = 86_400 * S
NOW = 1_760_000_000 * S


def _fill(services: Services, titles: list[str]) -> int:
    key = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    services.writer.insert_events(
        key, [Event(NOW - i * S, NOW - i * S + S, {"title": t}) for i, t in enumerate(titles)]
    ).result()
    return key


def test_backup_restore_round_trip(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        _fill(services, ["before backup"])
        made = backup_now(services)
        _fill(services, ["after backup"])
    assert made.path.parent == dirs.backups
    assert not made.path.read_bytes().startswith(b"SQLite format 3")
    kept = restore_backup(dirs, made.path, PASS)
    assert kept is not None and kept.exists()
    with Services.open(dirs, PASS) as services:
        assert [e.data["title"] for e in services.events("w")] == ["before backup"]


def test_restore_refuses_while_running_and_refuses_a_foreign_file(
    dirs: AppDirs, tmp_path: Path
) -> None:
    with Services.open(dirs, PASS) as services:
        _fill(services, ["x"])
        made = backup_now(services)
        with pytest.raises(DatabaseLockedError):
            restore_backup(dirs, made.path, PASS)
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(os.urandom(8192))
    before = dirs.database.read_bytes()
    with pytest.raises(ValidationError, match="cannot be restored"):
        restore_backup(dirs, foreign, PASS)
    assert dirs.database.read_bytes() == before


def test_rotation_keeps_the_newest(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        _fill(services, ["x"])
        for i in range(4):
            stale = dirs.backups / f"timelygator-2020010{i + 1}-000000.db"
            dirs.backups.mkdir(exist_ok=True)
            stale.write_bytes(b"old")
        made = backup_now(services, keep=3)
    names = [b.path.name for b in list_backups(dirs.backups)]
    assert names == [
        made.path.name,
        "timelygator-20200104-000000.db",
        "timelygator-20200103-000000.db",
    ]


def test_backup_due(tmp_path: Path) -> None:
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert backup_due(tmp_path, 7, now)
    (tmp_path / "timelygator-20261125-120000.db").write_bytes(b"x")
    assert not backup_due(tmp_path, 7, now)
    assert backup_due(tmp_path, 2, now)
    assert not backup_due(tmp_path, 0, now + timedelta(days=999))


def test_retention_deletes_only_old_events_and_heartbeats_keep_working(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        key = services.ensure_bucket("w", type="t", client="c", hostname="h")
        services.writer.insert_events(
            key,
            [
                Event(NOW - 40 * DAY, NOW - 40 * DAY + S, {"title": "old"}),
                Event(NOW - 10 * DAY, NOW - 10 * DAY + S, {"title": "recent"}),
            ],
        ).result()
        services.writer.heartbeat(key, Event(NOW, NOW + S, {"title": "now"}), 5).result()
        assert purge_older_than(services, 30, now_us=NOW) == 1
        merged = services.writer.heartbeat(
            key, Event(NOW + 2 * S, NOW + 3 * S, {"title": "now"}), 5
        ).result()
        assert (merged.start_us, merged.end_us) == (NOW, NOW + 3 * S)
        assert sorted(e.data["title"] for e in services.events("w")) == ["now", "recent"]


def test_backup_cli(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        _fill(services, ["x"])
    env = {**os.environ, "TIMELYGATOR_PASSPHRASE": PASS}
    empty = subprocess.run(
        [sys.executable, "-m", "timelygator", "backup", "--list", "--data-dir", str(dirs.data)],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout == f"No backups in {dirs.backups} yet; 'timelygator backup' writes one.\n"
    made = subprocess.run(
        [sys.executable, "-m", "timelygator", "backup", "--data-dir", str(dirs.data)],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "Backup written and verified" in made.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "timelygator", "backup", "--list", "--data-dir", str(dirs.data)],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert str(list_backups(dirs.backups)[0].path) in listed.stdout
