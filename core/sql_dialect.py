"""The few statements whose SQL differs between database engines, behind one seam.

Everything else in core is written with SQLAlchemy Core on the ORM's tables and runs on any
engine SQLAlchemy supports. What each engine spells its own way (an upsert) is built here
from the connection's dialect, so PostgreSQL (server mode) is a branch in this module, not a
search through the code. Hand-written SQL elsewhere (measured hot paths) says so where it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal, cast

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Select,
    String,
    Subquery,
    Table,
    bindparam,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    select,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import BindParameter, ClauseElement
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import ARRAY
from timelygator.core import models


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


def checkpoint_passive(conn: Connection) -> None:
    """Copy what the write-ahead log holds into the database file as far as no reader needs
    it (the writer's background checkpoints); never waits for readers. The driver's own
    error when the file is busy or failing.

    SQLite file maintenance. A PostgreSQL server checkpoints its own log: nothing to do.
    """
    if conn.dialect.name == "postgresql":
        return
    if conn.dialect.name != "sqlite":
        raise _file_only(conn, "A write-ahead log checkpoint")
    _driver(conn).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


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


def limit_lock_wait(conn: Connection, seconds: int) -> None:
    """For the rest of this transaction, fail a statement that waits more than ``seconds``
    for a lock another session holds, instead of waiting for as long as that session runs
    (a schema change behind a running server).

    PostgreSQL: ``SET LOCAL lock_timeout`` (the error's SQLSTATE is ``55P03``). SQLite: the
    store's connections already give up after their busy timeout; nothing to do.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(seconds)}s'")


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


# -- several processes on one database (server mode) ----------------------------------------
# A SQLite file has one writer, the process holding its folder (core.services); a PostgreSQL
# database is shared by every process of ``serve --workers N``. What they must agree on is
# serialized by the server's transaction-scoped advisory locks, in TimelyGator's own
# namespace (the first of the two keys), so other users of the database are not disturbed.
LOCK_NAMESPACE = 0x7467  # "tg"
_SCHEMA_LOCK = 0


def shared_database(conn: Connection) -> bool:
    """Whether other processes may write this database at the same time (a server), so a
    writer must not trust what it remembers of it between transactions."""
    return conn.dialect.name != "sqlite"


def schema_lock(conn: Connection) -> None:
    """Until this transaction ends, be the only process upgrading the schema (PostgreSQL:
    an advisory lock; a SQLite file is upgraded by its folder lock's holder only)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(LOCK_NAMESPACE, _SCHEMA_LOCK)))


# Advisory lock classes (the first key; the second is a bucket id, or a group of days).
_BUCKET_LOCKS = LOCK_NAMESPACE + 1
_DAY_LOCKS = LOCK_NAMESPACE + 2
_ALL_DAYS = LOCK_NAMESPACE + 3
DAYS_PER_LOCK = 8  # days are locked in groups: a year is 46 locks, a change 1 or 2
_WIDE = 8  # a change over more groups than this locks every day at once


def lock_buckets(conn: Connection, keys: Sequence[int] | None) -> dict[int, int] | None:
    """Until this transaction ends, be the only writer of the buckets ``keys`` (None: of
    every bucket), taking them in ascending order (no two writers wait for each other);
    returns each existing one's ``max_duration_us``. SQLite: None, nothing to do (its one
    writer holds the folder).

    PostgreSQL: the buckets' rows, ``FOR NO KEY UPDATE`` (inserts of their events, which
    take ``KEY SHARE`` for the foreign key, do not wait for it; another writer's lock does).
    One statement however many buckets, which also reads their duration bounds and shows
    which were deleted meanwhile. Measured (tests/benchmarks/pg_heartbeats.py, 8 clients,
    ``serve --workers 2``, 2 CPUs shared with the clients and the server, median of 3
    runs, heartbeats/s with each client in a bucket of its own / all in one): these row
    locks 269 / 223; an advisory lock per bucket (``pg_advisory_xact_lock``, a statement
    each) 249 / 240, the same within the runs' spread (±15%); no lock at all 318 / 329,
    which is wrong (two events where one merge was due). An atomic upsert alone (extending
    the last event in one UPDATE, else inserting) is not exact either: two writers that
    both find no event to extend both insert one, so it too would need this lock.
    """
    if conn.dialect.name == "sqlite":
        return None
    bucket = models.buckets_table
    query = select(bucket.c.id, bucket.c.max_duration_us).order_by(bucket.c.id)
    if keys is not None:
        query = query.where(bucket.c.id.in_(sorted(set(keys))))
    rows = conn.execute(query.with_for_update(key_share=True)).all()
    return {int(key): int(bound) for key, bound in rows}


def lock_days_changing(conn: Connection, low: int, high: int) -> None:
    """Inside a transaction that changes events of UTC days ``low..high``: until it ends,
    no cache row of those days may be stored (``try_lock_days_storing``), so none computed
    before this change can be stored after it. Changes do not wait for each other.
    PostgreSQL only (SQLite's one writer stores cache rows itself)."""
    if conn.dialect.name == "sqlite":
        return
    first, last = low // DAYS_PER_LOCK, high // DAYS_PER_LOCK
    if last - first > _WIDE:
        conn.execute(select(func.pg_advisory_xact_lock(_ALL_DAYS, 0)))
        return
    group = func.generate_series(literal(first, Integer), literal(last, Integer))
    taken = func.pg_advisory_xact_lock_shared(_DAY_LOCKS, group.column_valued("g"))
    conn.execute(select(func.count(taken)))


def try_lock_days_storing(conn: Connection, days: Sequence[int]) -> bool:
    """Inside a transaction that stores cache rows of ``days``: whether no change of those
    days is in progress in another transaction, and none can start before this one ends
    (False: store nothing now). Never waits. Always True on SQLite."""
    if conn.dialect.name == "sqlite" or not days:
        return True
    groups = sorted({day // DAYS_PER_LOCK for day in days})
    every = conn.execute(select(func.pg_try_advisory_xact_lock_shared(_ALL_DAYS, 0))).scalar()
    if not every:
        return False
    group = func.unnest(literal(groups, ARRAY(Integer))).column_valued("g")
    taken = func.bool_and(func.pg_try_advisory_xact_lock(_DAY_LOCKS, group))
    return bool(conn.execute(select(taken)).scalar())


def lock_all_days(conn: Connection) -> None:
    """Until this transaction ends, no cache row of any day may be stored (waits for those
    being stored): for dropping the values no stored row refers to. PostgreSQL only."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(func.pg_advisory_xact_lock(_ALL_DAYS, 0)))


_TABLE_IDS = LOCK_NAMESPACE + 4
_ID_TABLES = {"categories": 1}  # the tables whose ids follow ``row_ids``


def row_ids(conn: Connection, table: Table, count: int) -> list[int] | None:
    """Ids for ``count`` new rows of ``table`` as SQLite gives them to a table without
    AUTOINCREMENT (one above the largest id it holds now; ids of deleted rows come back):
    None on SQLite, which does it itself. For the tables whose ids users see and whose rows
    are replaced as a whole (categories: ``PUT /api/0/categories`` then ``GET`` gives the
    same ids on both engines). PostgreSQL: under a lock on the table's ids until the
    transaction ends (another process may be adding rows); every insert into such a table
    must then give its ids (the table's sequence is not used)."""
    if conn.dialect.name == "sqlite":
        return None
    lock_rows_of(conn, table)
    (key,) = table.primary_key.columns
    top = int(conn.execute(select(func.coalesce(func.max(key), 0))).scalar_one())
    return list(range(top + 1, top + 1 + count))


def lock_rows_of(conn: Connection, table: Table) -> None:
    """Until this transaction ends, be the only one replacing or adding rows of ``table``
    (one of the tables of ``row_ids``): a replacement's delete then sees what an earlier one
    added. PostgreSQL only (SQLite's one writer does one thing at a time)."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(func.pg_advisory_xact_lock(_TABLE_IDS, _ID_TABLES[table.name])))


def transient(exc: BaseException) -> bool:
    """Whether ``exc`` failed a transaction only because of another one (a deadlock, a
    serialization failure, a lock not available): the same changes, tried again, work."""
    original = getattr(exc, "orig", None) or exc
    return getattr(original, "sqlstate", None) in _TRANSIENT


_TRANSIENT = frozenset({"40001", "40P01", "55P03"})


class _ServerDriver:
    """The writer's hand-written statements on a server connection: the DB-API calls the
    writer makes on SQLite's connection (``execute``, ``executemany``), with the ``?``
    marks written as PostgreSQL's drivers want them (``%s``), in SQLAlchemy's transaction."""

    in_transaction = False  # the writer's transactions are SQLAlchemy's here (``begin``)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._texts: dict[str, str] = {}

    def _text(self, sql: str) -> str:
        found = self._texts.get(sql)
        if found is None:
            found = self._texts[sql] = sql.replace("?", "%s")
        return found

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.exec_driver_sql(self._text(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._conn.exec_driver_sql(self._text(sql), [tuple(row) for row in rows])


def writer_driver(conn: Connection) -> Any:
    """What the writer runs its hand-written statements on (``execute``, ``executemany``
    with ``?`` marks, ``in_transaction``): SQLite's own DB-API connection, or an
    equivalent on a server connection."""
    if conn.dialect.name == "sqlite":
        return _driver(conn)
    return _ServerDriver(conn)


def begin_writer(conn: Connection, driver: Any) -> None:
    """Start the writer's transaction: SQLite's BEGIN on its DB-API connection (the hot
    path; SQLAlchemy joins it, see ``begin_deferred``), SQLAlchemy's begin elsewhere."""
    if conn.dialect.name == "sqlite":
        driver.execute("BEGIN")
    else:
        conn.begin()


def new_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """``count`` ids from the sequence of ``table``'s key, never given to anyone else (a
    server's processes insert at the same time). Not for SQLite, where the one writer
    counts them itself."""
    if conn.dialect.name != "postgresql":
        raise NotImplementedError(f"No id sequence to draw from on {conn.dialect.name}.")
    (key,) = table.primary_key.columns
    sequence = func.pg_get_serial_sequence(table.name, key.name)
    query = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
    return [int(i) for i in conn.execute(query).scalars()]


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


# -- reads (reader, values, query source) ----------------------------------------------------
class _Greatest(FunctionElement[int]):
    name = "greatest"
    type = BigInteger()
    inherit_cache = True


class _Least(FunctionElement[int]):
    name = "least"
    type = BigInteger()
    inherit_cache = True


def greatest(a: ColumnElement[int] | int, b: ColumnElement[int] | int) -> ColumnElement[int]:
    """The larger of two integers (never NULL): ``GREATEST(a, b)``, SQLite's ``max(a, b)``."""
    return _Greatest(a, b)


def least(a: ColumnElement[int] | int, b: ColumnElement[int] | int) -> ColumnElement[int]:
    """The smaller of two integers (never NULL): ``LEAST(a, b)``, SQLite's ``min(a, b)``."""
    return _Least(a, b)


@compiles(_Greatest)
@compiles(_Least)
def _standard_extreme(element: FunctionElement[int], compiler: SQLCompiler, **kw: Any) -> str:
    return f"{element.name.upper()}({compiler.process(element.clauses, **kw)})"


@compiles(_Greatest, "sqlite")
@compiles(_Least, "sqlite")
def _sqlite_extreme(element: FunctionElement[int], compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's max()/min() with two or more arguments are scalar (one argument: aggregate).
    scalar = "max" if isinstance(element, _Greatest) else "min"
    return f"{scalar}({compiler.process(element.clauses, **kw)})"


# The analytics' range read: events overlapping [lo, hi) (UTC, wide enough for any offset),
# clipped to it, keeping only those whose *local* span (by their own offset) overlaps the days
# [llo, lhi). Hand-written, run on the driver's cursor: the measured hot path of every
# uncached day (tests/benchmarks/query.py, raw_cold). SQLite spells GREATEST/LEAST max/min;
# PostgreSQL multiplies the INTEGER offset as BIGINT (seconds * 10^6 overflows 32 bits).
_RANGE_SQL = {
    "sqlite": (
        "SELECT max(start_us, :lo), min(end_us, :hi), tz_offset_s, data FROM events "
        "WHERE bucket_id = :b AND start_us < :hi "
        "AND start_us >= :lo - (SELECT max_duration_us FROM buckets WHERE id = :b) "
        "AND end_us > :lo AND (tz_offset_s IS NULL OR "
        "(start_us + tz_offset_s * 1000000 < :lhi AND end_us + tz_offset_s * 1000000 > :llo)) "
        "ORDER BY start_us"
    ),
    "postgresql": (
        "SELECT GREATEST(start_us, %(lo)s), LEAST(end_us, %(hi)s), tz_offset_s, data "
        "FROM events WHERE bucket_id = %(b)s AND start_us < %(hi)s "
        "AND start_us >= %(lo)s - (SELECT max_duration_us FROM buckets WHERE id = %(b)s) "
        "AND end_us > %(lo)s AND (tz_offset_s IS NULL OR "
        "(start_us + tz_offset_s * 1000000::bigint < %(lhi)s "
        "AND end_us + tz_offset_s * 1000000::bigint > %(llo)s)) "
        "ORDER BY start_us"
    ),
}


def analytics_range_sql(conn: Connection) -> str:
    """The analytics' range read for this connection's driver (parameters ``lo``, ``hi``,
    ``llo``, ``lhi``, ``b`` by name), to run on its DB-API cursor."""
    found = _RANGE_SQL.get(conn.dialect.name)
    if found is None:
        raise NotImplementedError(f"No analytics range read for {conn.dialect.name}.")
    return found


def builds_event_json(conn: Connection) -> bool:
    """Whether ``event_json_array`` runs on this connection's engine (SQLite); elsewhere
    the caller encodes the rows in Python (``core.reader.events_json_encoded``)."""
    return conn.dialect.name == "sqlite"


def constant(value: Any) -> ColumnElement[Any]:
    """``value`` written into the SQL, not bound (``Prepared`` compiles it in once; SQLite
    reads a constant in an expression faster than a bound parameter, row after row)."""
    return literal(value, literal_execute=True)


def _cat(*parts: ColumnElement[Any] | str) -> ColumnElement[str]:
    """``a || b || …`` (SQLite's ``||`` binds tighter than any arithmetic in ``parts``)."""
    out: ColumnElement[Any] = constant(parts[0]) if isinstance(parts[0], str) else parts[0]
    for part in parts[1:]:
        out = out.op("||", precedence=100)(constant(part) if isinstance(part, str) else part)
    return out


def event_json_array(rows: Subquery) -> Select[Any]:
    """SQLite only (``builds_event_json``): the JSON array text of ``rows`` (columns ``id``,
    ``s`` the start in UTC microseconds, within what ISO 8601 text can hold, ``d`` the
    duration in microseconds, ``data`` JSON text), one object per row in their order, built
    by SQLite: no Python object per event, and ``data`` spliced in as it is stored.

    Timestamps as ``timeutil.format_iso`` writes them (UTC, microseconds, "+00:00"; seconds
    floored, also before 1970); durations as exact decimals with trailing zeros dropped (the
    same numbers as ``d / 1e6``). The aggregate keeps the order of ``rows`` (SQLite drops a
    subquery's ORDER BY only under an outer ORDER BY or a join; tests check the order).
    """
    us = constant(1_000_000)
    split = select(
        rows.c.id, rows.c.s, (((rows.c.s % us) + us) % us).label("f"), rows.c.d, rows.c.data
    ).subquery("split")
    c = split.c
    padded = func.printf(constant("%06d"), c.d % us)
    fraction = func.coalesce(
        func.nullif(func.rtrim(padded, constant("0")), constant("")), constant("0")
    )
    one = _cat(
        '{"id":',
        c.id,
        ',"timestamp":"',
        func.strftime(constant("%Y-%m-%dT%H:%M:%S"), (c.s - c.f) // us, constant("unixepoch")),
        func.printf(constant(".%06d+00:00"), c.f),
        '","duration":',
        c.d // us,  # SQLite's integer division
        ".",
        fraction,
        ',"data":',
        c.data,
        "}",
    )
    listed = func.coalesce(func.group_concat(one, constant(",")), constant(""))
    return select(_cat("[", listed, "]")).select_from(split)


class Prepared:
    """A Core statement compiled once per kind of engine and run with the driver's own
    parameter binding: for the measured hot paths (range reads, the value dictionary).

    Executing a Core statement, SQLAlchemy does Python work every time: it looks its
    compiled form up by the statement's cache key and processes every bound parameter, and
    renders an expanding ``IN`` list's values into the SQL. On the small reads the API and
    the views make most, that made the Core statements measurably slower than the
    hand-written SQL they replace (tests/benchmarks/sql_paths.py, 100k events, CPU medians
    of three runs, "core" vs "old"): the API's newest 100 events as JSON 1.38x, the value
    dictionary's lookups of 100 to 2,000 ids 1.3x to 2.3x, a day's 2,000 values assigned ids
    1.36x. Prepared, the same statements run as fast as the hand-written SQL ("new": 0.83x
    to 1.04x). The statement is still built with Core on the ORM's tables; it is compiled once
    per kind of engine (and per number of values, see below), and run with
    ``Connection.exec_driver_sql`` (in SQLAlchemy's transaction, as the hand-written SQL
    was) or on the driver's own cursor (``driver_cursor``: outside it, as the value
    dictionary's reads were).

    ``statement`` is a statement, or a function making one from a list of bound parameters
    that ``rows`` fills with its ``values`` (an ``IN`` list, the rows of a multi-row
    insert), ``most`` at a time. With ``pad`` (``IN`` lists) the list is made a power of two
    long by repeating its last value, which changes nothing; without (inserts), the values
    go in statements of power-of-two lengths (500: 256 + 128 + 64 + 32 + 16 + 4). Either way
    at most ~10 forms are compiled. ``execute_many`` runs a statement once per row of
    parameters (the driver's executemany). Constants (``constant``) are written into the SQL;
    parameters, and the values of other literals, go to the driver as they are: integers and
    text only.
    """

    def __init__(
        self,
        statement: ClauseElement | Callable[[list[BindParameter[Any]]], ClauseElement],
        *,
        most: int = 512,
        pad: bool = True,
    ) -> None:
        self._statement = statement
        self._most = most
        self._pad = pad
        self._compiled: dict[tuple[str, str, str, int], _Compiled] = {}

    @property
    def statement(self) -> ClauseElement:
        """The statement (with one value, for a statement of values)."""
        if isinstance(self._statement, ClauseElement):
            return self._statement
        return self._statement([bindparam("in_0")])

    def _compile(self, dialect: Dialect, size: int) -> _Compiled:
        key = (dialect.name, dialect.driver, dialect.paramstyle, size)
        found = self._compiled.get(key)
        if found is not None:
            return found
        names = tuple(f"in_{n}" for n in range(size))
        if isinstance(self._statement, ClauseElement):
            statement = self._statement
        else:
            statement = self._statement([bindparam(name) for name in names])
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        sql = str(compiled)
        # Constants (literal(..., literal_execute=True)) are written into the SQL.
        inline = set()
        for bind in compiled.literal_execute_params:
            name = compiled.bind_names[bind]
            text = compiled.render_literal_value(bind.effective_value, bind.type)
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", text)
            inline.add(name)
        if "__[POSTCOMPILE" in sql or compiled.escaped_bind_names:
            raise ValueError("Prepared takes plain bound parameters and constants only")
        fixed = {
            n: b.effective_value
            for n, b in compiled.binds.items()
            if not b.required and n not in inline
        }
        index = {name: n for n, name in enumerate(names)}
        slots: list[tuple[int, Any]] = []
        order = (compiled.positiontup or ()) if compiled.positional else ()
        for name in order:
            if name in inline:
                continue
            if name in index:
                last = slots[-1] if slots else None
                if last is not None and last[0] == _VALUES and last[1][1] == index[name]:
                    slots[-1] = (_VALUES, (last[1][0], index[name] + 1))  # one run of values
                else:
                    slots.append((_VALUES, (index[name], index[name] + 1)))
            elif name in fixed:
                slots.append((_FIXED, fixed[name]))
            else:
                slots.append((_PARAM, name))
        found = _Compiled(sql, compiled.positional, names, fixed, slots)
        self._compiled[key] = found
        return found

    def sql(self, conn: Connection, params: Mapping[str, Any] | None = None) -> tuple[str, Any]:
        """The SQL this runs on ``conn`` and the driver's parameters for ``params`` (a
        statement without a list of values)."""
        compiled = self._compile(conn.dialect, 0)
        return compiled.sql, compiled.args((), params or {})

    def rows(
        self,
        conn: Connection,
        params: Mapping[str, Any] | None = None,
        *,
        values: Sequence[Any] = (),
        driver_cursor: bool = False,
    ) -> list[Any]:
        """The rows, as the driver's tuples; ``params`` are the bound parameters by name,
        ``values`` fill the statement's list of values (see the class)."""
        named = params or {}
        if isinstance(self._statement, ClauseElement):
            return self._run(conn, self._compile(conn.dialect, 0), (), named, driver_cursor)
        out: list[Any] = []
        for at in range(0, len(values), self._most):
            chunk = list(values[at : at + self._most])
            if self._pad:
                size = 1 << (len(chunk) - 1).bit_length()
                chunk += chunk[-1:] * (size - len(chunk))
                parts = [chunk]
            else:
                parts = []
                while chunk:
                    size = 1 << (len(chunk).bit_length() - 1)
                    parts.append(chunk[:size])
                    chunk = chunk[size:]
            for part in parts:
                compiled = self._compile(conn.dialect, len(part))
                out.extend(self._run(conn, compiled, part, named, driver_cursor))
        return out

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once for each row of parameters (the driver's executemany,
        in SQLAlchemy's transaction)."""
        if not rows:
            return
        compiled = self._compile(conn.dialect, 0)
        slots = compiled.slots
        args: list[Any]
        if compiled.positional and len(slots) > 1 and all(k == _PARAM for k, _i in slots):
            get = itemgetter(*(item for _kind, item in slots))  # tuples, made in C
            args = [get(row) for row in rows]
        else:
            args = [compiled.args((), row) for row in rows]
        conn.exec_driver_sql(compiled.sql, args)

    @staticmethod
    def _run(
        conn: Connection,
        compiled: _Compiled,
        values: Sequence[Any],
        params: Mapping[str, Any],
        driver_cursor: bool,
    ) -> list[Any]:
        args = compiled.args(values, params)
        if driver_cursor:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(compiled.sql, args)
                return cast(list[Any], cursor.fetchall())
            finally:
                cursor.close()
        result = conn.exec_driver_sql(compiled.sql, args)
        try:
            return cast(list[Any], result.cursor.fetchall()) if result.returns_rows else []
        finally:
            result.close()


class _Compiled:
    """A statement compiled for one kind of engine, and how its parameters are given."""

    def __init__(
        self,
        sql: str,
        positional: bool,
        names: tuple[str, ...],
        fixed: dict[str, Any],
        slots: list[tuple[int, Any]],
    ) -> None:
        self.sql = sql
        self.positional = positional
        self.names = names  # of the statement's list of values
        self.fixed = fixed  # the values of the statement's literals, by name
        # Positional drivers, each parameter in order: (_PARAM, its name), (_FIXED, its
        # value) or (_VALUES, (first, end)): a run of the list's values.
        self.slots = slots
        # Without values: every parameter's value or name, to fill in by position.
        self._template = [item if kind == _FIXED else None for kind, item in slots]
        self._params = [(at, item) for at, (kind, item) in enumerate(slots) if kind == _PARAM]
        self._plain = all(kind != _VALUES for kind, _item in slots)

    def args(self, values: Sequence[Any], params: Mapping[str, Any]) -> Any:
        """The driver's parameters: a tuple (positional) or a dict (named)."""
        if not self.positional:
            named = dict(self.fixed)
            named.update(zip(self.names, values, strict=True))
            named.update(params)
            return named
        if self._plain:
            args = self._template.copy()
            for at, name in self._params:
                args[at] = params[name]
            return tuple(args)
        out: list[Any] = []
        for kind, item in self.slots:
            if kind == _PARAM:
                out.append(params[item])
            elif kind == _FIXED:
                out.append(item)
            else:
                out.extend(values[item[0] : item[1]])
        return tuple(out)


_PARAM, _FIXED, _VALUES = range(3)


def first_new_id(conn: Connection, table: Table) -> int | None:
    """The id ``table`` (an AUTOINCREMENT table: ids never given twice) gives its next row,
    so that many rows can be inserted at once with their ids known; None on engines whose
    sequences give the ids (PostgreSQL: insert with RETURNING there).

    SQLite: above every id the table ever held, which ``sqlite_sequence`` remembers (the
    rows inserted with explicit ids move it on as AUTOINCREMENT's own would).
    """
    if conn.dialect.name != "sqlite":
        return None
    query = _LAST_IDS.get(table.name)
    if query is None:
        (key,) = table.primary_key.columns
        sequence = sql_table("sqlite_sequence", sql_column("name"), sql_column("seq"))
        ever = select(sequence.c.seq).where(sequence.c.name == table.name).scalar_subquery()
        top = greatest(
            func.coalesce(select(func.max(key)).scalar_subquery(), 0), func.coalesce(ever, 0)
        )
        query = _LAST_IDS[table.name] = select(top)
    return int(conn.execute(query).scalar_one()) + 1


_LAST_IDS: dict[str, Select[Any]] = {}  # first_new_id's statements, by table
