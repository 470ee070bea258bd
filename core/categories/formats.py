"""Category import/export: ActivityWatch's ``classes`` setting and TimelyGator's own document.

ActivityWatch form: ``[{"id", "name": [path], "rule": {...}, "data": {"color", "score"}}]``
(parents implicit); it round-trips exactly, unknown keys included. Our form is a versioned
document whose levels are readable names::

    {"format": "timelygator-categories", "version": 1,
     "categories": [{"name": [...], "rule": {...}, "color": "#...", "productivity": "productive"}]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from timelygator.core.categories.model import Category, Productivity, Rule
from timelygator.core.errors import ValidationError
from timelygator.core.resources import resource_path

FORMAT = "timelygator-categories"
VERSION = 1
_LEVELS = {level.name.lower(): level for level in Productivity}


def _name(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) and n for n in raw):
        raise ValidationError(f"{where}: 'name' must be a non-empty list of non-empty strings.")
    return list(raw)


def _score(raw: Any, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValidationError(f"{where}: the score must be a number.")
    return raw


def _color(raw: Any, where: str) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise ValidationError(f"{where}: the color must be a string like '#1E88E5'.")
    return raw


# -- ActivityWatch ---------------------------------------------------------------------------
def from_aw_classes(classes: Sequence[Any]) -> list[Category]:
    """Categories from ActivityWatch's ``classes`` setting."""
    if not isinstance(classes, list):
        raise ValidationError("ActivityWatch categories must be a list of objects.")
    out: list[Category] = []
    for index, entry in enumerate(classes):
        where = f"Category {index + 1}"
        if not isinstance(entry, Mapping):
            raise ValidationError(f"{where} must be an object.")
        data = entry.get("data")
        if data is not None and not isinstance(data, Mapping):
            raise ValidationError(f"{where}: 'data' must be an object.")
        raw_id = entry.get("id")
        out.append(
            Category(
                name=_name(entry.get("name"), where),
                rule=Rule.from_dict(entry.get("rule", {"type": "none"})),
                color=_color(data.get("color") if data else None, where),
                score=_score(data.get("score") if data else None, where),
                id=raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None,
                data_extra=(
                    None
                    if data is None
                    else {k: v for k, v in data.items() if k not in ("color", "score")}
                ),
                extra={k: v for k, v in entry.items() if k not in ("id", "name", "rule", "data")},
            )
        )
    return out


def to_aw_classes(categories: Iterable[Category]) -> list[dict[str, Any]]:
    """Categories as ActivityWatch's ``classes`` setting (ids assigned where missing)."""
    out: list[dict[str, Any]] = []
    for index, category in enumerate(categories):
        entry: dict[str, Any] = {
            "id": category.id if category.id is not None else index,
            "name": list(category.name),
            "rule": category.rule.to_dict(),
        }
        data: dict[str, Any] = {}
        if category.color is not None:
            data["color"] = category.color
        if category.score is not None:
            data["score"] = category.score
        data.update(category.data_extra or {})
        if data or category.data_extra is not None:
            entry["data"] = data
        entry.update(category.extra)
        out.append(entry)
    return out


# -- TimelyGator document ----------------------------------------------------------------------
def to_document(categories: Iterable[Category]) -> dict[str, Any]:
    """Our versioned JSON document."""
    items: list[dict[str, Any]] = []
    for category in categories:
        item: dict[str, Any] = {"name": list(category.name), "rule": category.rule.to_dict()}
        if category.color is not None:
            item["color"] = category.color
        score = category.score
        if score is not None:
            if float(score).is_integer() and -2 <= score <= 2:
                item["productivity"] = Productivity(int(score)).name.lower()
            else:
                item["score"] = score
        items.append(item)
    return {"format": FORMAT, "version": VERSION, "categories": items}


def from_document(document: Mapping[str, Any]) -> list[Category]:
    """Categories from our document; refuses other formats and newer versions."""
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise ValidationError(f"Not a TimelyGator categories file (expected format {FORMAT!r}).")
    version = document.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ValidationError(
            f"Categories file version {version!r} is newer than this TimelyGator understands "
            f"({VERSION}); update TimelyGator to read it."
        )
    items = document.get("categories")
    if not isinstance(items, list):
        raise ValidationError("The categories file has no 'categories' list.")
    out: list[Category] = []
    for index, item in enumerate(items):
        where = f"Category {index + 1}"
        if not isinstance(item, Mapping):
            raise ValidationError(f"{where} must be an object.")
        score = _score(item.get("score"), where)
        level = item.get("productivity")
        if level is not None:
            if level not in _LEVELS:
                raise ValidationError(
                    f"{where}: unknown productivity {level!r}; use one of {', '.join(_LEVELS)}."
                )
            score = int(_LEVELS[level])
        out.append(
            Category(
                name=_name(item.get("name"), where),
                rule=Rule.from_dict(item.get("rule", {"type": "none"})),
                color=_color(item.get("color"), where),
                score=score,
            )
        )
    return out


def load_categories_file(path: Path) -> list[Category]:
    """Read a categories file in either form (our document or ActivityWatch's list)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"Cannot read categories from {path}: {exc}.") from None
    if isinstance(raw, list):
        return from_aw_classes(raw)
    return from_document(raw)


def load_default_categories() -> list[Category]:
    """The categories a new user starts with (``resources/categories/default.json``)."""
    path = resource_path("categories", "default.json")
    if path is None:
        raise FileNotFoundError(
            "TimelyGator's default categories (resources/categories/default.json) are missing: "
            "reinstall TimelyGator."
        )
    return load_categories_file(path)
