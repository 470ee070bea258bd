"""Maintenance of a data directory: check, passphrase changes, rekey, salvage.

``check_database`` only reads (it works beside a running app). Everything else changes keys
or files and holds the folder lock for its whole run (no app or server may be using the
folder), resolving what an earlier interrupted operation left first (``core.recovery``).
Each multi-step operation reports its steps to ``core.steps``; the fault-injection tests kill
it at every one of them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import Table, func, select
from timelygator.core import files, sql_dialect, steps
from timelygator.core.errors import (
    DatabaseCorruptError,
    DatabaseLockedError,
    SchemaTooNewError,
    StorageError,
    ValidationError,
)
from timelygator.core.keys import DataKey, KeyMode, KeyStore
from timelygator.core.locks import READER_BUSY, SWAPPER_BUSY, FolderLock, SwapLock
from timelygator.core.models import ApiToken, Bucket, Category, Event, Setting, User
from timelygator.core.paths import AppDirs
from timelygator.core.recovery import (
    REKEY_OLD_SUFFIX,
    REKEY_SUFFIX,
    has_contents,
    open_locked,
    open_reader,
    sibling,
)
from timelygator.core.schema import SCHEMA_VERSION
from timelygator.core.store import CURRENT_LAYOUT, Store, damaged_pages

log = logging.getLogger(__name__)

# The tables ``db check`` counts, in the order it lists them (every table of ours but the
# analytics caches, which are rebuilt from the events; a test checks none is missing).
TABLES: tuple[Table, ...] = tuple(
    cast(Table, model.__table__) for model in (User, Bucket, Event, ApiToken, Category, Setting)
)
_COUNTS = {table.name: select(func.count()).select_from(table) for table in TABLES}


@dataclass
class CheckReport:
    """What ``timelygator db check`` prints."""

    path: Path
    size_bytes: int
    encrypted: bool
    key_mode: str
    layout: str
    schema_version: int
    expected_schema_version: int
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    current_layout: bool = True
    damaged_pages: list[int] = field(default_factory=list)
    unreadable_tables: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.schema_version == self.expected_schema_version


def check_database(dirs: AppDirs, passphrase: str | None) -> CheckReport:
    """Integrity, schema version and row counts; read-only, also beside a running app."""
    swap = SwapLock(dirs)
    if not dirs.data.is_dir():
        raise StorageError(f"There is no TimelyGator database in {dirs.data}.")
    with swap.hold(exclusive=False, busy=READER_BUSY):
        keystore = KeyStore(dirs)
        store = open_reader(dirs, passphrase)
        try:
            try:
                problems = store.integrity_check()
            except DatabaseCorruptError as exc:
                problems = [str(exc)]
            counts: dict[str, int] = {}
            unreadable: list[str] = []
            for name, count in _COUNTS.items():
                # A connection of its own per table: one that met a damaged page may fail on.
                try:
                    with store.connect_fresh() as conn:
                        counts[name] = int(conn.execute(count).scalar_one())
                except Exception:
                    unreadable.append(name)
            with store.fresh_connection() as raw:
                version = int(raw.execute("PRAGMA user_version").fetchone()[0])
            layout = store.layout
        finally:
            store.engine.dispose()
    pages = damaged_pages(problems)
    if unreadable:
        problems.append(f"table(s) {', '.join(unreadable)} cannot be read completely")
    mode = keystore.mode()
    return CheckReport(
        path=dirs.database,
        size_bytes=dirs.database.stat().st_size,
        encrypted=store.encrypted,
        key_mode=mode.value if mode else "none",
        layout=layout.describe() if layout else "plaintext",
        current_layout=layout == CURRENT_LAYOUT,
        schema_version=version,
        expected_schema_version=SCHEMA_VERSION,
        problems=problems,
        counts=counts,
        damaged_pages=pages,
        unreadable_tables=unreadable,
    )


# -- holding the folder ------------------------------------------------------------------------
def _running_message(dirs: AppDirs, instead: str) -> str:
    return (
        f"TimelyGator is running on {dirs.data} (the app, 'timelygator serve' or 'watch'). "
        f"{instead} Nothing was changed."
    )


@contextmanager
def holding_folder(dirs: AppDirs, instead: str) -> Iterator[FolderLock]:
    """The folder lock for one maintenance command; a clear refusal while the app runs."""
    if not dirs.data.is_dir():
        raise StorageError(f"There is no TimelyGator data folder at {dirs.data} yet.")
    try:
        lock = FolderLock.acquire(dirs)
    except DatabaseLockedError:
        raise DatabaseLockedError(_running_message(dirs, instead)) from None
    try:
        yield lock
    finally:
        lock.release()


@contextmanager
def opened(dirs: AppDirs, passphrase: str | None, lock: FolderLock) -> Iterator[Store]:
    """The database opened by the lock holder (interrupted operations resolved first)."""
    store = open_locked(dirs, passphrase, lock, create=False)
    try:
        yield store
    finally:
        store.close()


def _refuse_newer(store: Store) -> None:
    version = store.user_version()
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{store.path} was written by a newer TimelyGator (schema {version}, this version "
            f"knows {SCHEMA_VERSION}). Update TimelyGator; the database was not changed."
        )


# -- passphrase ---------------------------------------------------------------------------------
KEY_CHANGE_ELSEWHERE = "Change the passphrase in the app (Settings → Data), or quit it first."


def set_passphrase(dirs: AppDirs, new_passphrase: str, *, lock: FolderLock | None = None) -> None:
    """Protect the key with a passphrase (moves it out of the keyring; creates it if none).

    ``lock``: the folder lock of a caller that has the folder open (the app); without it
    the lock is taken here and interrupted operations are resolved first.
    """
    if lock is None:
        dirs.ensure()
        files.private_dir(dirs.data)
        with holding_folder(dirs, KEY_CHANGE_ELSEWHERE) as held:
            keystore = KeyStore(dirs)
            if keystore.mode() is None and not has_contents(dirs.database):
                # A fresh folder (say, on a machine without a keyring): key and database.
                from timelygator.core.services import Services

                Services.open(dirs, new_passphrase, create=True, lock=held).close()
                return
            with opened(dirs, None, held):
                pass  # resolves a pending key; checks that the key opens the database
            _set(dirs, new_passphrase)
        return
    _set(dirs, new_passphrase)


def _set(dirs: AppDirs, new_passphrase: str) -> None:
    keystore = KeyStore(dirs)
    if keystore.mode() is KeyMode.PASSPHRASE:
        raise ValidationError(
            "A passphrase is already set; use 'timelygator db passphrase change' instead."
        )
    (key,) = keystore.load(None)[:1]
    keystore.set_passphrase(key, new_passphrase)


def change_passphrase(dirs: AppDirs, old: str, new: str, *, lock: FolderLock | None = None) -> None:
    """Rewrap the key under a new passphrase (a pending key is resolved first)."""
    if KeyStore(dirs).mode() is not KeyMode.PASSPHRASE:
        raise ValidationError("No passphrase is set; use 'timelygator db passphrase set'.")
    if lock is None:
        with holding_folder(dirs, KEY_CHANGE_ELSEWHERE) as held:
            with opened(dirs, old, held):
                pass
            KeyStore(dirs).change_passphrase(old, new)
        return
    KeyStore(dirs).change_passphrase(old, new)


def remove_passphrase(dirs: AppDirs, passphrase: str, *, lock: FolderLock | None = None) -> None:
    """Move the key back into the OS keyring (a pending key is resolved first)."""
    if KeyStore(dirs).mode() is not KeyMode.PASSPHRASE:
        raise ValidationError("No passphrase is set; the key is in the OS keyring already.")
    if lock is None:
        with holding_folder(dirs, KEY_CHANGE_ELSEWHERE) as held:
            with opened(dirs, passphrase, held):
                pass
            KeyStore(dirs).remove_passphrase(passphrase)
        return
    KeyStore(dirs).remove_passphrase(passphrase)


# -- rekey ---------------------------------------------------------------------------------------
def rekey_database(dirs: AppDirs, passphrase: str | None) -> None:
    """Re-encrypt the whole database under a new random key.

    With the folder lock held and readers kept out (swap lock): the WAL is checkpointed
    into the file; the new key is saved as pending; the re-encrypted copy is written beside
    the file, fsynced and verified; the pending key is re-read and must still be the new
    key; the old file is kept (hard link ``.rekey-old``) and the copy renamed over it; then
    the new key becomes the current one, which is read back. If saving the key fails, the
    old file is put back and the pending key dropped. A crash at any step leaves a file and
    a key that opens it (``core.recovery.open_locked`` finishes or undoes the rest).
    """
    with holding_folder(dirs, "Quit it first, then run 'timelygator db rekey' again.") as lock:
        keystore = KeyStore(dirs)
        store = open_locked(dirs, passphrase, lock, create=False)
        mode = keystore.mode()
        wrap = passphrase if mode is KeyMode.PASSPHRASE else None
        tmp = sibling(dirs, REKEY_SUFFIX)
        old = sibling(dirs, REKEY_OLD_SUFFIX)
        swap = SwapLock(dirs)
        try:
            _refuse_newer(store)
            swap.acquire(exclusive=True, busy=SWAPPER_BUSY)
            _checkpoint_all(store)
            new_key = DataKey.generate()
            keystore.store_pending(new_key, wrap)
            steps.step("rekey", "pending-saved")
            store.export_rekeyed(tmp, new_key)
            steps.step("rekey", "exported")
            files.fsync_file(tmp)
            check = Store(tmp, new_key, pool_size=1, layout=CURRENT_LAYOUT, access="immutable")
            try:
                problems = check.integrity_check()
            finally:
                check.engine.dispose()
            if problems:
                raise StorageError(
                    f"Rekey aborted: the re-encrypted copy failed its check ({problems[0]}). "
                    "Nothing was changed."
                )
            steps.step("rekey", "verified")
            rekeyed_backups = _rekey_backups(dirs, store, new_key)
            if keystore.pending_key(wrap) != new_key:
                raise StorageError(
                    "Rekey aborted: the new key disappeared from where it was saved before "
                    "the file was replaced. Nothing was changed."
                )
        except BaseException:
            store.close()
            files.remove(tmp, *files.sidecars(tmp))
            files.remove(*backup_rekeys(dirs))
            keystore.discard_pending()
            swap.release()
            raise
        try:
            store.close()
            files.remove(old)
            _link_or_copy(dirs.database, old)
            steps.step("rekey", "old-kept")
            files.remove(*files.sidecars(dirs.database))
            files.replace(tmp, dirs.database)
            steps.step("rekey", "swapped")
            try:
                keystore.promote_pending(new_key, wrap)
            except BaseException as exc:
                old_key = store.key
                assert old_key is not None
                _undo_swap(dirs, old, keystore, old_key, wrap)
                raise StorageError(
                    "Rekey failed: the new key could not be saved as the current key "
                    f"({exc}). The old database file was put back; nothing was changed."
                ) from None
            steps.step("rekey", "promoted")
            for rekeyed in rekeyed_backups:
                files.replace(rekeyed, rekeyed.with_suffix(""))
                steps.step("rekey", "backup-replaced")
            files.remove(old)
            steps.step("rekey", "done")
        finally:
            swap.release()
        log.info("Database re-encrypted under a new key")


def backup_rekeys(dirs: AppDirs) -> list[Path]:
    """Re-encrypted copies of backups that a rekey wrote (``timelygator-….db.rekey``)."""
    if not dirs.backups.is_dir():
        return []
    return sorted(dirs.backups.glob("*.db" + REKEY_SUFFIX))


def _rekey_backups(dirs: AppDirs, store: Store, new_key: DataKey) -> list[Path]:
    """Write each backup of the folder re-encrypted under ``new_key`` beside it.

    They replace the backups once the new key is saved (here, or after a crash by
    ``core.recovery``), so backups made before a rekey can still be restored afterwards.
    """
    from timelygator.core.backup import list_backups

    written = []
    old_key = store.key
    assert old_key is not None
    for backup in list_backups(dirs.backups):
        source = Store(backup.path, old_key, pool_size=1, access="immutable")
        target = backup.path.with_name(backup.path.name + REKEY_SUFFIX)
        try:
            source.check_open()
            source.export_rekeyed(target, new_key)
        except StorageError:
            log.info("rekey: %s does not open with the current key; left as it is", backup.path)
            files.remove(target, *files.sidecars(target))
            continue
        finally:
            source.engine.dispose()
        files.fsync_file(target)
        written.append(target)
        steps.step("rekey", "backup-rekeyed")
    return written


def _checkpoint_all(store: Store) -> None:
    """Copy the whole WAL into the file and empty it (no readers: the swap lock is held)."""
    with store.connect_fresh() as conn:
        emptied = sql_dialect.checkpoint_truncate(conn)
    if not emptied:
        raise StorageError(
            "The database's write-ahead log could not be emptied (another program has it "
            "open); retry. Nothing was changed."
        )


def _link_or_copy(source: Path, target: Path) -> None:
    import os

    try:
        os.link(source, target)
    except OSError:
        files.copy_private(source, target)
    files.fsync_dir(target.parent)


def _undo_swap(
    dirs: AppDirs, old: Path, keystore: KeyStore, old_key: DataKey, wrap: str | None
) -> None:
    """Put the old key and the kept old file back after the new key could not be saved.

    In this order, so that a crash in between leaves a state the next start resolves: the
    old key is current again (the new file still opens with the pending key), then the old
    file is back (it opens with the current key), then the pending key is dropped.
    """
    try:
        keystore.restore_current(old_key, wrap)
    except BaseException as exc:
        raise StorageError(
            f"Rekey failed: the new key could not be saved ({exc}). The database uses the "
            "new key, which is kept as pending; the next start of TimelyGator completes it."
        ) from None
    steps.step("rekey", "old-key-back")
    try:
        files.remove(*files.sidecars(dirs.database))
        files.replace(old, dirs.database)
    except OSError as exc:
        raise StorageError(
            f"Rekey failed and the old database could not be put back ({exc.strerror}): it "
            f"is {old}, the new one is {dirs.database}. Do not delete either; the next start "
            "resolves them."
        ) from None
    steps.step("rekey", "old-file-back")
    keystore.discard_pending()
