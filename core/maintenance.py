"""Maintenance of a data directory: check, passphrase changes, rekey.

These run with the directory locked (no app or server may be using it at the same time).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import DatabaseCorruptError, StorageError, ValidationError
from core.keys import DataKey, KeyMode, KeyStore
from core.paths import AppDirs
from core.schema import SCHEMA_VERSION
from core.services import acquire_dir_lock, open_store
from core.store import CURRENT_LAYOUT, Store

log = logging.getLogger(__name__)


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

    @property
    def ok(self) -> bool:
        return not self.problems and self.schema_version == self.expected_schema_version


def check_database(dirs: AppDirs, passphrase: str | None) -> CheckReport:
    """Integrity, schema version and row counts, read-only."""
    if not dirs.database.exists():
        raise StorageError(f"There is no TimelyGator database in {dirs.data}.")
    keystore = KeyStore(dirs)
    store = open_store(dirs, passphrase, create=False)
    try:
        try:
            problems = store.integrity_check()
        except DatabaseCorruptError as exc:
            problems = [str(exc)]
        counts: dict[str, int] = {}
        for table in ("users", "buckets", "events", "api_tokens", "categories", "settings"):
            try:
                with store.connect() as conn:
                    sql = f"SELECT count(*) FROM {table}"  # noqa: S608 - fixed table names
                    counts[table] = int(conn.exec_driver_sql(sql).scalar_one())
            except DatabaseCorruptError:
                problems.append(f"table {table} cannot be read")
        version = store.user_version()
        layout = store.layout
    finally:
        store.engine.dispose()
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
    )


def set_passphrase(dirs: AppDirs, new_passphrase: str) -> None:
    """Protect the key with a passphrase (moves it out of the keyring)."""
    keystore = KeyStore(dirs)
    if keystore.mode() is KeyMode.PASSPHRASE:
        raise ValidationError(
            "A passphrase is already set; use 'timelygator db passphrase change' instead."
        )
    (key,) = keystore.load(None)[:1]
    keystore.set_passphrase(key, new_passphrase)


def rekey_database(dirs: AppDirs, passphrase: str | None) -> None:
    """Re-encrypt the whole database under a new random key.

    The new key is saved as pending before the file changes; the new file is written
    beside the old one, verified, and then swapped in atomically. A crash at any point
    leaves one file and a key that opens it.
    """
    lock = acquire_dir_lock(dirs)
    try:
        keystore = KeyStore(dirs)
        store = open_store(dirs, passphrase, create=False)
        new_key = DataKey.generate()
        keystore.store_pending(
            new_key, passphrase if keystore.mode() is KeyMode.PASSPHRASE else None
        )
        tmp = dirs.database.with_name(dirs.database.name + ".rekey")
        try:
            store.export_rekeyed(tmp, new_key)
        finally:
            store.close()
        check = Store(tmp, new_key, pool_size=1, layout=CURRENT_LAYOUT)
        try:
            problems = check.integrity_check()
        finally:
            check.engine.dispose()
        if problems:
            tmp.unlink(missing_ok=True)
            keystore.discard_pending()
            raise StorageError(
                f"Rekey aborted, the re-encrypted copy failed its check: {problems[0]}"
            )
        for suffix in ("-wal", "-shm"):
            Path(str(dirs.database) + suffix).unlink(missing_ok=True)
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        os.replace(tmp, dirs.database)
        keystore.promote_pending(passphrase)
        log.info("Database re-encrypted under a new key")
    finally:
        lock.release()
