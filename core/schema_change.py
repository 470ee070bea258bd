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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import ArgumentError, DBAPIError
from timelygator.core import __version__, files, sql_dialect, steps, users
from timelygator.core.errors import (
    DatabaseLockedError,
    SchemaTooNewError,
    StorageError,
    TimelyGatorError,
    ValidationError,
)
from timelygator.core.locks import READER_BUSY, SWAPPER_BUSY, SwapLock
from timelygator.core.logs import add_secret
from timelygator.core.maintenance import TABLES, holding_folder, opened
from timelygator.core.paths import AppDirs
from timelygator.core.recovery import open_reader
from timelygator.core.revisions import POSTGRES_OLDEST, backup_path, migrate, readers_of
from timelygator.core.schema import SCHEMA_VERSION, revision_for
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
    """A PostgreSQL database named by a SQLAlchemy URL (``postgresql+psycopg://…``).

    ``postgresql://`` alone means psycopg (3), the driver TimelyGator installs. The password
    is kept out of every message (``shown``) and log line.
    """

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):
            raise ValidationError(
                "The database URL (--database-url or TIMELYGATOR_DATABASE_URL) cannot be "
                "read: write it as postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE."
            ) from None
        add_secret(parsed.password if isinstance(parsed.password, str) else None)
        self._password = parsed.password
        if parsed.get_backend_name() != "postgresql":
            raise ValidationError(
                f"'db upgrade' and 'db downgrade' with a database URL work on PostgreSQL; "
                f"this URL is for {parsed.get_backend_name()}. Without a URL they work on "
                "the data folder's database."
            )
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.url = parsed
        self.shown = parsed.render_as_string(hide_password=True)
        self.engine = create_engine(parsed, poolclass=NullPool)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ServerDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unreachable(self, exc: DBAPIError) -> StorageError:
        said = str(exc.orig if exc.orig is not None else exc).strip()
        reason = said.splitlines()[0][:300] if said else type(exc).__name__
        if self._password:
            reason = reason.replace(str(self._password), "***")
        return StorageError(f"The PostgreSQL database {self.shown} cannot be used: {reason}")

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            raise self._unreachable(exc) from None

    def version(self) -> int:
        """The schema the database is at (0: no TimelyGator tables yet)."""
        with self._connect() as conn:
            return sql_dialect.user_version(conn)

    def check(self, target: int, *, downgrade: bool) -> int:
        """The schema the database is at, when moving it to ``target`` is possible (else
        ValidationError or SchemaTooNewError, saying why): what to ask the user about."""
        before = self.version()
        self._check(before, target, downgrade)
        return before

    def dump_command(self, version: int) -> str:
        """The ``pg_dump`` command that backs this database up into a file of its own (the
        password left out: pg_dump asks for it, or reads ``~/.pgpass`` or ``PGPASSWORD``)."""
        from sqlalchemy.engine import URL

        url = self.url
        plain = URL.create(  # (URL.set cannot remove a password: None there means "keep")
            "postgresql", url.username, None, url.host, url.port, url.database, url.query
        )
        conninfo = plain.difference_update_query(["password"]).render_as_string(hide_password=False)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        dump = f"timelygator-schema{version}-{stamp}.dump"
        return shlex.join(["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={conninfo}"])

    def change(self, target: int, *, downgrade: bool) -> SchemaChange:
        """Move the database to schema ``target`` in one transaction."""
        operation = "downgrade" if downgrade else "upgrade"
        before = -1
        with self._connect() as conn:
            try:
                with conn.begin():
                    before = sql_dialect.user_version(conn)
                    self._check(before, target, downgrade)
                    if before == target:
                        return SchemaChange(self.shown, before, before)
                    sql_dialect.limit_lock_wait(conn, LOCK_WAIT_S)
                    revoked = _disabled_users(conn, before, target)
                    migrate(conn, target, lambda at: steps.step(operation, revision_for(at)))
            except TimelyGatorError:
                raise
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
                    raise DatabaseLockedError(
                        f"The PostgreSQL database {self.shown} is in use: another session "
                        f"held a table the {operation} needs for {LOCK_WAIT_S} s (a running "
                        "'timelygator serve'?). Stop it, then run the command again. "
                        "Nothing was changed."
                    ) from None
                raise self._unreachable(exc) from None
            except Exception as exc:
                raise _failed(exc, self.shown, before, target) from None
        log.info("%s of a PostgreSQL database: schema %d -> %d", operation, before, target)
        return SchemaChange(self.shown, before, target, revoked_for=revoked)

    def _check(self, before: int, target: int, downgrade: bool) -> None:
        if before == 0:
            raise ValidationError(
                f"The PostgreSQL database {self.shown} holds no TimelyGator schema: there is "
                "nothing to move. Nothing was changed."
            )
        if before < POSTGRES_OLDEST:
            raise ValidationError(
                f"Schema {before} on PostgreSQL cannot be moved by this version (a PostgreSQL "
                f"database starts at {revision_for(POSTGRES_OLDEST)}). Nothing was changed."
            )
        check_target(before, target, downgrade=downgrade, oldest=POSTGRES_OLDEST)


def afterwards(change: SchemaChange, *, server: bool) -> str:
    """What a user needs to know after a downgrade: which TimelyGator reads the schema now,
    and how this version takes it back."""
    again = (
        f"'timelygator db upgrade --database-url …' with this TimelyGator ({__version__}) "
        f"brings it back to schema {SCHEMA_VERSION}."
        if server
        else f"Starting this TimelyGator ({__version__}) on the folder (the app, 'timelygator "
        f"serve' or 'watch', or 'timelygator db upgrade') upgrades it to schema "
        f"{SCHEMA_VERSION} again, after a backup."
    )
    return f"Schema {change.after} is read by {readers_of(change.after)}. {again}"
