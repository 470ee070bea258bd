"""Import ActivityWatch's own databases: aw-server-rust's ``sqlite.db``, aw-server's
``peewee-sqlite.v2.db``.

``find_activitywatch_databases`` looks where ActivityWatch keeps them on this OS (its data
folder ``activitywatch``, found through ``platformdirs`` as ActivityWatch finds it through
``appdirs``). ``import_activitywatch`` reads one of them — never the file itself: it is copied
(with its write-ahead log) into a private temporary folder first, and the copy is read —
turns it into an export document, and imports that in one transaction with the usual rules
(validated first, events already stored skipped: importing twice changes nothing). The
categories come from ActivityWatch's ``classes`` setting (aw-server-rust keeps settings in its
``key_value`` table) and replace TimelyGator's only while those are still the defaults.

Both schemas, as ActivityWatch writes them:

* aw-server-rust: ``buckets(id, name, type, client, hostname, created, data)`` (``created``
  RFC 3339 text, ``data`` JSON), ``events(id, bucketrow, starttime, endtime, data)`` with
  times in integer nanoseconds since the epoch, ``key_value(key, value, last_modified)``.
* aw-server (peewee): ``bucketmodel(key, id, created, name, type, client, hostname)``,
  ``eventmodel(id, bucket_id, timestamp, duration, datastr)`` with ``timestamp`` as
  ``str(datetime)`` (``YYYY-MM-DD HH:MM:SS[.ffffff]+00:00``) and ``duration`` in seconds.

Those files are read with the standard library's ``sqlite3`` and plain SQL: another program's
schema (not ``core.models``'), in a SQLite file whatever engine TimelyGator's own data is in.
Statements on TimelyGator's own tables are SQLAlchemy Core on ``core.models``.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import platformdirs
from sqlalchemy import Table, bindparam, func, select
from timelygator.core import files
from timelygator.core.errors import ValidationError
from timelygator.core.importer import BucketImport
from timelygator.core.models import Category
from timelygator.core.services import Services
from timelygator.core.timeutil import format_iso, parse_iso

AW_APP = "activitywatch"
RUST_DB = ("aw-server-rust", "sqlite.db")
PEEWEE_DB = ("aw-server", "peewee-sqlite.v2.db")

_CATEGORIES = cast(Table, Category.__table__)
# How many categories of their own a user has stored (ActivityWatch's replace only none).
_OWN_CATEGORIES = (
    select(func.count()).select_from(_CATEGORIES).where(_CATEGORIES.c.user_id == bindparam("user"))
)


@dataclass(frozen=True, slots=True)
class AwDatabase:
    path: Path
    kind: str  # "aw-server-rust" | "aw-server"


@dataclass(frozen=True, slots=True)
class AwImport:
    buckets: list[BucketImport]
    categories: int | None  # how many categories were imported (None: none taken)
    categories_note: str


def activitywatch_data_dir() -> Path:
    """ActivityWatch's data folder on this OS (as its ``aw_core.dirs`` finds it)."""
    return Path(platformdirs.user_data_dir(AW_APP))


def find_activitywatch_databases(root: Path | None = None) -> list[AwDatabase]:
    """ActivityWatch databases in its default data folder (or ``root``), newest first."""
    base = root if root is not None else activitywatch_data_dir()
    found = []
    for (folder, name), kind in ((RUST_DB, "aw-server-rust"), (PEEWEE_DB, "aw-server")):
        path = base / folder / name
        if path.is_file() and path.stat().st_size > 0:
            found.append(AwDatabase(path, kind))
    return sorted(found, key=lambda d: d.path.stat().st_mtime, reverse=True)


@contextmanager
def _private_copy(path: Path) -> Iterator[Path]:
    """A copy of the database (and its WAL) in a private temporary folder, deleted after."""
    with tempfile.TemporaryDirectory(prefix="tg-aw-import-") as tmp:
        os.chmod(tmp, files.PRIVATE_DIR)
        copy = Path(tmp) / path.name
        files.copy_private(path, copy)
        wal = Path(f"{path}-wal")
        if wal.is_file():
            files.copy_private(wal, Path(f"{copy}-wal"))
        yield copy


# The readers below run plain SQL on ActivityWatch's file: its schema, not ours (see the module).
def _kind(conn: sqlite3.Connection, path: Path) -> str:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if {"buckets", "events"} <= tables:
        return "aw-server-rust"
    if {"bucketmodel", "eventmodel"} <= tables:
        return "aw-server"
    raise ValidationError(
        f"{path.name} is not an ActivityWatch database (it has no buckets or events table)."
    )


