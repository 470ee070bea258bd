"""A PostgreSQL database as the store: server mode (``timelygator serve --database-url``).

``ServerStore`` is what ``core.store.Store`` is for a SQLCipher file, for a database on a
PostgreSQL server reached through a SQLAlchemy URL (``postgresql+psycopg://…``): an engine
with a pool of connections, ``connect()`` for one unit of work, ``close()``, and the mapping
of driver errors to ``StorageError``s that say what to do. The writer, the readers and the
analytics use either through ``core.store.DataStore``; what differs in SQL is in
``core.sql_dialect``.

What it does not have, because a server has it: no key (PostgreSQL does not encrypt at rest
by itself; the server's disk encryption does, see the README), no folder lock (several
processes share a server: ``serve --workers N``), no file to back up, check or salvage
(``pg_dump`` and the server's own tools do that).

The URL may hold a password: it is never put in a message, a log line or a repr; places are
named by ``description`` (server, port and database name).
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from timelygator.core import sql_dialect
from timelygator.core.errors import (
    AccessDeniedError,
    DatabaseCorruptError,
    DatabaseLockedError,
    DiskFullError,
    NoSuchDatabaseError,
    ReadOnlyError,
    ServerUnreachableError,
    StorageError,
    ValidationError,
)
from timelygator.core.logs import add_secret

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10
_PROBE = select(1)

# SQLSTATE classes and codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_CONNECTION = "08"  # connection exception
_RESOURCES = "53"  # insufficient resources (53100 disk full, 53300 too many connections)
_OPERATOR = "57"  # operator intervention (57P01 admin shutdown, 57P03 cannot connect now)
_SYSTEM = "58"  # system error (I/O)
_INTERNAL = "XX"  # internal error (XX001 data corrupted, XX002 index corrupted)
_DISK_FULL = "53100"
_TOO_MANY = "53300"
_READ_ONLY = "25006"
_BAD_PASSWORD = {"28P01", "28000"}
_NO_DATABASE = "3D000"
_CORRUPT = {"XX001", "XX002"}
# Errors a transaction may meet only because of another one; trying again works.
TRANSIENT = frozenset({"40001", "40P01", "55P03"})


DATABASE_URL_ENV = "TIMELYGATOR_DATABASE_URL"


def database_url(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> str | None:
    """``--database-url`` if given (commands that have it), else ``TIMELYGATOR_DATABASE_URL``,
    else None (the data folder's SQLite file). An empty value counts as unset."""
    env = os.environ if environ is None else environ
    given = getattr(args, "database_url", None)
    if given is not None and str(given).strip():
        return str(given).strip()
    return env.get(DATABASE_URL_ENV, "").strip() or None


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL of a PostgreSQL database; ValidationError (not repeating the URL,
    which may hold a password) for anything else."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        parsed = None
    if parsed is None or parsed.get_backend_name() != "postgresql":
        raise ValidationError(
            "The database URL must name a PostgreSQL database, written as "
            "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE."
        )
    if parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.password is not None:
        add_secret(str(parsed.password))  # scrubbed from every log line from now on
    return parsed


def describe(url: URL) -> str:
    """What ``url`` names, for messages: database, server and port (no user, no password)."""
    host = url.host or str(url.query.get("host") or "localhost")
    return f"PostgreSQL database {url.database or '(default)'!r} on {host}:{url.port or 5432}"


@dataclass(frozen=True, slots=True, repr=False)
class ServerSpec:
    """A server store's URL, to open it in another process (the query workers). Its repr
    never shows the URL."""

    url: str

    def __repr__(self) -> str:
        return "ServerSpec(<database URL>)"

    def open_reader(self) -> ServerStore:
        """A reader of this database in this process: its sessions refuse to write."""
        return ServerStore(self.url, pool_size=1, read_only=True)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error (wrapped by SQLAlchemy or not), if the server sent one."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(original, "sqlstate", None)
    return code if isinstance(code, str) else None


class ServerStore:
    """A PostgreSQL database reached through ``url``; shared by threads, each taking its own
    connection from the pool. ``read_only``: every session refuses to write (readers)."""

    damaged = False  # a server reports damage per statement; nothing to remember here

    def __init__(self, url: str, *, pool_size: int = 4, read_only: bool = False) -> None:
        self._url = parse_url(url)
        self.read_only = read_only
        import psycopg  # only server mode needs the driver

        self.dbapi: ModuleType = psycopg
        connect_args: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "timelygator",
        }
        if read_only:
            connect_args["options"] = "-c default_transaction_read_only=on"
        self.engine: Engine = create_engine(
            self._url,
            pool_size=pool_size,
            max_overflow=8,
            # A server restarts; a pooled connection may be gone (one round trip per use).
            pool_pre_ping=True,
            connect_args=connect_args,
            hide_parameters=True,
        )

    @property
    def description(self) -> str:
        return f"the {describe(self._url)}"

    def reader_spec(self) -> ServerSpec:
        """What another process needs to read this database (holds the URL)."""
        return ServerSpec(self._url.render_as_string(hide_password=False))

    # -- errors -------------------------------------------------------------------------
    def error(self, exc: BaseException) -> StorageError:
        """Translate a driver or SQLAlchemy error into a StorageError users can act on.

        Never includes SQL, parameters or the URL; the server's own words only where they
        name a cause (no password is ever in them).
        """
        if isinstance(exc, StorageError):
            return exc
        original = exc.orig if isinstance(exc, DBAPIError) else exc
        code = sqlstate(exc) or ""
        text = str(original).lower()
        where = self.description
        refused = ("authentication failed", "pg_hba.conf", "password is missing")
        if (
            code in _BAD_PASSWORD
            or any(words in text for words in refused)
            or ('role "' in text and "does not exist" in text)
        ):
            return AccessDeniedError(
                f"The server refused the user name or password given for {where} (check "
                "--database-url or TIMELYGATOR_DATABASE_URL). Nothing was changed."
            )
        if code == _NO_DATABASE or ("database" in text and "does not exist" in text):
            return NoSuchDatabaseError(
                f"There is no {describe(self._url)}: create it first (createdb, or "
                "CREATE DATABASE), then start again. Nothing was changed."
            )
        if code == _DISK_FULL:
            return DiskFullError(
                f"The server's disk holding {where} is full. Tracking is paused; free some "
                "space on the server. Data already saved is intact."
            )
        if code == _READ_ONLY or "read-only transaction" in text:
            return ReadOnlyError(
                f"The {describe(self._url)} cannot be written (a read-only server or "
                "session). Data already saved is intact."
            )
        if code == _TOO_MANY:
            return DatabaseLockedError(
                f"The server of {where} has no free connection (max_connections); close "
                "other clients or raise the limit, then try again. Nothing was changed."
            )
        if code in _CORRUPT:
            return DatabaseCorruptError(
                f"The server reports damaged data in {where}; see its log and restore from "
                "a backup (pg_dump). Nothing was changed."
            )
        if code.startswith((_CONNECTION, _OPERATOR)) or (
            isinstance(original, self.dbapi.OperationalError) and not code
        ):
            return ServerUnreachableError(
                f"The server of {where} cannot be reached or closed the connection. Check "
                "that it runs and accepts connections from here; nothing was lost, retry "
                "when it is back."
            )
        if code.startswith((_SYSTEM, _INTERNAL, _RESOURCES)):
            return StorageError(
                f"The server of {where} reported an error ({code}); see its log. Data "
                "already saved is intact."
            )
        return StorageError(
            f"A change could not be saved to {where} ({type(original).__name__}"
            f"{', ' + code if code else ''}); it was not stored."
        )

    def failure(self, exc: BaseException) -> bool:
        """True when ``exc`` says the database cannot be used at all now (server gone, disk
        full, read-only, refused), False when it is about one statement or transaction (a
        constraint, a value, a deadlock): then other changes can be saved."""
        code = sqlstate(exc) or ""
        if code in TRANSIENT:
            return False
        original = exc.orig if isinstance(exc, DBAPIError) else exc
        if isinstance(original, OSError):
            return True
        return type(self.error(exc)) is not StorageError or code.startswith(
            (_SYSTEM, _INTERNAL, _RESOURCES)
        )

    # -- connections --------------------------------------------------------------------
    def check_open(self) -> None:
        """Connect once now, so an unreachable server or refused login fails here, clearly."""
        try:
            with self.engine.connect() as conn:
                conn.execute(_PROBE).scalar_one()
        except SQLAlchemyError as exc:
            raise self.error(exc) from None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A pooled connection for one unit of work (errors as ``StorageError``s)."""
        try:
            conn = self.engine.connect()
        except SQLAlchemyError as exc:
            raise self.error(exc) from None
        try:
            yield conn
        except StorageError:
            raise
        except (SQLAlchemyError, self.dbapi.Error) as exc:
            raise self.error(exc) from None
        finally:
            conn.close()

    def user_version(self) -> int:
        """The schema version (Alembic's revision; 0 for an empty database)."""
        with self.connect() as conn:
            return sql_dialect.user_version(conn)

    def close(self) -> None:
        """Close every pooled connection (the server keeps the data)."""
        self.engine.dispose()
