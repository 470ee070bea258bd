"""The user's categories as stored in the ``categories`` table (defaults when it is empty).

The table keeps one row per node (name, parent, position, color, score, rule JSON); paths are
rebuilt from ``parent_id``. ``categories_version`` fingerprints a category list so caches of
categorized results can tell when any rule, color or score changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection

from core.categories.formats import load_default_categories, to_aw_classes
from core.categories.model import Category, Rule
from core.errors import ValidationError


def load_stored_categories(conn: Connection, user_id: int) -> list[Category]:
    """The stored categories in tree order, or the defaults when none are stored."""
    rows = conn.exec_driver_sql(
        "SELECT id, parent_id, name, position, color, score, rule FROM categories "
        "WHERE user_id = ? ORDER BY position, id",
        (user_id,),
    ).all()
    if not rows:
        return load_default_categories()
    by_id = {int(r[0]): r for r in rows}

    def path(row: Any) -> list[str]:
        names = [str(row[2])]
        seen = {int(row[0])}
        parent = row[1]
        while parent is not None and int(parent) in by_id and int(parent) not in seen:
            seen.add(int(parent))
            names.insert(0, str(by_id[int(parent)][2]))
            parent = by_id[int(parent)][1]
        return names

    out: list[Category] = []
    for row in rows:
        try:
            rule = Rule.from_dict(json.loads(row[6] or "{}") or {"type": "none"})
        except (ValueError, TypeError, ValidationError):
            rule = Rule()
        out.append(Category(path(row), rule, row[4], row[5], id=int(row[0])))
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
    conn.exec_driver_sql("DELETE FROM categories WHERE user_id = ?", (user_id,))
    by_path = {c.path: c for c in items}
    ordered: list[tuple[str, ...]] = []
    for category in items:
        for depth in range(1, len(category.path) + 1):
            if category.path[:depth] not in ordered:
                ordered.append(category.path[:depth])
    ids: dict[tuple[str, ...], int] = {}
    for position, path in enumerate(ordered):
        category = by_path.get(path) or Category(list(path))
        result = conn.exec_driver_sql(
            "INSERT INTO categories (user_id, parent_id, name, position, color, score, rule) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                ids.get(path[:-1]) if len(path) > 1 else None,
                path[-1],
                position,
                category.color,
                category.score,
                json.dumps(category.rule.to_dict()),
            ),
        )
        ids[path] = int(result.lastrowid or 0)