def _iso_from_ns(ns: int) -> str:
    """Nanoseconds -> naive UTC ISO text: ActivityWatch keeps no UTC offset, so the events
    get none (TimelyGator then counts them in the system zone, as for other such events)."""
    seconds, rest = divmod(int(ns), 1_000_000_000)
    return format_iso(seconds * 1_000_000 + rest // 1000)[:-6]


def _naive_utc(text: str) -> str:
    """peewee's ``str(datetime)`` (UTC, with its offset) -> naive UTC ISO text."""
    start_us, _offset = parse_iso(str(text))
    return format_iso(start_us)[:-6]


def _bucket(
    name: str, type_: str, client: str, hostname: str, created: Any, data: dict[str, Any]
) -> dict[str, Any]:
    """A bucket in the export form (``created`` as stored: RFC 3339 with a space or a T)."""
    return {
        "id": name,
        "type": type_,
        "client": client,
        "hostname": hostname,
        "created": str(created).replace(" ", "T", 1) if created else None,
        "data": data,
    }


def _read_rust(conn: sqlite3.Connection) -> tuple[dict[str, Any], Any]:
    columns = {r[1] for r in conn.execute("PRAGMA table_info(buckets)")}
    data_column = "data" if "data" in columns else "'{}'"
    buckets: dict[str, Any] = {}
    rows = conn.execute(
        f"SELECT id, name, type, client, hostname, created, {data_column} FROM buckets"  # noqa: S608
    ).fetchall()
    for key, name, type_, client, hostname, created, data in rows:
        events = [
            {
                "timestamp": _iso_from_ns(start),
                "duration": max(0, end - start) / 1e9,
                "data": json.loads(payload),
            }
            for start, end, payload in conn.execute(
                "SELECT starttime, endtime, data FROM events WHERE bucketrow = ? ORDER BY id",
                (key,),
            )
        ]
        buckets[name] = _bucket(name, type_, client, hostname, created, json.loads(data or "{}"))
        buckets[name]["events"] = events
    classes = None
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "key_value" in tables:
        row = conn.execute("SELECT value FROM key_value WHERE key = 'settings.classes'").fetchone()
        if row is not None and row[0]:
            classes = json.loads(row[0])
    return buckets, classes


def _read_peewee(conn: sqlite3.Connection) -> dict[str, Any]:
    buckets: dict[str, Any] = {}
    rows = conn.execute(
        "SELECT key, id, created, type, client, hostname FROM bucketmodel"
    ).fetchall()
    for key, name, created, type_, client, hostname in rows:
        events = [
            {
                "timestamp": _naive_utc(timestamp),
                "duration": float(duration),
                "data": json.loads(payload),
            }
            for timestamp, duration, payload in conn.execute(
                "SELECT timestamp, duration, datastr FROM eventmodel WHERE bucket_id = ? "
                "ORDER BY id",
                (key,),
            )
        ]
        buckets[name] = _bucket(name, type_, client, hostname, created, {})
        buckets[name]["events"] = events
    return buckets


def _peewee_classes(path: Path) -> Any:
    """aw-server (Python) keeps settings in a JSON file in its config folder."""
    candidates = [
        path.parent / "settings.json",
        Path(platformdirs.user_config_dir(AW_APP)) / "aw-server" / "settings.json",
    ]
    for candidate in candidates:
        try:
            settings = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(settings, Mapping) and "classes" in settings:
            return settings["classes"]
    return None


def read_activitywatch(path: Path) -> tuple[dict[str, Any], Any, str]:
    """(export document, the ``classes`` setting or None, kind) read from a copy of ``path``."""
    if not path.is_file():
        raise ValidationError(f"There is no file at {path}.")
    with _private_copy(path) as copy:
        try:
            conn = sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            raise ValidationError(f"{path} is not an ActivityWatch database.") from None
        with closing(conn):
            try:
                kind = _kind(conn, path)
                if kind == "aw-server-rust":
                    buckets, classes = _read_rust(conn)
                else:
                    buckets, classes = _read_peewee(conn), _peewee_classes(path)
            except ValidationError:
                raise
            except sqlite3.DatabaseError as exc:
                raise ValidationError(
                    f"{path} cannot be read as an ActivityWatch database ({exc})."
                ) from None
            except (ValueError, TypeError) as exc:
                raise ValidationError(
                    f"{path} holds data that is not valid JSON ({type(exc).__name__})."
                ) from None
    return {"buckets": buckets}, classes, kind


def import_activitywatch(
    services: Services, path: Path, *, hostname: str | None = None
) -> AwImport:
    """Import an ActivityWatch database (see the module): one transaction, idempotent."""
    from timelygator.core.categories.formats import from_aw_classes
    from timelygator.core.categories.stored import load_stored_categories, replace_stored_categories
    from timelygator.core.transfer_format import parse_import
    from timelygator.core.wire_format import DataLimits

    doc, classes, _kind_name = read_activitywatch(path)
    buckets = parse_import(doc, DataLimits(), hostname or socket.gethostname())
    categories = None
    note = "ActivityWatch has no categories (classes) setting."
    also = None
    if classes:
        try:
            categories = from_aw_classes(classes)
        except ValidationError as exc:
            note = f"ActivityWatch's categories were not imported: {exc}"
            categories = None
        if categories is not None:
            with services.read() as conn:
                own = conn.execute(_OWN_CATEGORIES, {"user": services.user_id}).scalar_one()
                stored = load_stored_categories(conn, services.user_id) if own else []
            if own and _same_tree(stored, categories):
                note = "ActivityWatch's categories are in place already."
                categories = None
            elif own:
                note = (
                    "ActivityWatch's categories were not imported: you have your own "
                    "(import them in Settings → Categories if you want them instead)."
                )
                categories = None
            else:
                user, chosen = services.user_id, categories
                note = f"{len(chosen)} categories imported from ActivityWatch."

                def also(conn: Any) -> None:
                    replace_stored_categories(conn, user, chosen)

    done = services.writer.import_buckets(services.user_id, list(buckets), also).result(600)
    result = [
        BucketImport(d.name, d.created, d.imported, d.present + d.repeated, d.repeated)
        for d in done
    ]
    return AwImport(result, None if categories is None else len(categories), note)


def _same_tree(a: list[Any], b: list[Any]) -> bool:
    """The same categories (names, rules, colours, scores), whatever their ids."""

    def key(items: list[Any]) -> list[Any]:
        return [
            (tuple(c.path), c.color, None if c.score is None else float(c.score),
             json.dumps(c.rule.to_dict(), sort_keys=True))
            for c in items
        ]  # fmt: skip

    return key(a) == key(b)


def is_sqlite_file(path: Path) -> bool:
    """True when ``path`` starts with SQLite's header (an ActivityWatch database, say)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False
