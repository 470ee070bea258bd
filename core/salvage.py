"""``timelygator db salvage``: copy every row that can still be read into a new database.

For a damaged database without a usable backup. With the folder lock held: the damaged file
(and its WAL) is first copied byte for byte into the backup folder
(``timelygator-damaged-<stamp>.db``); a new database is created beside it with the same key
and the current schema; each table is copied in rowid order, and where a damaged page stops
the reading, the next readable row is searched for and the skipped rowid range is reported;
the new file is checked, fsynced and swapped in, the damaged one kept as
``timelygator.db.before-salvage-<stamp>``. The analytics caches are not copied (they are
rebuilt from the events).

Page-level salvage is about the SQLite file (it walks each table's b-tree by ``rowid``): it
runs only on a SQLite store; the SQLite-only parts are ``core.sql_dialect``'s
(``row_position``, ``insert_or_ignore``, ``foreign_keys``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Integer, Table, bindparam, column, inspect, select
from sqlalchemy import table as table_clause
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from timelygator.core import files, sql_dialect, steps
from timelygator.core.errors import (
    DatabaseCorruptError,
    KeyMissingError,
    StorageError,
    WrongKeyError,
)
from timelygator.core.keys import DataKey, KeyStore
from timelygator.core.locks import SWAPPER_BUSY, SwapLock
from timelygator.core.maintenance import holding_folder
from timelygator.core.models import ApiToken, Bucket, Category, Event, Setting, User
from timelygator.core.paths import AppDirs
from timelygator.core.recovery import (
    SALVAGE_SUFFIX,
    finish_key_op,
    has_contents,
    missing_database_error,
    sibling,
    stamp,
    swap_in,
)
from timelygator.core.schema import ensure_schema
from timelygator.core.store import CURRENT_LAYOUT, Store, key_fits_file

log = logging.getLogger(__name__)

# Copied in this order (parents before children); the analytics caches are rebuilt instead.
TABLES: tuple[Table, ...] = tuple(
    cast(Table, model.__table__) for model in (User, Bucket, Event, ApiToken, Category, Setting)
)
_BATCH = 2000
_MAX_ROWID = 2**62


@dataclass
class SalvageResult:
    backup: Path
    kept: Path | None
    copied: dict[str, int] = field(default_factory=dict)
    lost: dict[str, list[str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not any(self.lost.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "backup": str(self.backup),
            "kept": None if self.kept is None else str(self.kept),
            "copied": self.copied,
            "unreadable": self.lost,
            "complete": self.complete,
        }


def _source_store(dirs: AppDirs, keys: list[DataKey]) -> Store:
    for key in keys:
        store = Store(dirs.database, key, pool_size=1, access="read")
        try:
            store.check_open()
        except WrongKeyError:
            store.engine.dispose()
            continue
        return store
    if any(key_fits_file(dirs.database, key) for key in keys):
        raise DatabaseCorruptError(
            f"{dirs.database} is damaged in its first page, which lists every table: nothing "
            "can be read from it. Restore a backup ('timelygator restore FILE')."
        )
    raise WrongKeyError(
        f"{dirs.database} does not open with this folder's key; nothing can be salvaged."
    )


# The statements are built with Core (names from ``core.models``, the SQLite spellings from
# ``core.sql_dialect``) and run on DB-API connections. Through SQLAlchemy's execution (a Row
# per row read, parameters processed per row written), salvaging 100,000 events took 1.4x
# the CPU time (1.37 s against 0.97 s; wall 1.9 s against 1.5 s): measured with
# ``python tests/benchmarks/maintenance.py --old ad8dde3`` (that version, branch
# issue-16e). The copied columns are untyped: values go from file to file exactly as the
# damaged one holds them.
@dataclass(frozen=True)
class _DriverStatement:
    """A Core statement compiled once for the DB-API connection of ``conn``'s dialect."""

    sql: str
    order: tuple[str, ...]
    compiled: SQLCompiler

    @classmethod
    def of(
        cls, conn: Connection, statement: ClauseElement, keys: list[str] | None = None
    ) -> _DriverStatement:
        compiled = cast(SQLCompiler, statement.compile(dialect=conn.dialect, column_keys=keys))
        return cls(str(compiled), tuple(compiled.positiontup or ()), compiled)

    def params(self, **values: Any) -> tuple[Any, ...]:
        bound = self.compiled.construct_params(values)
        return tuple(bound[name] for name in self.order)


def _read(store: Store, query: _DriverStatement, **values: Any) -> list[tuple[Any, ...]] | None:
    """Rows of one query on a connection of its own; None when a damaged page stops it."""
    try:
        with store.fresh_connection() as raw:
            return [tuple(r) for r in raw.execute(query.sql, query.params(**values)).fetchall()]
    except Exception:  # a damaged page: SQLITE_CORRUPT, a MAC failure, "not a database"
        return None


