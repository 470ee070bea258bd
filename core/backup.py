"""Backups (encrypted, verified, rotated), restore, and retention.

A backup is an online copy of the database made with SQLite's backup API into a file
encrypted with the same key, checked with ``PRAGMA integrity_check`` before it replaces
anything. Restoring needs the app closed: the current file is kept aside, never deleted.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.errors import DatabaseCorruptError, StorageError, ValidationError
from core.paths import AppDirs
from core.services import Services, acquire_dir_lock, open_store
from core.store import Store

BACKUP_PREFIX = "timelygator-"
_NAME = re.compile(r"^timelygator-(\d{8}-\d{6})\.db$")


@dataclass(frozen=True, slots=True)
class BackupFile:
    path: Path
    created: datetime
    size_bytes: int


def list_backups(folder: Path) -> list[BackupFile]:
    """Backups in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match:
            created = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
            found.append(BackupFile(path, created, path.stat().st_size))
    return sorted(found, key=lambda b: b.created, reverse=True)


def backup_due(folder: Path, every_days: float, now: datetime | None = None) -> bool:
    """True when the newest backup is older than ``every_days`` (0 = never)."""
    if every_days <= 0:
        return False
    backups = list_backups(folder)
    if not backups:
        return True
    now = now or datetime.now(UTC)
    return (now - backups[0].created).total_seconds() >= every_days * 86_400


def backup_now(services: Services, folder: Path | None = None, keep: int = 5) -> BackupFile:
    """Write a verified, encrypted backup and delete the oldest beyond ``keep``."""
    folder = folder or services.dirs.backups
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    target = folder / f"{BACKUP_PREFIX}{stamp}.db"
    services.writer.flush()
    services.store.backup(target)
    backups = list_backups(folder)
    for old in backups[max(keep, 1) :]:
        old.path.unlink(missing_ok=True)
    return next(b for b in list_backups(folder) if b.path == target)


def restore_backup(dirs: AppDirs, backup: Path, passphrase: str | None) -> Path:
    """Replace the database by ``backup``; returns where the previous file was kept.

    The backup must open with this data folder's key and pass an integrity check first.
    TimelyGator must not be running on this folder (the folder lock is taken).
    """
    if not backup.is_file():
        raise ValidationError(f"There is no backup file at {backup}.")
    lock = acquire_dir_lock(dirs)
    try:
        current = open_store(dirs, passphrase, create=False)
        key = current._key
        current.close()
        candidate = Store(backup, key, pool_size=1)
        try:
            problems = candidate.integrity_check()
        except StorageError as exc:
            raise ValidationError(
                f"{backup} cannot be restored: it does not open with this folder's key or is "
                f"damaged ({exc}). Nothing was changed."
            ) from None
        finally:
            candidate.engine.dispose()
        if problems:
            raise DatabaseCorruptError(f"{backup} is damaged ({problems[0]}); nothing was changed.")
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        kept = dirs.database.with_name(f"{dirs.database.name}.before-restore-{stamp}")
        os.replace(dirs.database, kept)
        for suffix in ("-wal", "-shm"):
            Path(str(dirs.database) + suffix).unlink(missing_ok=True)
        tmp = dirs.database.with_name(dirs.database.name + ".restoring")
        shutil.copyfile(backup, tmp)
        os.replace(tmp, dirs.database)
        return kept
    finally:
        lock.release()


def purge_older_than(services: Services, days: int, now_us: int | None = None) -> int:
    """Retention: delete events that ended more than ``days`` ago; returns how many."""
    if days <= 0:
        return 0
    now_us = now_us if now_us is not None else services.clock.now_us()
    return services.writer.purge_before(now_us - days * 86_400 * 1_000_000).result()
