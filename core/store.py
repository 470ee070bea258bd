"""The encrypted database file: connections, pragmas, error mapping, backup and rekey.

The whole file is encrypted by SQLCipher 4 (``sqlcipher3``); the WAL and any journal are
encrypted with it, temporary tables stay in memory. A ``Store`` is shared by threads; each
thread takes its own connection from it (SQLAlchemy's pool). Writes go through the single
``core.writer.Writer``; everything else reads.

A plaintext store (``key=None``) exists only so the storage benchmark can measure the cost of
encryption on the same workload; the application never opens one.

New databases use 2 KB pages authenticated with HMAC-SHA256 (``CURRENT_LAYOUT``); databases
made before that keep SQLCipher 4's defaults, 4 KB pages and HMAC-SHA512 (``LEGACY_LAYOUT``),
and are recognised when opened. ``CipherLayout`` explains the choice.

This module is the SQLite file's: it runs only on a SQLite (SQLCipher) file, and its
SQLCipher statements (the key and page layout, ``cipher_integrity_check``, the rekey export),
``PRAGMA integrity_check`` and SQLite's online backup API stay written against the DB-API
connection here. The rest of a connection's set-up, the checkpoint on closing and the
transaction start are ``core.sql_dialect``'s (``sqlite_prepare_connection``,
``checkpoint_truncate``, ``begin_deferred``).
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, Protocol, cast

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool, QueuePool
from sqlcipher3 import dbapi2 as sqlcipher
from timelygator.core import files, sql_dialect, steps
from timelygator.core.errors import (
    DatabaseCorruptError,
    DatabaseLockedError,
    DiskFullError,
    ReadOnlyError,
    StorageError,
    WrongKeyError,
)
from timelygator.core.keys import DataKey

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 3000
_PROBE = select(1)

# SQLite primary result codes (https://sqlite.org/rescode.html).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


def storage_error(exc: BaseException, path: Path) -> StorageError:
    """Translate a driver/SQLAlchemy error into a StorageError users can act on.

    The message never includes SQL text or parameters (a ``PRAGMA key`` must never leak).
    """
    if isinstance(exc, StorageError):
        return exc
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(original, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    message = str(original).lower()
    if (isinstance(original, OSError) and original.errno == 28) or primary == _SQLITE_FULL:
        return DiskFullError(
            f"The disk holding {path} is full. Tracking is paused; free some space and "
            "resume. Data already saved is intact."
        )
    if primary == _SQLITE_READONLY or "readonly" in message or "read-only" in message:
        return ReadOnlyError(
            f"{path} or its folder cannot be written (read-only). Tracking is paused; fix "
            "the permissions or choose another data folder. Data already saved is intact."
        )
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in message:
        return DatabaseLockedError(
            f"{path} is locked by another program. Close it (or the other TimelyGator) and "
            "try again. Nothing was changed."
        )
    if primary == _SQLITE_NOTADB or "not a database" in message:
        return WrongKeyError(
            f"{path} cannot be opened: the key or passphrase does not fit, or the file is "
            "not a TimelyGator database. Nothing was changed."
        )
    if primary == _SQLITE_CORRUPT or "malformed" in message or "corrupt" in message:
        return DatabaseCorruptError(
            f"{path} is damaged. Nothing was changed; run 'timelygator db check' for "
            "details and restore a backup of it."
        )
    if primary == _SQLITE_CANTOPEN or "unable to open" in message:
        return ReadOnlyError(
            f"{path} cannot be opened or created; check that its folder exists and is writable."
        )
    if primary == _SQLITE_IOERR or "disk i/o" in message:
        return StorageError(
            f"The disk reported an error while using {path}. Tracking is paused; check the "
            "disk. Data already saved is intact."
        )
    if not isinstance(original, sqlite3.Error | sqlcipher.Error):
        return StorageError(
            f"A change could not be saved to {path} ({type(original).__name__}); it was "
            "not stored and tracking goes on."
        )
    return StorageError(f"Database error on {path}: {type(original).__name__}.")


_STORAGE_CODES = frozenset(
    {_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT,
     _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB}
)  # fmt: skip


def storage_failure(exc: BaseException, path: Path) -> bool:
    """True when ``exc`` says the database cannot be written at all (disk full, read-only,
    locked, damaged, an I/O error), False when it is about one statement's values (a
    constraint, a value the driver cannot bind, a bug): then other changes can be saved."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(original, OSError):
        return True
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _STORAGE_CODES
    return type(storage_error(exc, path)) is not StorageError


