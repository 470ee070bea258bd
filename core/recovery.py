"""Opening the database file with its key, and finishing what an interrupted operation left.

Two ways in:

* ``open_locked`` is for the holder of the folder lock (the app, ``serve``, ``watch`` and the
  commands that change keys or files). It alone resolves what a crash left behind: a pending
  key from a rekey (promoted when the file already uses it, else discarded), a half-done move
  of the key between keyring and key file, a verified restore not yet swapped in (finished),
  and temporary files (``.rekey``, ``.restore-partial``, ``.salvage``, backup ``.partial``).
* ``open_reader`` is for everybody else. It tries the current key, then a pending one, and
  changes nothing: no key, no file, no journal mode (``Store(access="read")``).

Neither ever creates a database where a key exists: a missing or empty file with a key is
refused with the names of the files that can bring the data back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

from timelygator.core import files, steps
from timelygator.core.errors import (
    DatabaseCorruptError,
    KeyMissingError,
    StorageError,
    WrongKeyError,
)
from timelygator.core.keys import (
    OP_REMOVE_PASSPHRASE,
    OP_SET_PASSPHRASE,
    DataKey,
    KeyMode,
    KeyStore,
)
from timelygator.core.locks import SWAPPER_BUSY, FolderLock, SwapLock
from timelygator.core.paths import AppDirs
from timelygator.core.store import Access, Store, key_fits_file

log = logging.getLogger(__name__)

REKEY_SUFFIX = ".rekey"  # the re-encrypted copy being written
REKEY_OLD_SUFFIX = ".rekey-old"  # the old file, kept until the new key is saved
RESTORE_PARTIAL_SUFFIX = ".restore-partial"  # a backup being copied in
RESTORING_SUFFIX = ".restoring"  # a verified copy of a backup, about to be swapped in
SALVAGE_SUFFIX = ".salvage"  # the new database being filled by 'db salvage'
KEPT_MARK = ".before-"  # timelygator.db.before-restore-<stamp>, .before-salvage-<stamp>


class MissingDatabaseError(StorageError):
    """The key exists but the database file is missing or empty."""


def sibling(dirs: AppDirs, suffix: str) -> Path:
    return dirs.database.with_name(dirs.database.name + suffix)


def stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime())


def has_contents(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def kept_copies(dirs: AppDirs) -> list[Path]:
    """Files that hold an earlier database: before-restore/salvage copies, newest first."""
    found = [
        p
        for p in dirs.data.glob(dirs.database.name + KEPT_MARK + "*")
        if not p.name.endswith(files.SIDECARS) and has_contents(p)
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def rescue_candidates(dirs: AppDirs) -> list[Path]:
    """Files that can bring a lost database back, best first."""
    found = [sibling(dirs, RESTORING_SUFFIX), sibling(dirs, REKEY_OLD_SUFFIX)]
    found = [p for p in found if has_contents(p)]
    found += kept_copies(dirs)
    backups = dirs.backups
    if backups.is_dir():
        found += sorted(
            (p for p in backups.glob("*.db") if has_contents(p)),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
    return found


def missing_database_error(dirs: AppDirs) -> MissingDatabaseError:
    state = "is missing" if not dirs.database.exists() else "is empty"
    candidates = rescue_candidates(dirs)
    if candidates:
        names = ", ".join(str(p) for p in candidates[:5])
        what = f"Bring it back with 'timelygator restore FILE', FILE one of: {names}."
    else:
        what = (
            "No backup or earlier copy was found in the data folder; restore the file from "
            "your own backups."
        )
    return MissingDatabaseError(
        f"The database {dirs.database} {state}, but its key exists, so TimelyGator will not "
        f"create a new, empty one over it. {what}"
    )


# -- opening ------------------------------------------------------------------------------------
def _try_open(path: Path, key: DataKey, access: Access = "write") -> Store | None:
    store = Store(path, key, access=access)
    try:
        store.check_open()
    except WrongKeyError:
        store.engine.dispose()
        return None
    except BaseException:
        store.engine.dispose()
        raise
    return store


def _no_fit_error(path: Path, keys: list[DataKey]) -> StorageError:
    """Neither key opened ``path``: damaged (the key decrypts its other pages) or wrong key."""
    if any(key_fits_file(path, key) for key in keys):
        return DatabaseCorruptError(
            f"{path} is damaged: its first page cannot be read although the key is right. "
            "Nothing was changed; restore a backup ('timelygator restore FILE') or copy what "
            "can still be read with 'timelygator db salvage'."
        )
    return WrongKeyError(
        f"{path} cannot be opened: the key or passphrase does not fit, or the file is not a "
        "TimelyGator database. Nothing was changed."
    )


def open_reader(dirs: AppDirs, passphrase: str | None) -> Store:
    """Open the database read-only without changing anything (any process, no lock).

    Call it while holding the swap lock shared, and keep holding it while reading.
    """
    keystore = KeyStore(dirs)
    if keystore.mode() is None:
        if has_contents(dirs.database):
            keystore.load(passphrase)  # raises KeyMissingError with guidance
        raise KeyMissingError(
            f"There is no TimelyGator database in {dirs.data} yet. Start TimelyGator once "
            "to create it."
        )
    if not has_contents(dirs.database):
        raise missing_database_error(dirs)
    keys = keystore.load(passphrase)
    for key in keys:
        store = _try_open(dirs.database, key, "read")
        if store is not None:
            return store
    raise _no_fit_error(dirs.database, keys)


def open_locked(dirs: AppDirs, passphrase: str | None, lock: FolderLock, *, create: bool) -> Store:
    """Open (or, with ``create`` and no key at all, create) the database as the lock holder.

    Finishes or undoes whatever an interrupted operation left first (see the module).
    """
    if not lock.held:
        raise RuntimeError("open_locked needs the folder lock")
    keystore = KeyStore(dirs)
    finish_key_op(keystore, passphrase)
    finish_restore(dirs)
    mode = keystore.mode()
    if mode is None:
        if has_contents(dirs.database):
            keystore.load(passphrase)  # raises KeyMissingError with guidance
        if not create:
            raise KeyMissingError(
                f"There is no TimelyGator database in {dirs.data} yet. Start TimelyGator once "
                "to create it."
            )
        remove_leftovers(dirs)
        files.remove(dirs.database, *files.sidecars(dirs.database))
        key = keystore.create(passphrase)
        fresh = Store(dirs.database, key)
        fresh.check_open()
        return fresh
    if not has_contents(dirs.database):
        raise missing_database_error(dirs)
    keys = keystore.load(passphrase)
    store: Store | None = None
    for index, key in enumerate(keys):
        store = _try_open(dirs.database, key)
        if store is None:
            continue
        if index > 0:
            # A rekey replaced the file but had not saved its key as current: finish it.
            log.info("Completing an interrupted rekey")
            keystore.promote_pending(key, passphrase if mode is KeyMode.PASSPHRASE else None)
        elif keystore.has_pending():
            log.info("Discarding the new key of a rekey that did not replace the file")
            keystore.discard_pending()
        break
    if store is None:
        raise _no_fit_error(dirs.database, keys)
    current = store.key
    assert current is not None
    finish_backup_rekeys(dirs, current)
    remove_leftovers(dirs)
    return store


# -- interrupted operations ---------------------------------------------------------------------
def finish_key_op(keystore: KeyStore, passphrase: str | None) -> None:
    """Complete a move of the key between keyring and key file that a crash interrupted."""
    op = keystore.pending_op()
    if op is None:
        return
    if op == OP_SET_PASSPHRASE:
        keystore.finish_set_passphrase()
    elif op == OP_REMOVE_PASSPHRASE:
        if not keystore.key_file.exists():
            keystore.end_op()  # the key file was deleted last: the move had finished
        elif passphrase is not None:
            keys = keystore.load(passphrase)
            keystore.finish_remove_passphrase(keys[0])
        # else: the key file still holds the key; it needs the passphrase as before
    else:
        log.warning("Ignoring an unknown key operation marker %s", keystore.op_file)
        keystore.end_op()


def finish_restore(dirs: AppDirs) -> None:
    """Swap in a verified restore copy (``.restoring``) that a crash left behind."""
    restoring = sibling(dirs, RESTORING_SUFFIX)
    if not restoring.exists():
        return
    log.info("Completing an interrupted restore")
    swap_in(dirs, restoring, "restore")


def keep_current(dirs: AppDirs, label: str) -> Path | None:
    """Keep the current database (and its WAL) under ``timelygator.db.before-<label>-<stamp>``.

    Hard links: nothing is copied and the current file stays where it is. Returns the kept
    name (an existing one when this very file was kept already), or None without a database.
    """
    database = dirs.database
    if not database.exists():
        return None
    for existing in dirs.data.glob(f"{database.name}{KEPT_MARK}{label}-*"):
        with contextlib.suppress(OSError):
            if not existing.name.endswith(files.SIDECARS) and os.path.samefile(existing, database):
                return existing
    kept = database.with_name(f"{database.name}{KEPT_MARK}{label}-{stamp()}")
    wal = Path(f"{database}-wal")
    try:
        os.link(database, kept)
        if has_contents(wal):
            os.link(wal, Path(f"{kept}-wal"))
    except OSError:  # no hard links here (FAT, some network shares): copy instead
        files.remove(kept, Path(f"{kept}-wal"))
        files.copy_private(database, kept)
        if has_contents(wal):
            files.copy_private(wal, Path(f"{kept}-wal"))
    files.fsync_dir(dirs.data)
    return kept


def swap_in(dirs: AppDirs, replacement: Path, label: str) -> Path | None:
    """Replace the database by ``replacement`` (complete, fsynced, verified); durable.

    The current file and its WAL are kept first (``keep_current``); the WAL and shared
    memory of the old file are removed before the new file takes its name, so SQLite never
    applies the old file's log to the new one. Safe to repeat after a crash at any step.
    """
    kept = keep_current(dirs, label)
    steps.step(label, "current-kept")
    files.remove(*files.sidecars(dirs.database))
    steps.step(label, "sidecars-removed")
    files.replace(replacement, dirs.database)
    steps.step(label, "swapped")
    return kept


def finish_backup_rekeys(dirs: AppDirs, current: DataKey) -> None:
    """Backups a rekey re-encrypted: swap in those made with the (now) current key.

    Ones made with a key that was discarded (the rekey did not replace the database) are
    deleted; the backups they copy are unchanged.
    """
    if not dirs.backups.is_dir():
        return
    for rekeyed in sorted(dirs.backups.glob("*.db" + REKEY_SUFFIX)):
        probe = Store(rekeyed, current, pool_size=1, access="immutable")
        try:
            probe.check_open()
            fits = not probe.integrity_check()
        except StorageError:
            fits = False
        finally:
            probe.engine.dispose()
        if fits:
            log.info("Completing the re-encryption of backup %s", rekeyed.with_suffix("").name)
            files.replace(rekeyed, rekeyed.with_suffix(""))
        else:
            files.remove(rekeyed, *files.sidecars(rekeyed))


def remove_leftovers(dirs: AppDirs) -> list[Path]:
    """Delete temporary files of interrupted operations (the lock holder, at start)."""
    doomed: list[Path] = []
    for suffix in (REKEY_SUFFIX, REKEY_OLD_SUFFIX, RESTORE_PARTIAL_SUFFIX, SALVAGE_SUFFIX):
        path = sibling(dirs, suffix)
        doomed += [path, *files.sidecars(path)]
    doomed += [dirs.key_file.with_name(dirs.key_file.name + s) for s in (".tmp", ".op.tmp")]
    swap = SwapLock(dirs)
    # Backups beside a running app write .partial files: only clean them when nobody reads.
    with contextlib.suppress(StorageError):
        swap.acquire(exclusive=True, busy=SWAPPER_BUSY, timeout=0)
        try:
            if dirs.backups.is_dir():
                for partial in dirs.backups.glob("*.partial"):
                    doomed += [partial, *files.sidecars(partial)]
        finally:
            swap.release()
    removed = files.remove(*doomed)
    if removed:
        log.info("Removed leftovers of interrupted operations: %s", [p.name for p in removed])
    return removed
