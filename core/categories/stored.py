"""The user's categories as stored in the ``categories`` table (defaults when it is empty).

The table keeps one row per node (name, parent, position, color, score, rule JSON); paths are
rebuilt from ``parent_id``. ``categories_version`` fingerprints a category list so caches of
categorized results can tell when any rule, color or score changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import cast

import orjson
from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from timelygator.core import models
from timelygator.core.categories.formats import load_default_categories, to_aw_classes
from timelygator.core.categories.model import Category, Rule
from timelygator.core.errors import ValidationError
from timelygator.core.sql_dialect import lock_rows_of, row_ids

CATEGORIES = cast(Table, models.Category.__table__)
_C = CATEGORIES.c
_LOAD = (
    select(_C.id, _C.parent_id, _C.name, _C.position, _C.color, _C.score, _C.rule)
    .where(_C.user_id == bindparam("user_id"))
    .order_by(_C.position, _C.id)
)
_DELETE = delete(CATEGORIES).where(_C.user_id == bindparam("user_id"))
# Rows come back as (position, id): positions are unique within a tree.
_INSERT = insert(CATEGORIES).returning(_C.position, _C.id)
_SET_PARENT = (
    update(CATEGORIES).where(_C.id == bindparam("row")).values(parent_id=bindparam("parent"))
)


def load_stored_categories(conn: Connection, user_id: int) -> list[Category]:
    """The stored categories in tree order, or the defaults when none are stored."""
    rows = conn.execute(_LOAD, {"user_id": user_id}).all()
    if not rows:
        return load_default_categories()
    paths = row_paths({int(r[0]): (None if r[1] is None else int(r[1]), str(r[2])) for r in rows})
    out: list[Category] = []
    for row in rows:
        try:
            rule = Rule.from_dict(json.loads(row[6] or "{}") or {"type": "none"})
        except (ValueError, TypeError, ValidationError):
            rule = Rule()
        out.append(Category(list(paths[int(row[0])]), rule, row[4], row[5], id=int(row[0])))
    return out


def row_paths(rows: Mapping[int, tuple[int | None, str]]) -> dict[int, tuple[str, ...]]:
    """Each row's name path from ``{id: (parent_id, name)}`` (a parent cycle ends the walk)."""
    out: dict[int, tuple[str, ...]] = {}
    for row_id, (parent, name) in rows.items():
        names = [name]
        seen = {row_id}
        while parent is not None and parent in rows and parent not in seen:
            seen.add(parent)
            parent, upper = rows[parent]
            names.insert(0, upper)
        out[row_id] = tuple(names)
    return out


def categories_version(categories: Iterable[Category]) -> str:
    """A short fingerprint of names, rules, colors and scores."""
    raw = orjson.dumps(to_aw_classes(categories), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def replace_stored_categories(
    conn: Connection, user_id: int, categories: Iterable[Category]
) -> None:
    """Replace the stored tree (run on the writer: ``writer.call``); parents get rows too."""
    items = list(categories)
    lock_rows_of(conn, CATEGORIES)  # another process replacing it waits (a server)
    conn.execute(_DELETE, {"user_id": user_id})
    by_path = {c.path: c for c in items}
    ordered: list[tuple[str, ...]] = []
    for category in items:
        for depth in range(1, len(category.path) + 1):
            if category.path[:depth] not in ordered:
                ordered.append(category.path[:depth])
    if not ordered:
        return
    rows = []
    for position, path in enumerate(ordered):
        category = by_path.get(path) or Category(list(path))
        rows.append(
            {
                "user_id": user_id,
                "parent_id": None,
                "name": path[-1],
                "position": position,
                "color": category.color,
                "score": category.score,
                "rule": json.dumps(category.rule.to_dict()),
            }
        )
    given = row_ids(conn, CATEGORIES, len(rows))  # the same ids on every engine
    if given is not None:
        for row, row_id in zip(rows, given, strict=True):
            row["id"] = row_id
    # Every row in one statement (in tree order, so the ids follow it as before), then the
    # parents in another: one statement per row took twice as long as the hand-written
    # inserts did (tests/benchmarks/small_stores.py).
    ids = {int(position): int(row_id) for position, row_id in conn.execute(_INSERT, rows)}
    position_of = {path: position for position, path in enumerate(ordered)}
    parents = [
        {"row": ids[position], "parent": ids[position_of[path[:-1]]]}
        for position, path in enumerate(ordered)
        if len(path) > 1
    ]
    if parents:
        conn.execute(_SET_PARENT, parents)
