"""Opening a data directory: lock, key, store, schema, writer — and closing it in order.

``Services`` is what the GUI, the API server, the headless watcher and the CLI hold: one per
process and data directory. Close order is fixed: writer flushed and stopped, WAL
checkpointed, connections closed, directory lock released.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import filelock
from sqlalchemy import Connection

from core import reader
from core.errors import (
    DatabaseLockedError,
    DiskFullError,
    KeyMissingError,
    NotFoundError,
    ReadOnlyError,
    StorageError,
    WrongKeyError,
)
from core.event import BucketInfo, Event
from core.keys import KeyStore
from core.paths import AppDirs
from core.schema import ProgressCallback, ensure_schema
from core.store import Store
from core.timeutil import Clock, SystemClock
from core.writer import Writer

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "TIMELYGATOR_PASSPHRASE"  # noqa: S105 - a variable name
LOCAL_USER = "local"


def resolve_passphrase(
    passphrase_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """A passphrase for unattended unlock: ``--passphrase-file`` first, then the environment."""
    if passphrase_file is not None:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise StorageError(
                f"The passphrase file {passphrase_file} cannot be read ({exc.strerror})."
            ) from None
        return text.rstrip("\r\n")
    env = os.environ if environ is None else environ
    value = env.get(PASSPHRASE_ENV)
    return value if value else None


def acquire_dir_lock(dirs: AppDirs) -> filelock.BaseFileLock:
    """Hold the data directory for this process; DatabaseLockedError when another has it."""
    # Not thread-local: the app opens and closes on different threads.
    lock = filelock.FileLock(str(dirs.lock_file), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        raise DatabaseLockedError(
            f"Another TimelyGator process is using {dirs.data}. Close it first, or start "
            "this one with a different --data-dir."
        ) from None
    except OSError as exc:
        raise _folder_error(dirs.data, exc) from None
    return lock


def _folder_error(folder: Path, exc: OSError) -> StorageError:
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnlyError(
            f"The data folder {folder} is read-only or not writable. Fix its permissions or "
            "choose another folder with --data-dir. Nothing was changed."
        )
    if exc.errno == errno.ENOSPC:
        return DiskFullError(f"The disk holding {folder} is full. Free some space and retry.")
    return StorageError(f"The data folder {folder} cannot be used ({exc.strerror}).")


def open_store(dirs: AppDirs, passphrase: str | None, *, create: bool) -> Store:
    """Find the key and open the database with it; create both when allowed and absent."""
    keystore = KeyStore(dirs)
    exists = dirs.database.exists() and dirs.database.stat().st_size > 0
    mode = keystore.mode()
    if mode is None:
        if exists:
            keystore.load(passphrase)  # raises KeyMissingError with guidance
        if not create:
            raise KeyMissingError(
                f"There is no TimelyGator database in {dirs.data} yet. Start TimelyGator once "
                "to create it."
            )
        keys = [keystore.create(passphrase)]
    else:
        keys = keystore.load(passphrase)
    last_error: StorageError | None = None
    for index, key in enumerate(keys):
        store = Store(dirs.database, key)
        try:
            store.check_open()
        except WrongKeyError as exc:
            store.engine.dispose()
            last_error = exc
            continue
        if index > 0:
            # An interrupted rekey replaced the file but not yet the key: finish it.
            log.info("Completing an interrupted rekey")
            keystore.promote_pending(passphrase)
        elif len(keys) > 1:
            keystore.discard_pending()
        return store
    assert last_error is not None
    raise last_error


class Services:
    """Everything one process needs to use one data directory."""

    def __init__(
        self,
        dirs: AppDirs,
        store: Store,
        writer: Writer,
        lock: filelock.BaseFileLock | None,
        clock: Clock,
    ) -> None:
        self.dirs = dirs
        self.store = store
        self.writer = writer
        self.clock = clock
        self.keystore = KeyStore(dirs)
        self.user_id = 1
        self._lock = lock
        self._closed = False

    @classmethod
    def open(
        cls,
        dirs: AppDirs,
        passphrase: str | None = None,
        *,
        create: bool = True,
        clock: Clock | None = None,
        max_delay: float = 1.0,
        progress: ProgressCallback | None = None,
    ) -> Services:
        """Lock the directory, unlock and migrate the database, start the writer.

        ``progress`` hears the steps of a schema upgrade (see ``core.schema``).
        """
        try:
            dirs.ensure()
        except OSError as exc:
            raise _folder_error(dirs.data, exc) from None
        lock = acquire_dir_lock(dirs)
        try:
            store = open_store(dirs, passphrase, create=create)
            try:
                ensure_schema(store, dirs.backups, progress)
                clock = clock or SystemClock()
                user_id = _ensure_user(store, LOCAL_USER, clock.now_us())
                writer = Writer(store, clock=clock, max_delay=max_delay)
                writer.start()
            except BaseException:
                store.engine.dispose()
                raise
        except BaseException:
            lock.release()
            raise
        services = cls(dirs, store, writer, lock, clock)
        services.user_id = user_id
        return services

    def close(self) -> None:
        """Flush and stop the writer, checkpoint and close the database, release the lock."""
        if self._closed:
            return
        self._closed = True
        try:
            self.writer.stop()
        finally:
            self.store.close()
            if self._lock is not None:
                with suppress(Exception):
                    self._lock.release()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for one unit of read work on the calling thread."""
        with self.store.connect() as conn:
            yield conn

    def buckets(self) -> list[BucketInfo]:
        with self.read() as conn:
            return reader.list_buckets(conn, self.user_id)

    def bucket_key(self, name: str) -> int:
        with self.read() as conn:
            return reader.bucket_key(conn, self.user_id, name)

    def events(
        self,
        bucket: str,
        start_us: int | None = None,
        end_us: int | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        with self.read() as conn:
            key = reader.bucket_key(conn, self.user_id, bucket)
            return reader.get_events(conn, key, start_us, end_us, limit)

    # -- writing (through the writer, waiting for the commit) ----------------------------
    def ensure_bucket(
        self,
        name: str,
        *,
        type: str,
        client: str,
        hostname: str,
        data: dict[str, Any] | None = None,
    ) -> int:
        """The bucket's key, creating the bucket first when it does not exist."""
        with self.read() as conn, suppress(NotFoundError):
            return reader.bucket_key(conn, self.user_id, name)
        created = self.writer.create_bucket(
            self.user_id, name, type=type, client=client, hostname=hostname, data=data
        ).result()
        if created is not None:
            return created.key
        return self.bucket_key(name)


def _ensure_user(store: Store, name: str, now_us: int) -> int:
    with store.engine.begin() as conn:
        row = conn.exec_driver_sql("SELECT id FROM users WHERE name = ?", (name,)).first()
        if row is not None:
            return int(row[0])
        conn.exec_driver_sql("INSERT INTO users (name, created_us) VALUES (?, ?)", (name, now_us))
        return int(
            conn.exec_driver_sql("SELECT id FROM users WHERE name = ?", (name,)).scalar_one()
        )
