"""One category at a time: create, change, move or delete a row of the stored tree.

The settings dialog and ``PUT /api/0/categories`` replace the whole tree; other tools (the
API's ``/api/0/categories/items``) edit single categories and refer to them by their row id,
so these edits keep every other row (and its id) as it is. They run on the writer
(``writer.call``); the caller validates the category itself (names, regex, color, score)
first, and these functions check what only the stored tree can tell: that the id exists, that
a path is free, that a category does not move under itself.

Paths are built from ``parent_id``, so renaming or moving a category takes its subcategories
along; a missing parent level is created as a plain category without a rule. When nothing is
stored yet (the user still has the defaults), the defaults are stored first so that the
categories the user sees are the ones edited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from timelygator.core.categories.model import Category, Rule
from timelygator.core.categories.stored import (
    CATEGORIES,
    load_stored_categories,
    replace_stored_categories,
    row_paths,
)
from timelygator.core.errors import ConflictError, NotFoundError, ValidationError
from timelygator.core.sql_dialect import row_ids

KEEP = object()  # "leave this field as it is" in ``update_category``


Rows = dict[int, tuple[int | None, str]]  # id -> (parent id, name)

_C = CATEGORIES.c
_ROWS = select(_C.id, _C.parent_id, _C.name).where(_C.user_id == bindparam("user_id"))
_COUNT = select(func.count()).select_from(CATEGORIES).where(_C.user_id == bindparam("user_id"))
_TOP = select(func.max(_C.position)).where(_C.user_id == bindparam("user_id"))
_INSERT = insert(CATEGORIES)


def _rows(conn: Connection, user_id: int) -> Rows:
    found = conn.execute(_ROWS, {"user_id": user_id}).all()
    return {int(r[0]): (None if r[1] is None else int(r[1]), str(r[2])) for r in found}


def _paths(rows: Rows) -> dict[tuple[str, ...], int]:
    """Path -> row id."""
    return {path: row_id for row_id, path in row_paths(rows).items()}


def _ensure_stored(conn: Connection, user_id: int) -> None:
    """Store the defaults when the user has no stored tree yet (edits start from them)."""
    empty = conn.execute(_COUNT, {"user_id": user_id}).scalar_one()
    if empty == 0:
        replace_stored_categories(conn, user_id, load_stored_categories(conn, user_id))


def _next_position(conn: Connection, user_id: int) -> int:
    top = conn.execute(_TOP, {"user_id": user_id}).scalar_one()
    return 0 if top is None else int(top) + 1


def _parent_for(conn: Connection, user_id: int, path: tuple[str, ...]) -> int | None:
    """The row id of ``path``'s parent level, creating missing levels as plain categories."""
    parent: int | None = None
    paths = _paths(_rows(conn, user_id))
    for depth in range(1, len(path)):
        level = path[:depth]
        if level not in paths:
            paths[level] = _insert(conn, user_id, parent, level[-1], Rule(), None, None)
        parent = paths[level]
    return parent


def _insert(
    conn: Connection,
    user_id: int,
    parent: int | None,
    name: str,
    rule: Rule,
    color: str | None,
    score: float | None,
) -> int:
    row: dict[str, object] = {
        "user_id": user_id,
        "parent_id": parent,
        "name": name,
        "position": _next_position(conn, user_id),
        "color": color,
        "score": score,
        "rule": json.dumps(rule.to_dict()),
    }
    given = row_ids(conn, CATEGORIES, 1)  # the same ids on every engine
    if given is not None:
        row["id"] = given[0]
    result = conn.execute(_INSERT, row)
    key = result.inserted_primary_key
    assert key is not None  # a single-row insert
    return int(key[0])


def get_category(conn: Connection, user_id: int, category_id: int) -> Category:
    """The stored category with this id (NotFoundError when there is none for this user)."""
    for category in load_stored_categories(conn, user_id):
        if category.id == category_id:
            return category
    raise NotFoundError(f"There is no category with id {category_id}.")


def create_category(conn: Connection, user_id: int, category: Category) -> Category:
    """Store a new category (after the existing ones); ConflictError if its path is taken."""
    _ensure_stored(conn, user_id)
    path = category.path
    if path in _paths(_rows(conn, user_id)):
        raise ConflictError(f"There is already a category {' > '.join(path)!r}.")
    parent = _parent_for(conn, user_id, path)
    new_id = _insert(conn, user_id, parent, path[-1], category.rule, category.color, category.score)
    return get_category(conn, user_id, new_id)


def update_category(
    conn: Connection,
    user_id: int,
    category_id: int,
    *,
    name: Sequence[str] | object = KEEP,
    rule: Rule | object = KEEP,
    color: str | object | None = KEEP,
    score: float | object | None = KEEP,
) -> Category:
    """Change the given fields of one category; a new ``name`` path renames or moves it."""
    rows = _rows(conn, user_id)
    if category_id not in rows:
        raise NotFoundError(f"There is no category with id {category_id}.")
    assignments: dict[str, object] = {}
    if name is not KEEP:
        assert isinstance(name, Sequence)
        new_path = tuple(name)
        old_path = next(p for p, i in _paths(rows).items() if i == category_id)
        if new_path != old_path:
            if new_path[: len(old_path)] == old_path:
                raise ValidationError("A category cannot move under itself.")
            if new_path in _paths(rows):
                raise ConflictError(f"There is already a category {' > '.join(new_path)!r}.")
            assignments["parent_id"] = _parent_for(conn, user_id, new_path)
            assignments["name"] = new_path[-1]
    if rule is not KEEP:
        assert isinstance(rule, Rule)
        assignments["rule"] = json.dumps(rule.to_dict())
    if color is not KEEP:
        assignments["color"] = color
    if score is not KEEP:
        assignments["score"] = score
    if assignments:
        conn.execute(
            update(CATEGORIES)
            .where(_C.id == category_id, _C.user_id == user_id)
            .values({_C[column]: value for column, value in assignments.items()})
        )
    return get_category(conn, user_id, category_id)


def delete_category(conn: Connection, user_id: int, category_id: int) -> int:
    """Delete a category and its subcategories; how many categories went.

    The last categories cannot all go: an empty tree means "the defaults" to TimelyGator, so
    deleting everything would bring them back instead.
    """
    rows = _rows(conn, user_id)
    if category_id not in rows:
        raise NotFoundError(f"There is no category with id {category_id}.")
    doomed = {category_id}
    grew = True
    while grew:
        more = {i for i, (parent, _name) in rows.items() if parent in doomed} - doomed
        doomed |= more
        grew = bool(more)
    if len(doomed) == len(rows):
        raise ConflictError(
            "This would delete every category, which brings back the default ones; "
            "replace the whole tree instead (PUT /api/0/categories)."
        )
    conn.execute(delete(CATEGORIES).where(_C.user_id == user_id, _C.id.in_(sorted(doomed))))
    return len(doomed)