def _source_columns(store: Store, table: Table) -> set[str] | None:
    """The columns ``table`` has in the damaged file (None: its definition cannot be read)."""
    try:
        with store.connect_fresh() as conn:
            return {str(c["name"]) for c in inspect(conn).get_columns(table.name)}
    except Exception:  # damaged, or no such table (an older schema)
        return None


def _next_readable(store: Store, first_after: _DriverStatement, after: int) -> int | None:
    """The first rowid after ``after`` that can be reached again (None: none to the end).

    Seeks to ever farther rowids (doubling the distance) until the b-tree can be walked
    past the damaged page; the rows in between cannot be read.
    """
    step = 1
    while after + step < _MAX_ROWID:
        rows = _read(store, first_after, after=after + step)
        if rows is not None:
            return int(rows[0][0]) if rows else None
        step *= 2
    return None


def _copy_table(source: Store, target: Connection, table: Table) -> tuple[int, list[str]]:
    present = _source_columns(source, table)
    if not present:
        return 0, ["the whole table (its definition cannot be read)"]
    wanted = [c.name for c in table.columns if c.name in present]
    plain = table_clause(table.name, *(column(name) for name in wanted))
    rowid = sql_dialect.row_position(target)  # both files are SQLite files
    after = bindparam("after", type_=Integer)
    rows_after = _DriverStatement.of(
        target,
        select(rowid, *plain.c)
        .where(rowid > after)
        .order_by(rowid)
        .limit(bindparam("limit", type_=Integer)),
    )
    first_after = _DriverStatement.of(
        target, select(rowid).select_from(plain).where(rowid > after).order_by(rowid).limit(1)
    )
    insert = _DriverStatement.of(target, sql_dialect.insert_or_ignore(target, plain), wanted)
    assert list(insert.order) == wanted
    target_raw = target.connection.driver_connection
    assert target_raw is not None
    copied = 0
    lost: list[str] = []
    last = -_MAX_ROWID
    batch = _BATCH
    while True:
        rows = _read(source, rows_after, after=last, limit=batch)
        if rows is None:
            if batch > 1:
                batch = 1  # go row by row up to the damaged place
                continue
            resumed = _next_readable(source, first_after, last)
            start = "the first row" if last == -_MAX_ROWID else f"rowid {last + 1}"
            if resumed is None:
                lost.append(f"{start} to the end")
                break
            lost.append(f"{start} to rowid {resumed - 1}")
            last = resumed - 1
            continue
        if not rows:
            break
        target_raw.executemany(insert.sql, [row[1:] for row in rows])
        copied += len(rows)
        last = int(rows[-1][0])
        batch = _BATCH
    return copied, lost


def salvage_database(dirs: AppDirs, passphrase: str | None) -> SalvageResult:
    """Copy every readable row into a new database and swap it in (see the module)."""
    with holding_folder(dirs, "Quit it first, then run 'timelygator db salvage' again."):
        keystore = KeyStore(dirs)
        finish_key_op(keystore, passphrase)
        if keystore.mode() is None:
            raise KeyMissingError(f"There is no key for {dirs.data}: nothing can be salvaged.")
        if not has_contents(dirs.database):
            raise missing_database_error(dirs)
        keys = keystore.load(passphrase)
        swap = SwapLock(dirs)
        with swap.hold(exclusive=True, busy=SWAPPER_BUSY):
            source = _source_store(dirs, keys)
            key = source.key
            assert key is not None
            files.private_dir(dirs.backups)
            backup = dirs.backups / f"timelygator-damaged-{stamp()}.db"
            files.copy_private(dirs.database, backup)
            wal = Path(f"{dirs.database}-wal")
            if has_contents(wal):
                files.copy_private(wal, Path(f"{backup}-wal"))
            steps.step("salvage", "backed-up")
            work = sibling(dirs, SALVAGE_SUFFIX)
            files.remove(work, *files.sidecars(work))
            target = Store(work, key, pool_size=1, layout=CURRENT_LAYOUT, wal=False)
            result = SalvageResult(backup=backup, kept=None)
            try:
                ensure_schema(target)
                with target.connect_fresh() as conn:
                    sql_dialect.foreign_keys(conn, enforced=False)
                    with conn.begin():
                        for table in TABLES:
                            copied, lost = _copy_table(source, conn, table)
                            result.copied[table.name] = copied
                            if lost:
                                result.lost[table.name] = lost
                problems = target.integrity_check()
                if problems:
                    raise StorageError(
                        f"The salvaged copy failed its check ({problems[0]}); nothing was changed.",
                        details=problems,
                    )
            except BaseException:
                target.engine.dispose()
                source.engine.dispose()
                files.remove(work, *files.sidecars(work))
                raise
            target.engine.dispose()
            source.engine.dispose()
            files.fsync_file(work)
            steps.step("salvage", "written")
            result.kept = swap_in(dirs, work, "salvage")
            steps.step("salvage", "done")
        return result
