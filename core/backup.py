"""Backups (encrypted, verified, rotated), restore, and retention.

A backup is an online copy of the database made with SQLite's backup API into a file
encrypted with the same key, checked with ``PRAGMA integrity_check`` before it replaces
anything. Backups can be written beside a running app (they only read the database).

Restoring needs the folder lock (the app closed). The backup itself is only ever read, as an
immutable file (its bytes never change; it may sit on read-only media): it must open with
this folder's key and pass an integrity check; then it is copied to
``timelygator.db.restore-partial``, fsynced, checked again, renamed to
``timelygator.db.restoring`` (from here on a crash is finished by the next start) and swapped
in. The replaced database is kept as ``timelygator.db.before-restore-<stamp>`` (with its
write-ahead log), never deleted; the current file is never opened, so a damaged one can be
replaced too.

Retention deletes old events from the database and from the rotated backups in the default
backup folder and the folder given (``purge_backups_older_than``).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Table, and_, delete, func, inspect, select
from sqlalchemy.sql.elements import ColumnElement
from timelygator.core import files, sql_dialect, steps
from timelygator.core.errors import (
    DatabaseCorruptError,
    DatabaseLockedError,
    KeyMissingError,
    StorageError,
    ValidationError,
    WrongKeyError,
)
from timelygator.core.keys import DataKey, KeyMode, KeyStore
from timelygator.core.locks import SWAPPER_BUSY, FolderLock, SwapLock
from timelygator.core.models import (
    AnalyticsValue,
    Bucket,
    DayDigest,
    DayStats,
    Event,
    Setting,
    User,
)
from timelygator.core.paths import AppDirs
from timelygator.core.recovery import (
    RESTORE_PARTIAL_SUFFIX,
    RESTORING_SUFFIX,
    finish_key_op,
    sibling,
    swap_in,
)
from timelygator.core.schema import SCHEMA_VERSION
from timelygator.core.services import Services
from timelygator.core.store import Store, damaged_pages, key_fits_file

log = logging.getLogger(__name__)

BACKUP_PREFIX = "timelygator-"
_NAME = re.compile(r"^timelygator-(\d{8}-\d{6})\.db$")
# Tables every TimelyGator database has; a file without them is not one of our backups.
_OUR_TABLES = {model.__tablename__ for model in (User, Bucket, Event, Setting)}
# The analytics caches: emptied in a purged backup (rebuilt from its events when restored).
_CACHE_TABLES: tuple[Table, ...] = tuple(
    cast(Table, model.__table__) for model in (DayDigest, DayStats, AnalyticsValue)
)
_EVENTS = cast(Table, Event.__table__)


def _ended_before(cutoff_us: int) -> ColumnElement[bool]:
    """Events that ended before ``cutoff_us`` (and so also started before it)."""
    return and_(_EVENTS.c.start_us < cutoff_us, _EVENTS.c.end_us < cutoff_us)


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
    if not services.read_only:
        services.writer.flush()
    services.file_store.backup(target)
    backups = list_backups(folder)
    for old in backups[max(keep, 1) :]:
        files.remove(old.path)
        steps.step("backup", "rotated")
    return next(b for b in list_backups(folder) if b.path == target)


# -- verifying a file read-only ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Verified:
    """A database file that opened with ``key`` and passed its checks."""

    key: DataKey
    schema_version: int


def verify_file(path: Path, keys: list[DataKey]) -> Verified:
    """Open ``path`` immutably with one of ``keys`` and check it; nothing is written.

    ValidationError (one sentence; details in the debug log) when it is empty, does not
    open with any key, is not a TimelyGator database, is from a newer version or is damaged.
    """
    if not path.is_file():
        raise ValidationError(f"There is no file at {path}.")
    if path.stat().st_size == 0:
        raise ValidationError(f"{path} is empty: it is not a backup. Nothing was changed.")
    damaged: list[str] = []
    for key in keys:
        store = Store(path, key, pool_size=1, access="immutable")
        try:
            with store.fresh_connection() as raw:
                version = int(raw.execute("PRAGMA user_version").fetchone()[0])
            with store.connect_fresh() as conn:
                tables = set(inspect(conn).get_table_names())
            problems = store.integrity_check()
        except WrongKeyError:
            continue
        except StorageError as exc:
            damaged = [str(exc)]
            break
        finally:
            store.engine.dispose()
        if not tables >= _OUR_TABLES:
            raise ValidationError(f"{path} is not a TimelyGator database. Nothing was changed.")
        if version > SCHEMA_VERSION:
            raise ValidationError(
                f"{path} was written by a newer TimelyGator (schema {version}); update "
                "TimelyGator to restore it. Nothing was changed."
            )
        if problems:
            damaged = problems
            break
        return Verified(key, version)
    if damaged:
        log.debug("integrity problems of %s: %s", path, damaged)
        pages = damaged_pages(damaged)
        where = f" (damaged pages: {', '.join(map(str, pages[:10]))})" if pages else ""
        raise ValidationError(
            f"{path} is damaged{where} and cannot be restored; try an older backup. "
            "Nothing was changed.",
            details=damaged,
        )
    if any(key_fits_file(path, key) for key in keys):
        raise ValidationError(
            f"{path} is damaged (its first page cannot be read) and cannot be restored; try "
            "an older backup. Nothing was changed."
        )
    raise ValidationError(
        f"{path} cannot be restored: it does not open with this folder's key (a backup of "
        "another folder, from before a rekey, or not a TimelyGator file). Nothing was changed."
    )


# -- restore --------------------------------------------------------------------------------------
def restore_backup(dirs: AppDirs, backup: Path, passphrase: str | None) -> Path | None:
    """Replace the database by ``backup``; returns where the previous file was kept.

    The backup must open with this data folder's key and pass an integrity check first.
    TimelyGator must not be running on this folder (the folder lock is taken).
    """
    backup = Path(backup)
    if not backup.is_file():
        raise ValidationError(f"There is no backup file at {backup}.")
    try:
        lock = FolderLock.acquire(dirs)
    except DatabaseLockedError:
        raise DatabaseLockedError(
            f"TimelyGator is running on {dirs.data} (the app, 'timelygator serve' or "
            "'watch'). Quit it first, then run the restore again. Nothing was changed."
        ) from None
    try:
        keystore = KeyStore(dirs)
        finish_key_op(keystore, passphrase)
        mode = keystore.mode()
        if mode is None:
            raise KeyMissingError(
                f"There is no key for {dirs.data}: a backup can only be restored into the "
                "folder (with the key) it was made from. Nothing was changed."
            )
        keys = keystore.load(passphrase)
        verified = verify_file(backup, keys)
        steps.step("restore", "backup-verified")
        swap = SwapLock(dirs)
        with swap.hold(exclusive=True, busy=SWAPPER_BUSY):
            partial = sibling(dirs, RESTORE_PARTIAL_SUFFIX)
            files.remove(partial, *files.sidecars(partial))
            files.copy_private(backup, partial)
            steps.step("restore", "copied")
            verify_file(partial, [verified.key])
            steps.step("restore", "copy-verified")
            restoring = sibling(dirs, RESTORING_SUFFIX)
            files.replace(partial, restoring)
            steps.step("restore", "committed")
            kept = swap_in(dirs, restoring, "restore")
            if len(keys) > 1:
                if verified.key == keys[0]:
                    keystore.discard_pending()
                else:
                    pending = passphrase if mode is KeyMode.PASSPHRASE else None
                    keystore.promote_pending(verified.key, pending)
            steps.step("restore", "done")
        return kept
    finally:
        lock.release()


# -- retention --------------------------------------------------------------------------------
def purge_older_than(services: Services, days: int, now_us: int | None = None) -> int:
    """Retention: delete events that ended more than ``days`` ago; returns how many."""
    if days <= 0:
        return 0
    now_us = now_us if now_us is not None else services.clock.now_us()
    return services.writer.purge_before(now_us - days * 86_400 * 1_000_000).result()


def purge_backup(path: Path, key: DataKey, cutoff_us: int) -> int:
    """Delete events that ended before ``cutoff_us`` from one backup; returns how many.

    The backup is rewritten beside itself (copy, delete with ``secure_delete``, drop the
    analytics caches, VACUUM, check, fsync) and renamed over the original: a crash leaves
    the old or the new backup, never a broken one.
    """
    probe = Store(path, key, pool_size=1, access="immutable")
    try:
        with probe.connect_fresh() as conn:
            stale = conn.execute(
                select(func.count()).select_from(_EVENTS).where(_ended_before(cutoff_us))
            ).scalar_one()
        layout = probe.layout
    finally:
        probe.engine.dispose()
    if not stale:
        return 0
    work = path.with_name(path.name + ".partial")
    files.remove(work, *files.sidecars(work))
    files.copy_private(path, work)
    steps.step("retention", "backup-copied")
    store = Store(work, key, pool_size=1, layout=layout, wal=False)
    try:
        with store.connect_fresh() as conn:
            sql_dialect.secure_delete(conn)
            with conn.begin():
                deleted = conn.execute(delete(_EVENTS).where(_ended_before(cutoff_us))).rowcount
                tables = set(inspect(conn).get_table_names())
                for table in _CACHE_TABLES:
                    if table.name in tables:  # an older backup may not have them yet
                        conn.execute(delete(table))
            sql_dialect.vacuum(conn)
        problems = store.integrity_check()
    except BaseException:
        store.engine.dispose()
        files.remove(work, *files.sidecars(work))
        raise
    store.engine.dispose()
    if problems:
        files.remove(work, *files.sidecars(work))
        raise DatabaseCorruptError(f"Retention could not rewrite the backup {path}.")
    files.fsync_file(work)
    steps.step("retention", "backup-purged")
    files.replace(work, path)
    steps.step("retention", "backup-replaced")
    return int(deleted)


def purge_backups_older_than(
    services: Services, folders: list[Path], days: int, now_us: int | None = None
) -> int:
    """Retention for backups: purge every backup in ``folders``; returns events deleted.

    Backups that do not open with the folder's key (made before a rekey) cannot hold
    readable data for anyone without the old key; they are left alone.
    """
    if days <= 0:
        return 0
    now_us = now_us if now_us is not None else services.clock.now_us()
    cutoff = now_us - days * 86_400 * 1_000_000
    key = services.file_store.key
    if key is None:
        return 0
    total = 0
    seen: set[Path] = set()
    for folder in folders:
        for backup in list_backups(folder):
            if backup.path.resolve() in seen:
                continue
            seen.add(backup.path.resolve())
            try:
                total += purge_backup(backup.path, key, cutoff)
            except WrongKeyError:
                log.info("retention: %s does not open with the current key", backup.path)
    return total
