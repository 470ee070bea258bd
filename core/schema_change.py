"""Moving a database to another schema revision: ``timelygator db upgrade`` / ``db downgrade``.

**The data folder** (its SQLite file, ``change_folder``): with the folder lock held (while the
app, ``serve`` or ``watch`` holds it the command is refused and nothing changes) and readers
kept out (swap lock), an encrypted copy of the file is written into ``backups/`` and verified
before anything changes: it opens with the folder's key, passes SQLCipher's and SQLite's
integrity checks, is at the schema found and holds as many rows in every table of ours. Then
Alembic moves the file in one transaction, so a failure or a kill at any moment leaves it as
it was, or moved completely (``tests/core/test_fault_injection.py`` ends it at each step).

**A PostgreSQL database** (``ServerDatabase``, ``--database-url``): the same Alembic steps in
one transaction, on an engine made from the URL. A server's data is backed up with
``pg_dump``; ``dump_command`` is that command for this database, without the password. The
URL's password never appears in a message or a log line.
"""

from __future__ import annotations

import logging
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from timelygator.core import __version__, files, sql_dialect, steps, users
from timelygator.core.errors import (
    DatabaseLockedError,
    SchemaTooNewError,
    StorageError,
    TimelyGatorError,
    ValidationError,
)
from timelygator.core.locks import READER_BUSY, SWAPPER_BUSY, SwapLock
from timelygator.core.maintenance import TABLES, holding_folder, opened
from timelygator.core.paths import AppDirs
from timelygator.core.recovery import open_reader
from timelygator.core.revisions import backup_path, migrate, readers_of
from timelygator.core.schema import SCHEMA_VERSION, revision_for
from timelygator.core.server_store import ServerStore, parse_url, sqlstate
from timelygator.core.store import Store, storage_error

log = logging.getLogger(__name__)

# The first schema that can mark a user disabled (revision 0006): going below it revokes the
# tokens of disabled users instead.
DISABLED_USERS_SINCE = 6
# How long a schema change on PostgreSQL waits for a table another session is using.
LOCK_WAIT_S = 10
_PG_LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a lock_timeout


@dataclass(frozen=True)
class SchemaChange:
    """What ``db upgrade``/``db downgrade`` did."""

    where: str  # the database file, or the server's URL without its password
    before: int
    after: int
    backup: Path | None = None  # the verified copy made first (the data folder)
    revoked_for: tuple[str, ...] = ()  # disabled users whose tokens a downgrade revoked

    @property
    def changed(self) -> bool:
        return self.before != self.after


def check_target(before: int, target: int, *, downgrade: bool, oldest: int = 1) -> None:
    """Refuse a move that is not one: to a newer schema than this version knows, in the
    wrong direction, or below ``oldest`` (0 would delete every table)."""
    if before > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"The database is at schema {before}, written by a newer TimelyGator (this version "
            f"knows {SCHEMA_VERSION}); move it with that version. Nothing was changed."
        )
    if not downgrade:
        return
    if target > before:
        raise ValidationError(
            f"The database is at schema {before}; 'db downgrade' goes to an older one, "
            "'db upgrade' to the newest. Nothing was changed."
        )
    if target < oldest:
        raise ValidationError(
            f"The oldest schema this database can go back to is {revision_for(oldest)} "
            "('timelygator db history' lists them). Nothing was changed."
        )


def _disabled_users(conn: Connection, before: int, target: int) -> tuple[str, ...]:
    """The disabled users a move from ``before`` to ``target`` cannot keep disabled."""
    if not target < DISABLED_USERS_SINCE <= before:
        return ()
    return tuple(user.name for user in users.list_users(conn) if user.disabled)


def _row_counts(store: Store) -> dict[str, int]:
    with store.connect() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in TABLES
        }


def _failed(exc: Exception, where: str, before: int, target: int) -> StorageError:
    """A failed move as the user reads it: nothing was changed (one transaction)."""
    log.info("moving %s from schema %d to %d failed", where, before, target, exc_info=exc)
    return StorageError(
        f"Moving {where} from schema {before} to {target} failed ({type(exc).__name__}); "
        f"nothing was changed, it is still at schema {before}. Run it again with -v for "
        "the details.",
        details=[str(exc).splitlines()[0][:300]] if str(exc) else [],
    )


# -- the data folder (SQLite) ------------------------------------------------------------------
def folder_version(dirs: AppDirs, passphrase: str | None) -> int:
    """The schema of the folder's database, read beside whoever holds the folder."""
    if not dirs.data.is_dir():
        raise StorageError(f"There is no TimelyGator database in {dirs.data} yet.")
    with SwapLock(dirs).hold(exclusive=False, busy=READER_BUSY):
        store = open_reader(dirs, passphrase)
        try:
            return store.user_version()
        finally:
            store.engine.dispose()


def _verified_backup(store: Store, folder: Path, version: int, operation: str) -> Path:
    """An encrypted copy of ``store`` (schema ``version``) that opens with the same key,
    passes the integrity checks and holds as many rows in every table; its path."""
    path = backup_path(folder, version)
    store.backup(path)  # fsynced and integrity-checked with the same key before it is kept
    expected = (version, _row_counts(store))
    copy = Store(path, store.key, pool_size=1, layout=store.layout, access="immutable")
    try:
        found = (copy.user_version(), _row_counts(copy))
    finally:
        copy.engine.dispose()
    if found != expected:
        files.remove(path)
        raise StorageError(
            f"The backup made before the {operation} does not hold what the database holds "
            f"(schema {found[0]}, rows {found[1]}; expected schema {expected[0]}, rows "
            f"{expected[1]}); it was deleted. Nothing was changed."
        )
    steps.step(operation, "backup-checked")
    return path