def _none_as_null(_value: None) -> None:
    return None


def bind_none_directly(module: ModuleType) -> None:
    """Let ``module`` bind ``None`` as NULL without searching for a way to adapt it.

    Both drivers look up an adapter registered for a parameter's type, then ``__adapt__`` and
    ``__conform__`` attributes, before they bind ``None``; sqlcipher3's copy of that code
    also raises and clears an ``AttributeError`` each time. That costs ~1.1 µs per NULL
    parameter in sqlcipher3 (~0.6 µs in the standard library's ``sqlite3``), more than an
    event row's whole insert, and events without a UTC offset bind one NULL each. An adapter
    registered for ``NoneType`` is found by the first lookup and hands ``None`` back, which
    the driver binds as NULL exactly as before. (Measured with ``executemany`` of 200,000
    two-column rows: 1.73 -> 0.57 µs per row in sqlcipher3.)
    """
    module.register_adapter(type(None), _none_as_null)


@dataclass(frozen=True)
class CipherLayout:
    """How SQLCipher lays out an encrypted file: the page size and the MAC on every page.

    Neither is secret, but both must be set before page 1 can be read, and the file does not
    record them. Every acknowledged write commits at least one page, and SQLCipher encrypts
    (AES-256-CBC) and authenticates the whole page each time, so the page size sets the
    encryption cost of a small commit. 2 KB pages halve it against SQLCipher's default 4 KB;
    HMAC-SHA256 costs about half of HMAC-SHA512 where the CPU has SHA instructions (x86 since
    AMD Zen and Intel Ice Lake, every ARMv8 with crypto extensions), a little more where it
    has not. In ``tests/benchmarks/storage.py``, one producer waiting for each acknowledged
    heartbeat with both threads on one CPU (so no wake-up hides the write) took 1.44x plain
    SQLite's time with 4 KB/SHA-512 and 1.23x with 2 KB/SHA-256; bulk inserts, day reads and
    opening stayed within 1.2x. Reads of cached pages pay nothing either way.
    """

    page_size: int
    hmac: str

    def pragmas(self, schema: str = "") -> list[str]:
        """The statements that select this layout (for ``schema``, an attached database)."""
        prefix = f"{schema}." if schema else ""
        return [
            f"PRAGMA {prefix}cipher_page_size = {self.page_size}",
            f"PRAGMA {prefix}cipher_hmac_algorithm = {self.hmac}",
        ]

    def describe(self) -> str:
        hmac = self.hmac.replace("_", "-")
        return f"SQLCipher 4, AES-256-CBC, {hmac}, {self.page_size // 1024} KB pages"


CURRENT_LAYOUT = CipherLayout(page_size=2048, hmac="HMAC_SHA256")
# SQLCipher 4's defaults, which every database made before CURRENT_LAYOUT uses.
LEGACY_LAYOUT = CipherLayout(page_size=4096, hmac="HMAC_SHA512")


@dataclass(frozen=True, slots=True, repr=False)
class StoreSpec:
    """A store's path, key and layout, to open it in another process (``Store.from_spec``).
    Its repr never shows the key."""

    path: Path
    key: DataKey | None
    layout: CipherLayout | None

    def __repr__(self) -> str:
        return f"StoreSpec({self.path})"

    def open_reader(self) -> Store:
        """A reader of this store in this process (nothing is written)."""
        return Store.from_spec(self)


Access = Literal["write", "read", "immutable"]


class ReaderSpec(Protocol):
    """What another process needs to open a store for reading (``open_reader``)."""

    def open_reader(self) -> DataStore: ...


