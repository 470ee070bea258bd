"""The few statements whose SQL differs between database engines, behind one seam.

Everything else in core is written with SQLAlchemy Core on the ORM's tables and runs on any
engine SQLAlchemy supports. What each engine spells its own way (an upsert) is built here
from the connection's dialect, so PostgreSQL (server mode) is a branch in this module, not a
search through the code. Hand-written SQL elsewhere (measured hot paths) says so where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    literal_column,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import TableClause


def upsert(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str],
    *,
    unless_same: str | None = None,
) -> Insert:
    """``INSERT … ON CONFLICT (keys) DO UPDATE``: a row whose ``keys`` exist gets the new
    values of the ``update`` columns; with ``unless_same``, only when that column differs
    (otherwise the stored row stays as it is)."""
    if conn.dialect.name == "postgresql":
        # Loaded only there: importing it costs every command's start ~0.1 s.
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(table)
        new = pg.excluded
        where = None if unless_same is None else table.c[unless_same] != new[unless_same]
        set_ = {name: new[name] for name in update}
        return cast(
            Insert, pg.on_conflict_do_update(index_elements=list(keys), set_=set_, where=where)
        )
    lite = sqlite.insert(table)
    new = lite.excluded
    where = None if unless_same is None else table.c[unless_same] != new[unless_same]
    set_ = {name: new[name] for name in update}
    return cast(
        Insert, lite.on_conflict_do_update(index_elements=list(keys), set_=set_, where=where)
    )


# -- the SQLite file: store, backup, maintenance, salvage ---------------------------------------
# Statements about the database FILE rather than its rows: a connection's set-up, the
# write-ahead log, VACUUM, secure deletion, page-level salvage. A SQLite store runs them on
# its file. A PostgreSQL server (server mode) keeps its own files: it is backed up with
# ``pg_dump`` and maintained by the server, so these either do the server's equivalent, do
# nothing where nothing is to be done, or refuse clearly (``_file_only``).
#
# Some run on the DB-API connection below SQLAlchemy: SQLite ignores ``PRAGMA foreign_keys``
# inside a transaction and refuses VACUUM in one, and the store's engine begins a transaction
# (``begin_deferred``) as soon as SQLAlchemy executes anything. Those that take a DB-API
# connection (``sqlite_*``) are the store's own set-up, run before SQLAlchemy sees it.

SqliteJournal = Literal["wal", "delete"]


def _file_only(conn: Connection, what: str) -> NotImplementedError:
    return NotImplementedError(
        f"{what} is maintenance of a SQLite database file; this connection is to "
        f"{conn.dialect.name} (a server is backed up with pg_dump and maintained by its "
        "own tools)."
    )


def _driver(conn: Connection) -> Any:
    """The DB-API connection under ``conn`` (statements on it bypass SQLAlchemy's begin)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw


def sqlite_prepare_connection(raw: Any, *, write: bool, wal: bool, busy_timeout_ms: int) -> None:
    """SQLite file only: the settings every new DB-API connection of a store gets (after
    SQLCipher's key and page layout, which the store sets first).

    Temporary tables in memory (never an unencrypted temporary file); a first read of the
    schema, so a wrong key or a damaged first page fails here, on opening; for the writing
    side the journal mode (``wal``: write-ahead log; else a rollback journal, as backups
    use); synchronous=NORMAL (durable in WAL mode up to the last checkpointed commit on
    power loss, never corrupt); foreign keys enforced; waiting ``busy_timeout_ms`` for a
    lock. A PostgreSQL engine sets up its sessions through its URL instead.
    """
    raw.execute("PRAGMA temp_store = MEMORY")
    raw.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if write:
        mode = str(raw.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        wanted: SqliteJournal = "wal" if wal else "delete"
        if mode != wanted:
            sqlite_set_journal_mode(raw, wanted)
    raw.execute("PRAGMA synchronous = NORMAL")
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")


def sqlite_set_journal_mode(raw: Any, mode: SqliteJournal) -> None:
    """SQLite file only: switch the file behind the DB-API connection ``raw`` to a
    write-ahead log (``"wal"``) or a rollback journal (``"delete"``)."""
    raw.execute("PRAGMA journal_mode = WAL" if mode == "wal" else "PRAGMA journal_mode = DELETE")


def begin_deferred(conn: Connection) -> None:
    """The SQLite store engine's ``begin`` listener: start each transaction with BEGIN.

    The store's DB-API connections run in autocommit mode (so the driver never opens a
    transaction behind SQLAlchemy's back); SQLAlchemy's transactions begin here. The writer
    may already have opened one on the driver connection (its hot path issues BEGIN itself);
    SQLAlchemy then simply joins it.
    """
    if not _driver(conn).in_transaction:
        conn.exec_driver_sql("BEGIN")


def checkpoint_truncate(conn: Connection) -> bool:
    """Copy the whole write-ahead log into the database file and empty the log; False when
    another connection still reads from the log (nothing is lost, the log just stays).

    SQLite file maintenance (run outside a transaction). A PostgreSQL server checkpoints its
    own log: nothing to do, True.
    """
    if conn.dialect.name == "postgresql":
        return True
    if conn.dialect.name != "sqlite":
        raise _file_only(conn, "A write-ahead log checkpoint")
    busy, _log, _copied = _driver(conn).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not busy


def vacuum(conn: Connection) -> None:
    """Rewrite the database compactly, leaving no free pages with deleted data behind.

    SQLite file maintenance: VACUUM rebuilds the file; it must run outside a transaction.
    PostgreSQL: VACUUM (in autocommit) marks dead rows' space free inside the server's files.
    """
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")
        return
    if conn.dialect.name != "sqlite":
        raise _file_only(conn, "VACUUM")
    _driver(conn).execute("VACUUM")


def secure_delete(conn: Connection) -> None:
    """From now on on this connection, deleted content is overwritten with zeros in the file.

    SQLite file maintenance (retention of a backup file). A server offers no such promise
    about its files: refused.
    """
    if conn.dialect.name != "sqlite":
        raise _file_only(conn, "Secure deletion")
    _driver(conn).execute("PRAGMA secure_delete = ON")


def foreign_keys(conn: Connection, enforced: bool) -> None:
    """Enforce foreign keys on this connection, or stop (salvage copies rows whose parent
    may be lost). Run outside a transaction: SQLite ignores the setting inside one.

    SQLite file maintenance; a server's foreign keys cannot be switched off per session
    (without superuser rights): refused.
    """
    if conn.dialect.name != "sqlite":
        raise _file_only(conn, "Switching foreign keys off")
    _driver(conn).execute("PRAGMA foreign_keys = ON" if enforced else "PRAGMA foreign_keys = OFF")


def row_position(conn: Connection) -> ColumnElement[int]:
    """The column SQLite stores a table's rows in order of (``rowid``), for page-level
    salvage, which walks a damaged file's b-tree by it. SQLite file only."""
    if conn.dialect.name != "sqlite":
        raise _file_only(conn, "Salvage by rowid")
    return literal_column("rowid", Integer)


def insert_or_ignore(conn: Connection, table: TableClause) -> Insert:
    """An INSERT that skips a row a constraint refuses instead of failing.

    SQLite: ``INSERT OR IGNORE`` skips rows that break a unique key, NOT NULL or CHECK (what
    salvage wants of rows read from a damaged file). PostgreSQL: ``ON CONFLICT DO NOTHING``
    skips rows that break a unique key only.
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return cast(Insert, postgresql.insert(table).on_conflict_do_nothing())
    if conn.dialect.name != "sqlite":
        raise NotImplementedError(f"No INSERT that skips refused rows for {conn.dialect.name}.")
    return insert(table).prefix_with("OR IGNORE")


# -- schema version (schema, store) ----------------------------------------------------------
# Alembic's own record of the revision it last ran (every engine has it; revisions are named
# "0001", "0002", ...). Declared here, not in core.models: it is Alembic's table, not ours.
_ALEMBIC_VERSION = Table(
    "alembic_version", MetaData(), Column("version_num", String(32), primary_key=True)
)


def user_version(conn: Connection) -> int:
    """The schema version of the database ``conn`` is on (0 for an empty database).

    SQLite: ``PRAGMA user_version``, which ``set_user_version`` keeps equal to the Alembic
    revision, so the usual check at start (database already current) costs one pragma and
    never loads Alembic. PostgreSQL has no such header field: there Alembic's version table
    is the source (``alembic_version_of``).
    """
    name = conn.dialect.name
    if name == "sqlite":
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    if name == "postgresql":
        return alembic_version_of(conn)
    raise NotImplementedError(f"No schema version lookup for the {name!r} database engine.")


def set_user_version(conn: Connection, version: int) -> None:
    """Record ``version`` as the schema version (after Alembic upgraded to it).

    SQLite: writes ``PRAGMA user_version``. PostgreSQL: nothing to do, the upgrade itself
    wrote Alembic's version table, which is what ``user_version`` reads there.
    """
    name = conn.dialect.name
    if name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
    elif name != "postgresql":
        raise NotImplementedError(f"No schema version record for the {name!r} database engine.")


def alembic_version_of(conn: Connection) -> int:
    """The revision number in Alembic's version table (0 when Alembic never ran)."""
    if not inspect(conn).has_table(_ALEMBIC_VERSION.name):
        return 0
    found = conn.execute(select(_ALEMBIC_VERSION.c.version_num)).scalar_one_or_none()
    return 0 if found is None else int(found)