def change_folder(
    dirs: AppDirs, passphrase: str | None, target: int, *, downgrade: bool
) -> SchemaChange:
    """Move the data folder's database to schema ``target`` after a verified backup.

    ``downgrade`` says which command asked (an upgrade always goes to SCHEMA_VERSION).
    Refused while another process holds the folder; nothing is changed by a failure.
    """
    operation = "downgrade" if downgrade else "upgrade"
    instead = f"Quit it first, then run 'timelygator db {operation}' again."
    with holding_folder(dirs, instead) as lock, opened(dirs, passphrase, lock) as store:
        before = store.user_version()
        check_target(before, target, downgrade=downgrade)
        if before == target:
            return SchemaChange(str(store.path), before, before)
        with SwapLock(dirs).hold(exclusive=True, busy=SWAPPER_BUSY):
            backup = _verified_backup(store, dirs.backups, before, operation)
            try:
                with store.engine.begin() as conn:
                    revoked = _disabled_users(conn, before, target)
                    migrate(conn, target, lambda at: steps.step(operation, revision_for(at)))
            except Exception as exc:
                error = storage_error(exc, store.path)
                raise (
                    _failed(exc, str(store.path), before, target)
                    if type(error) is StorageError
                    else error
                ) from None
            steps.step(operation, "committed")
    log.info("%s: schema %d -> %d (backup %s)", operation, before, target, backup)
    return SchemaChange(str(dirs.database), before, target, backup, revoked)


# -- a PostgreSQL database -------------------------------------------------------------------------
class ServerDatabase:
    """A PostgreSQL database named by a URL (``core.server_store``: its connections, and its
    errors and name in words that never hold the password)."""

    def __init__(self, url: str) -> None:
        self.url = parse_url(url)
        self.store = ServerStore(url, pool_size=1)
        self.shown = self.store.description

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> ServerDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self) -> int:
        """The schema the database is at (0: no TimelyGator tables yet)."""
        return self.store.user_version()

    def check(self, target: int, *, downgrade: bool) -> int:
        """The schema the database is at, when moving it to ``target`` is possible (else
        ValidationError or SchemaTooNewError, saying why): what to ask the user about."""
        before = self.version()
        self._check(before, target, downgrade)
        return before

    def dump_command(self, version: int) -> str:
        """The ``pg_dump`` command that backs this database up into a file of its own (the
        password left out: pg_dump asks for it, or reads ``~/.pgpass`` or ``PGPASSWORD``)."""
        url = self.url
        plain = URL.create(  # (URL.set cannot remove a password: None there means "keep")
            "postgresql", url.username, None, url.host, url.port, url.database, url.query
        )
        conninfo = plain.difference_update_query(["password"]).render_as_string(hide_password=False)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        dump = f"timelygator-schema{version}-{stamp}.dump"
        return shlex.join(["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={conninfo}"])

    def change(self, target: int, *, downgrade: bool) -> SchemaChange:
        """Move the database to schema ``target`` in one transaction, as the only process
        changing its schema (``sql_dialect.schema_lock``, as a starting server takes)."""
        operation = "downgrade" if downgrade else "upgrade"
        before = -1
        with self.store.connect() as conn:
            try:
                with conn.begin():
                    sql_dialect.limit_lock_wait(conn, LOCK_WAIT_S)
                    sql_dialect.schema_lock(conn)
                    before = sql_dialect.user_version(conn)
                    self._check(before, target, downgrade)
                    if before == target:
                        return SchemaChange(self.shown, before, before)
                    revoked = _disabled_users(conn, before, target)
                    migrate(conn, target, lambda at: steps.step(operation, revision_for(at)))
            except TimelyGatorError:
                raise
            except DBAPIError as exc:
                if sqlstate(exc) == _PG_LOCK_NOT_AVAILABLE:
                    raise DatabaseLockedError(
                        f"{self.shown.capitalize()} is in use: another session held what the "
                        f"{operation} needs for {LOCK_WAIT_S} s (a running 'timelygator "
                        "serve'?). Stop it, then run the command again. Nothing was changed."
                    ) from None
                raise self.store.error(exc) from None
            except Exception as exc:
                raise _failed(exc, self.shown, before, target) from None
        log.info("%s of a PostgreSQL database: schema %d -> %d", operation, before, target)
        return SchemaChange(self.shown, before, target, revoked_for=revoked)

    def _check(self, before: int, target: int, downgrade: bool) -> None:
        if before == 0:
            raise ValidationError(
                f"{self.shown.capitalize()} holds no TimelyGator schema: there is nothing to "
                "move. Nothing was changed."
            )
        check_target(before, target, downgrade=downgrade)


def afterwards(change: SchemaChange, *, server: bool) -> str:
    """What a user needs to know after a downgrade: which TimelyGator reads the schema now,
    and how this version takes it back."""
    again = (
        f"Starting this TimelyGator ({__version__}) on it ('timelygator serve --database-url "
        f"…', or 'timelygator db upgrade --database-url …') upgrades it to schema "
        f"{SCHEMA_VERSION} again."
        if server
        else f"Starting this TimelyGator ({__version__}) on the folder (the app, 'timelygator "
        f"serve' or 'watch', or 'timelygator db upgrade') upgrades it to schema "
        f"{SCHEMA_VERSION} again, after a backup."
    )
    return f"Schema {change.after} is read by {readers_of(change.after)}. {again}"