class DataStore(Protocol):
    """What the writer, the readers and the analytics use of a store: a SQLCipher file
    (``Store``) or a PostgreSQL database (``core.server_store.ServerStore``, server mode).

    ``description`` names it in messages (a path, or a server and database name: never a
    password); ``error`` turns a driver or SQLAlchemy error into a ``StorageError`` that
    says what to do, and ``failure`` tells an error about the whole database (it cannot be
    written now) from one about a statement's values.
    """

    engine: Engine
    dbapi: ModuleType
    damaged: bool

    @property
    def description(self) -> str: ...

    def connect(self) -> AbstractContextManager[Connection]: ...

    def check_open(self) -> None: ...

    def close(self) -> None: ...

    def user_version(self) -> int: ...

    def error(self, exc: BaseException) -> StorageError: ...

    def failure(self, exc: BaseException) -> bool: ...

    def reader_spec(self) -> ReaderSpec: ...


class Store:
    """One database file, opened with its key.

    ``layout`` is the file's ``CipherLayout``; when it is not given, a new file gets
    ``CURRENT_LAYOUT`` and an existing one is opened with whichever layout fits it.

    ``access``: ``"write"`` (the folder lock's holder: WAL mode, owner-only files),
    ``"read"`` (a reader beside a running app: ``mode=ro``, nothing written, never a
    checkpoint) or ``"immutable"`` (a backup or restore candidate that nobody changes:
    SQLite reads the file as it is, takes no locks and creates no side files, so it also
    works on read-only media and the file's bytes never change). ``wal=False`` keeps a
    written file in rollback-journal mode (backups: no write-ahead log as big as the copy).
    """

    def __init__(
        self,
        path: Path,
        key: DataKey | None,
        *,
        pool_size: int = 4,
        layout: CipherLayout | None = None,
        access: Access = "write",
        wal: bool = True,
    ) -> None:
        self.path = Path(path)
        self.encrypted = key is not None
        self._key = key
        self._layout = layout
        self.access = access
        self._wal = wal
        # Set once any use of this file met a damaged page (``/health`` reports it).
        self.damaged = False
        module: ModuleType = sqlcipher if key is not None else sqlite3
        bind_none_directly(module)
        self.dbapi = module
        self.engine: Engine = create_engine(
            "sqlite://",
            module=module,
            creator=self._connect,
            poolclass=QueuePool,
            pool_size=pool_size,
            max_overflow=8,
            pool_pre_ping=False,
        )
        event.listen(self.engine, "begin", sql_dialect.begin_deferred)
        self._fresh_engine: Engine | None = None

    @property
    def description(self) -> str:
        """The file, for messages."""
        return str(self.path)

    def error(self, exc: BaseException) -> StorageError:
        """``exc`` as a ``StorageError`` about this file (``storage_error``)."""
        return storage_error(exc, self.path)

    def failure(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the file cannot be written at all (``storage_failure``)."""
        return storage_failure(exc, self.path)

    # -- connections --------------------------------------------------------------------
    def reader_spec(self) -> StoreSpec:
        """What another process needs to open this store for reading (holds the key)."""
        return StoreSpec(self.path, self._key, self.layout)

    @property
    def key(self) -> DataKey | None:
        """The key this store was opened with (for copies made with the same key)."""
        return self._key

    @property
    def layout(self) -> CipherLayout | None:
        """The file's cipher layout (None for a plaintext store); opens it if not known yet."""
        if self._key is not None and self._layout is None:
            self.check_open()
        return self._layout

    @classmethod
    def from_spec(cls, spec: StoreSpec, *, pool_size: int = 1) -> Store:
        """A reader of the store ``spec`` describes, in this process (nothing is written)."""
        return cls(spec.path, spec.key, pool_size=pool_size, layout=spec.layout, access="read")

    def _has_contents(self) -> bool:
        return any(
            p.exists() and p.stat().st_size > 0 for p in (self.path, Path(str(self.path) + "-wal"))
        )

    def _connect(self) -> Any:
        """Open one DB-API connection, trying the known layouts on a file not opened yet.

        A layout that does not fit fails on reading page 1 (its MAC does not verify) and
        changes nothing, exactly like a wrong key; when no layout fits, the key is wrong.
        """
        if self._key is None or self._layout is not None:
            return self._open(self._layout)
        candidates = (CURRENT_LAYOUT, LEGACY_LAYOUT) if self._has_contents() else (CURRENT_LAYOUT,)
        for layout in candidates[:-1]:
            try:
                conn = self._open(layout)
            except WrongKeyError:
                continue
            self._layout = layout
            return conn
        conn = self._open(candidates[-1])
        self._layout = candidates[-1]
        return conn

    def _target(self) -> tuple[str, bool]:
        """What to hand the driver: a path, or a URI for the read-only modes."""
        if self.access == "write":
            if not self.path.exists():
                # SQLite would create it 0644 (its WAL and shared memory copy the mode).
                with files.private_umask():
                    fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, files.PRIVATE_FILE)
                os.close(fd)
            for path in (self.path, *files.sidecars(self.path)):
                if path.exists():
                    files.make_private(path)
            return str(self.path), False
        if not self.path.is_file():
            raise StorageError(f"There is no database file at {self.path}.")
        query = "mode=ro" if self.access == "read" else "mode=ro&immutable=1"
        return f"{self.path.resolve().as_uri()}?{query}", True

    def _open(self, layout: CipherLayout | None) -> Any:
        """Open one DB-API connection with the key, the layout and our pragmas."""
        try:
            target, uri = self._target()
            conn = self.dbapi.connect(
                target,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                uri=uri,
            )
        except StorageError:
            raise
        except Exception as exc:
            raise storage_error(exc, self.path) from None
        try:
            if self._key is not None:
                conn.execute("PRAGMA cipher_log_level = NONE")
                conn.execute(f"PRAGMA key = {self._key.sqlcipher_literal()}")
                for pragma in (layout or CURRENT_LAYOUT).pragmas():
                    conn.execute(pragma)
            sql_dialect.sqlite_prepare_connection(
                conn,
                write=self.access == "write",
                wal=self._wal,
                busy_timeout_ms=BUSY_TIMEOUT_MS,
            )
        except Exception as exc:
            conn.close()
            raise storage_error(exc, self.path) from None
        return conn

    def check_open(self) -> None:
        """Open one connection now so a wrong key or damaged file fails here, clearly."""
        try:
            with self.engine.connect() as conn:
                conn.execute(_PROBE).fetchone()
        except StorageError:
            raise
        except SQLAlchemyError as exc:
            raise storage_error(exc, self.path) from None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A pooled connection for one unit of read work (or the writer's transaction).

        A connection that met a damaged page is discarded, not handed to the next reader.
        """
        try:
            conn = self.engine.connect()
        except StorageError as exc:
            self.damaged = self.damaged or isinstance(exc, DatabaseCorruptError)
            raise
        except SQLAlchemyError as exc:
            raise self._mapped(exc) from None
        try:
            yield conn
        except StorageError as exc:
            if isinstance(exc, DatabaseCorruptError):
                self.damaged = True
                conn.invalidate()
            raise
        except (SQLAlchemyError, sqlite3.Error, sqlcipher.Error) as exc:
            error = self._mapped(exc)
            if isinstance(error, DatabaseCorruptError):
                conn.invalidate()
            raise error from None
        finally:
            conn.close()

    def _mapped(self, exc: BaseException) -> StorageError:
        error = storage_error(exc, self.path)
        if isinstance(error, DatabaseCorruptError):
            self.damaged = True
        return error

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close every pooled connection."""
        if self.access != "write":
            self.engine.dispose()
            return
        try:
            with self.engine.connect() as conn:
                sql_dialect.checkpoint_truncate(conn)
        except (SQLAlchemyError, StorageError, self.dbapi.Error):
            log.warning("WAL checkpoint on close failed", exc_info=False)
        self.engine.dispose()

    # -- maintenance --------------------------------------------------------------------
    def user_version(self) -> int:
        with self.connect() as conn:
            return sql_dialect.user_version(conn)

    @contextmanager
    def fresh_connection(self) -> Iterator[Any]:
        """A DB-API connection of its own, closed afterwards (never returned to the pool).

        For checks on a damaged file: a connection that met a damaged page can keep failing
        afterwards, and must not be handed to the next reader.
        """
        raw = self._connect()
        try:
            yield raw
        finally:
            raw.close()

    @contextmanager
    def connect_fresh(self) -> Iterator[Connection]:
        """``fresh_connection`` for SQLAlchemy statements: a Connection on a DB-API
        connection of its own, opened for it and closed afterwards (never pooled).

        Errors are the driver's own, as from ``fresh_connection`` (not SQLAlchemy's
        wrappers), so callers that tell a damaged page from other failures see the same
        ones; opening fails with a ``StorageError`` as before.
        """
        engine = self._fresh_engine
        if engine is None:
            engine = create_engine(
                "sqlite://", module=self.dbapi, creator=self._connect, poolclass=NullPool
            )
            event.listen(engine, "begin", sql_dialect.begin_deferred)
            self._fresh_engine = engine
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            raise _driver_error(exc) from None
        try:
            yield conn
        except DBAPIError as exc:
            raise _driver_error(exc) from None
        finally:
            conn.close()

    def integrity_check(self) -> list[str]:
        """SQLCipher's MAC check of every page, then ``PRAGMA integrity_check``: [] when healthy.

        Each runs on a connection of its own; a check that stops at a damaged page adds that
        as a problem instead of hiding what the other found.
        """
        problems: list[str] = []
        checks = ["PRAGMA integrity_check"]
        if self.encrypted:
            checks.insert(0, "PRAGMA cipher_integrity_check")
        for pragma in checks:
            try:
                with self.fresh_connection() as raw:
                    rows = [str(r[0]) for r in raw.execute(pragma)]
            except WrongKeyError:
                raise
            except Exception as exc:
                error = storage_error(exc, self.path)
                if not isinstance(error, DatabaseCorruptError):
                    raise error from None
                self.damaged = True
                problems.append(f"{pragma[7:]} stopped: {type(exc).__name__}: {exc}")
                continue
            if rows != ["ok"] and rows:
                problems.extend(rows)
        if problems:
            self.damaged = True
        return problems

    def size_on_disk(self) -> int:
        """The database file plus its write-ahead log, in bytes."""
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    def backup(self, destination: Path) -> None:
        """Online backup into ``destination``, encrypted with the same key, then verified.

        The copy is written in rollback-journal mode into ``<destination>.partial`` (so it
        needs about the database's size of free space, no write-ahead log beside it),
        fsynced, verified read-only, and renamed into place.
        """
        destination = Path(destination)
        files.private_dir(destination.parent)
        needed = self.size_on_disk()
        free = files.free_bytes(destination.parent)
        if free < needed:
            raise DiskFullError(
                f"Not enough free space for a backup in {destination.parent}: it needs "
                f"{needed / 1e6:.1f} MB, {free / 1e6:.1f} MB are free. Nothing was written."
            )
        tmp = destination.with_name(destination.name + ".partial")
        files.remove(tmp, *files.sidecars(tmp))
        # The backup API copies pages as they are: the copy keeps this file's layout.
        target = Store(tmp, self._key, pool_size=1, layout=self.layout, wal=False)
        try:
            with self.engine.connect() as conn, target.fresh_connection() as target_raw:
                source_raw = cast(Any, conn.connection.driver_connection)
                source_raw.backup(target_raw)
                sql_dialect.sqlite_set_journal_mode(target_raw, "delete")
            steps.step("backup", "copied")
            files.fsync_file(tmp)
            check = Store(tmp, self._key, pool_size=1, layout=self.layout, access="immutable")
            try:
                problems = check.integrity_check()
            finally:
                check.engine.dispose()
        except SQLAlchemyError as exc:
            files.remove(tmp, *files.sidecars(tmp))
            raise storage_error(exc, self.path) from None
        except BaseException:
            files.remove(tmp, *files.sidecars(tmp))
            raise
        finally:
            target.engine.dispose()
        if problems:
            files.remove(tmp, *files.sidecars(tmp))
            raise DatabaseCorruptError(
                f"The backup failed verification ({problems[0]}); it was not kept."
            )
        steps.step("backup", "verified")
        files.remove(*files.sidecars(tmp))
        files.replace(tmp, destination)
        steps.step("backup", "renamed")

    def export_rekeyed(
        self, destination: Path, new_key: DataKey, layout: CipherLayout = CURRENT_LAYOUT
    ) -> None:
        """Write a full copy of the database encrypted under ``new_key`` (for ``db rekey``).

        The copy has ``CURRENT_LAYOUT`` unless told otherwise, so rekeying also brings an
        older file up to it.
        """
        if self._key is None:
            raise StorageError("A plaintext store cannot be rekeyed.")
        files.remove(destination, *files.sidecars(destination))
        with files.private_umask():
            fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.PRIVATE_FILE)
        os.close(fd)
        with self.engine.connect() as conn:
            raw = cast(Any, conn.connection.driver_connection)
            version = raw.execute("PRAGMA user_version").fetchone()[0]
            raw.execute(
                f"ATTACH DATABASE ? AS rekeyed KEY {new_key.sqlcipher_literal()}",
                (str(destination),),
            )
            try:
                for pragma in layout.pragmas("rekeyed"):
                    raw.execute(pragma)
                raw.execute("SELECT sqlcipher_export('rekeyed')")
                raw.execute(f"PRAGMA rekeyed.user_version = {int(version)}")
            finally:
                raw.execute("DETACH DATABASE rekeyed")


