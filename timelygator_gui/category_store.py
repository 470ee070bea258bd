"""The user's categories: read from the database, written through the writer.

Stored one row per category in the ``categories`` table (name path as JSON in ``rule`` data is
avoided: the path is rebuilt from ``parent_id``). When the table is empty the defaults are
used: ``resources/categories/default.json`` when present, else a built-in set.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from core.categories.model import Category, Rule
from core.writer import Writer
from timelygator_gui.resources import resource_path

log = logging.getLogger(__name__)


def _cat(name: str, regex: str, color: str | None = None, score: float | None = None) -> Category:
    rule = Rule.regex_rule(regex, ignore_case=True) if regex else Rule()
    return Category(name.split(" > "), rule, color, score)


BUILTIN: tuple[Category, ...] = (
    _cat("Work", "", "#2f7ed8", 1),
    _cat(
        "Work > Programming",
        r"code|vim|emacs|pycharm|idea|terminal|konsole|github|gitlab",
        "#1f5fbf",
        2,
    ),
    _cat(
        "Work > Documents",
        r"docs\.google|libreoffice|writer|word|notion|confluence|\.pdf",
        "#4a90e2",
        1,
    ),
    _cat("Work > Meetings", r"zoom|meet\.google|teams|webex|jitsi", "#7bafd4", 1),
    _cat("Communication", r"", "#8e6bbf", 0),
    _cat("Communication > Email", r"thunderbird|outlook|mail|gmail", "#9b7fd1", 0),
    _cat("Communication > Chat", r"slack|discord|telegram|signal|element|whatsapp", "#b39ddb", 0),
    _cat("Learning", r"wikipedia|stackoverflow|arxiv|coursera|udemy|docs\.python", "#2ca58d", 1),
    _cat("Media", r"", "#e4572e", -1),
    _cat("Media > Video", r"youtube|netflix|vlc|mpv|twitch|prime video", "#e4572e", -2),
    _cat("Media > Music", r"spotify|rhythmbox|deezer|soundcloud", "#f28c6b", -1),
    _cat(
        "Social", r"twitter|x\.com|reddit|facebook|instagram|mastodon|linkedin|news", "#f3a712", -2
    ),
)


def default_categories() -> list[Category]:
    """The defaults: the shipped JSON file when present, else the built-in set."""
    try:
        from core.categories.formats import load_default_categories

        return load_default_categories()
    except Exception as exc:  # a missing or damaged file must not stop the app
        log.warning("Using built-in categories: %s", exc)
    path = resource_path("categories", "default.json")
    if path is not None:
        try:
            return parse_categories(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable default categories %s: %s", path, exc)
    return [Category(list(c.name), c.rule, c.color, c.score) for c in BUILTIN]


def parse_categories(raw: Any) -> list[Category]:
    """ActivityWatch ``classes`` form (``[{name, rule, data: {color, score}}]``) or ours."""
    if isinstance(raw, dict) and "format" in raw:
        from core.categories.formats import from_document

        return from_document(raw)
    if isinstance(raw, dict):
        raw = raw.get("categories", raw.get("classes", []))
    if not isinstance(raw, list):
        raise ValueError("expected a list of categories")
    out: list[Category] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), list):
            continue
        raw_data = item.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        color = item.get("color", data.get("color"))
        score = item.get("score", data.get("score"))
        rule = Rule.from_dict(item.get("rule") or {"type": "none"})
        out.append(
            Category(
                [str(n) for n in item["name"]],
                rule,
                color if isinstance(color, str) else None,
                float(score) if isinstance(score, int | float) else None,
            )
        )
    return out


def categories_to_json(categories: Iterable[Category]) -> list[dict[str, Any]]:
    """ActivityWatch's ``classes`` form (also our export format)."""
    out: list[dict[str, Any]] = []
    for c in categories:
        data: dict[str, Any] = {}
        if c.color is not None:
            data["color"] = c.color
        if c.score is not None:
            data["score"] = c.score
        out.append({"name": list(c.name), "rule": c.rule.to_dict(), "data": data})
    return out


def load_categories(conn: Connection, user_id: int) -> list[Category]:
    """The stored categories in tree order (the defaults when none are stored)."""
    rows = conn.exec_driver_sql(
        "SELECT id, parent_id, name, position, color, score, rule FROM categories "
        "WHERE user_id = ? ORDER BY position, id",
        (user_id,),
    ).all()
    if not rows:
        return default_categories()
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

    out = []
    for row in rows:
        try:
            rule = Rule.from_dict(json.loads(row[6] or "{}") or {"type": "none"})
        except (ValueError, TypeError):
            rule = Rule()
        out.append(Category(path(row), rule, row[4], row[5], id=int(row[0])))
    return out


def replace_categories(conn: Connection, user_id: int, categories: Sequence[Category]) -> None:
    """Replace the stored tree (writer thread). Implicit parents get rows of their own."""
    conn.exec_driver_sql("DELETE FROM categories WHERE user_id = ?", (user_id,))
    ids: dict[tuple[str, ...], int] = {}
    by_path = {c.path: c for c in categories}
    ordered: list[tuple[str, ...]] = []
    for c in categories:
        for depth in range(1, len(c.path) + 1):
            if c.path[:depth] not in ordered:
                ordered.append(c.path[:depth])
    for position, path in enumerate(ordered):
        c = by_path.get(path) or Category(list(path))
        result = conn.exec_driver_sql(
            "INSERT INTO categories (user_id, parent_id, name, position, color, score, rule) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                ids.get(path[:-1]) if len(path) > 1 else None,
                path[-1],
                position,
                c.color,
                c.score,
                json.dumps(c.rule.to_dict()),
            ),
        )
        ids[path] = int(result.lastrowid or 0)


def save_categories(writer: Writer, user_id: int, categories: Sequence[Category]) -> Future[None]:
    """Store the categories through the writer."""
    snapshot = [Category(list(c.name), c.rule, c.color, c.score) for c in categories]
    return writer.call(lambda conn: replace_categories(conn, user_id, snapshot))
