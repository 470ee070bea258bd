"""Opening a data directory: lock, key, store, schema, writer — and closing it in order.

``Services`` is what the GUI, the API server, the headless watcher and the CLI hold: one per
process and data directory, with the analytics engine of that store (``analytics``, built on
first use; users are passed per call). Close order is fixed: writer flushed and stopped, WAL
checkpointed, connections closed, directory lock released.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from timelygator.core import files, models, reader
from timelygator.core.analytics.cache_rows import clear_days
from timelygator.core.errors import NotFoundError, SchemaTooNewError, StorageError
from timelygator.core.event import BucketInfo, Event
from timelygator.core.keys import KeyStore
from timelygator.core.locks import READER_BUSY, FolderLock, SwapLock, folder_error
from timelygator.core.logs import add_secret
from timelygator.core.paths import AppDirs
from timelygator.core.recovery import open_locked, open_reader
from timelygator.core.schema import SCHEMA_VERSION, ProgressCallback, ensure_schema
from timelygator.core.server_store import ServerStore
from timelygator.core.store import DataStore, Store
from timelygator.core.timeutil import Clock, SystemClock
from timelygator.core.writer import Writer

if TYPE_CHECKING:
    from timelygator.core.analytics.service import AnalyticsService

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
        passphrase = text.rstrip("\r\n")
        add_secret(passphrase)
        return passphrase
    env = os.environ if environ is None else environ
    value = env.get(PASSPHRASE_ENV)
    add_secret(value)
    return value if value else None


def acquire_dir_lock(dirs: AppDirs) -> FolderLock:
    """Hold the data directory for this process; DatabaseLockedError when another has it."""
    return FolderLock.acquire(dirs)


def open_store(dirs: AppDirs, passphrase: str | None, *, create: bool = False) -> Store:
    """Open the database read-only beside whoever holds the folder (changes nothing).

    ``create`` is accepted for old callers and must be False: only ``Services.open`` (the
    folder lock's holder) creates a database.
    """
    if create:
        raise ValueError("open_store never creates a database; use Services.open")
    return open_reader(dirs, passphrase)


class Services:
    """Everything one process needs to use one data directory."""

    def __init__(
        self,
        dirs: AppDirs,
        store: DataStore,
        writer: Writer,
        lock: FolderLock | None,
        clock: Clock,
        *,
        swap_lock: SwapLock | None = None,
    ) -> None:
        self.dirs = dirs
        self.store = store
        self.writer = writer
        self.clock = clock
        self.keystore = KeyStore(dirs)
        self.user_id = 1
        self.lock = lock
        self._swap_lock = swap_lock
        self._owns_lock = True
        self._closed = False
        self._analytics: AnalyticsService | None = None
        self._analytics_lock = threading.Lock()

    @property
    def analytics(self) -> AnalyticsService:
        """The analytics engine of this store (its caches live as long as this object).

        Built on first use: commands that never ask for figures do not load it."""
        with self._analytics_lock:
            if self._analytics is None:
                from timelygator.core.analytics.service import AnalyticsService

                self._analytics = AnalyticsService(self.store, self.writer, self.clock)
            return self._analytics

    @property
    def read_only(self) -> bool:
        """True for a reader beside the folder's holder (``open_reader``): nothing is written."""
        return self._swap_lock is not None

    @property
    def file_store(self) -> Store:
        """The SQLite file (what backups, rekeys and file checks work on); StorageError in
        server mode, where the server keeps the files."""
        if not isinstance(self.store, Store):
            raise StorageError(
                f"This is {self.store.description}, not a file of this computer: back it up "
                "with pg_dump and check it with PostgreSQL's own tools."
            )
        return self.store

    @property
    def server(self) -> bool:
        """True in server mode: the store is a PostgreSQL database (``open_server``)."""
        return isinstance(self.store, ServerStore)

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
        lock: FolderLock | None = None,
    ) -> Services:
        """Lock the directory, unlock and migrate the database, start the writer.

        ``progress`` hears the steps of a schema upgrade (see ``core.schema``). ``lock``: a
        folder lock the caller holds already (it stays the caller's to release).
        """
        try:
            dirs.ensure()
            files.private_dir(dirs.data)
        except OSError as exc:
            raise folder_error(dirs.data, exc) from None
        owned = lock is None
        lock = FolderLock.acquire(dirs) if lock is None else lock
        try:
            store = open_locked(dirs, passphrase, lock, create=create)
            try:
                ensure_schema(store, dirs.backups, progress)
                clock = clock or SystemClock()
                user_id = _ensure_user(store, LOCAL_USER, clock.now_us())
                writer = new_writer(store, clock, max_delay=max_delay)
                writer.start()
            except BaseException:
                store.engine.dispose()
                raise
        except BaseException:
            if owned:
                lock.release()
            raise
        services = cls(dirs, store, writer, lock, clock)
        services.user_id = user_id
        services._owns_lock = owned
        return services

    @classmethod
    def open_server(
        cls,
        url: str,
        dirs: AppDirs,
        *,
        clock: Clock | None = None,
        max_delay: float = 1.0,
        progress: ProgressCallback | None = None,
    ) -> Services:
        """Server mode: open the PostgreSQL database at ``url``, bring its schema to this
        version (Alembic, once however many processes start at the same time), ensure the
        local user, start the writer.

        No folder lock and no data key: several processes share one server (``serve
        --workers N``), and the server keeps the data. ``dirs`` is still this process's
        folder for its log and the API's device id.
        """
        try:
            dirs.ensure()
            files.private_dir(dirs.data)
        except OSError as exc:
            raise folder_error(dirs.data, exc) from None
        store = ServerStore(url)
        try:
            store.check_open()
            ensure_schema(store, None, progress)
            clock = clock or SystemClock()
            user_id = _ensure_user(store, LOCAL_USER, clock.now_us())
            writer = new_writer(store, clock, max_delay=max_delay, checkpoint_interval=None)
            writer.start()
        except BaseException:
            store.close()
            raise
        services = cls(dirs, store, writer, None, clock)
        services.user_id = user_id
        return services

    @classmethod
    def open_reader(
        cls, dirs: AppDirs, passphrase: str | None = None, *, clock: Clock | None = None
    ) -> Services:
        """Read the folder beside whoever holds it (the app, ``serve``): nothing is written.

        No folder lock, no key or file changes, no schema upgrade, no writer (its calls
        fail, which the analytics cache tolerates). The swap lock is held shared until
        ``close``, so a rekey or restore waits for this reader, and this reader for them.
        """
        if not dirs.data.is_dir():
            raise StorageError(
                f"There is no TimelyGator database in {dirs.data} yet. Start TimelyGator once "
                "to create it."
            )
        swap = SwapLock(dirs)
        swap.acquire(exclusive=False, busy=READER_BUSY)
        try:
            store = open_reader(dirs, passphrase)
            try:
                version = store.user_version()
                if version > SCHEMA_VERSION:
                    raise SchemaTooNewError(
                        f"{store.path} was written by a newer TimelyGator (schema {version}, "
                        f"this version knows {SCHEMA_VERSION}). Update TimelyGator; the "
                        "database was not changed."
                    )
                if version < SCHEMA_VERSION:
                    raise StorageError(
                        "The database needs an upgrade first: start TimelyGator (or "
                        "'timelygator serve') once, then retry. Nothing was changed."
                    )
                with store.connect() as conn:
                    found = reader.user_id(conn, LOCAL_USER)
                user_id = 1 if found is None else found
            except BaseException:
                store.engine.dispose()
                raise
        except BaseException:
            swap.release()
            raise
        clock = clock or SystemClock()
        writer = new_writer(store, clock, checkpoint_interval=None)
        services = cls(dirs, store, writer, None, clock, swap_lock=swap)
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
            if self.lock is not None and self._owns_lock:
                with suppress(Exception):
                    self.lock.release()
            if self._swap_lock is not None:
                self._swap_lock.release()

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


def new_writer(
    store: DataStore,
    clock: Clock,
    *,
    max_delay: float = 1.0,
    checkpoint_interval: float | None = 0.25,
) -> Writer:
    """The writer of a store, with the hooks every writer needs: the stored analytics caches
    lose the days an event change touches, in the same transaction, whoever changes the
    events (the app, the API, an import, ``watch``)."""
    writer = Writer(
        store, clock=clock, max_delay=max_delay, checkpoint_interval=checkpoint_interval
    )
    writer.add_transaction_hook(clear_days)
    return writer


def _ensure_user(store: DataStore, name: str, now_us: int) -> int:
    """The id of the user ``name``, created first if missing (by whichever of several
    processes starting on one server gets there first)."""
    try:
        with store.engine.begin() as conn:
            found = reader.user_id(conn, name)
            if found is not None:
                return found
            conn.execute(insert(models.User).values(name=name, created_us=now_us))
    except IntegrityError:
        pass  # another process created it meanwhile
    except SQLAlchemyError as exc:
        raise store.error(exc) from None
    with store.connect() as conn:
        created = reader.user_id(conn, name)
    assert created is not None
    return created