def _driver_error(exc: DBAPIError) -> BaseException:
    """The driver's exception SQLAlchemy wrapped in ``exc``."""
    return exc if exc.orig is None else exc.orig


# SQLCipher keeps an IV and the page's MAC at the end of every page (rounded up to the AES
# block): 16 + 32 bytes with HMAC-SHA256, 16 + 64 with HMAC-SHA512.
_RESERVE = {"HMAC_SHA256": 48, "HMAC_SHA512": 80}
_BTREE_TYPES = {2, 5, 10, 13}
_PROBE_PAGES = 16


def _looks_like_btree_page(page: bytes, usable: int) -> bool:
    """Whether decrypted page bytes start with a plausible SQLite b-tree page header."""
    kind = page[0]
    if kind not in _BTREE_TYPES:
        return False
    header = 8 if kind in (10, 13) else 12
    freeblock = int.from_bytes(page[1:3], "big")
    cells = int.from_bytes(page[3:5], "big")
    content = int.from_bytes(page[5:7], "big") or 65536
    fragmented = page[7]
    if header + 2 * cells > min(content, usable) or content > usable:
        return False
    if freeblock and not content <= freeblock < usable:
        return False
    return fragmented <= 60


def key_fits_file(path: Path, key: DataKey) -> bool | None:
    """Whether ``key`` decrypts the file's pages after the first into database pages.

    When page 1 cannot be read, SQLCipher cannot tell a wrong key from a damaged first page:
    both fail its MAC. Pages 2 onwards are encrypted with the same key (AES-256-CBC, the IV
    stored in the page), so decrypting a few of them tells: with the right key some are
    b-tree pages; with a wrong key all are noise (a page passes the header test by chance
    about once in two million). True: the key is right; False: it is not; None: too little
    of the file to tell (fewer than two pages).
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(_PROBE_PAGES * LEGACY_LAYOUT.page_size)
    except OSError:
        return None
    decided: bool | None = None
    for layout in (CURRENT_LAYOUT, LEGACY_LAYOUT):
        size = layout.page_size
        reserve = _RESERVE[layout.hmac]
        usable = size - reserve
        count = min(len(head) // size, _PROBE_PAGES)
        if count < 2:
            continue
        decided = False
        for number in range(1, count):
            page = head[number * size : (number + 1) * size]
            iv = page[usable : usable + 16]
            decryptor = Cipher(algorithms.AES(key.raw), modes.CBC(iv)).decryptor()
            plain = decryptor.update(page[:usable]) + decryptor.finalize()
            if _looks_like_btree_page(plain, usable):
                return True
    return decided


_PAGE_NUMBER = re.compile(r"\bpage (\d+)", re.IGNORECASE)
_MAC_FAILURE = re.compile(r"HMAC verification failed for page (\d+)", re.IGNORECASE)


def damaged_pages(problems: list[str]) -> list[int]:
    """The damaged pages named in integrity-check lines, ascending.

    Pages whose MAC failed are the damaged ones; SQLite's own check then also names the
    pages it could not reach through them, so those are listed only when no MAC failed.
    """
    failed = {int(m.group(1)) for line in problems for m in _MAC_FAILURE.finditer(line)}
    if failed:
        return sorted(failed)
    return sorted({int(m.group(1)) for line in problems for m in _PAGE_NUMBER.finditer(line)})
