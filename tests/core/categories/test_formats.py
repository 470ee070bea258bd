"""Import/export: ActivityWatch's classes setting (exact round trip) and our document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from timelygator.core.categories import (
    Category,
    Rule,
    from_aw_classes,
    from_document,
    load_categories_file,
    to_aw_classes,
    to_document,
)
from timelygator.core.errors import ValidationError

AW_CLASSES: list[dict[str, Any]] = [
    {
        "id": 0,
        "name": ["Work"],
        "rule": {"type": "regex", "regex": "Google Docs|libreoffice|ReText"},
        "data": {"color": "#0F0", "score": 10},
    },
    {
        "id": 1,
        "name": ["Work", "Programming"],
        "rule": {
            "type": "regex",
            "regex": "GitHub|Stack Overflow",
            "ignore_case": True,
            "select_keys": ["title", "$domain"],
        },
    },
    {"id": 2, "name": ["Media", "Games"], "rule": {"type": "regex", "regex": "Minecraft"}},
    {
        "id": 3,
        "name": ["Media"],
        "rule": {"type": "none"},
        "data": {"color": "#F00", "score": -1.5},
    },
    {
        "id": 4,
        "name": ["Other"],
        "rule": {"type": "regex", "regex": "x", "priority": 5, "future": "kept"},
        "data": {"icon": "star"},
        "extra_top": [1, 2],
    },
    {"id": 5, "name": ["Empty data"], "rule": {"type": "none"}, "data": {}},
]


def test_aw_classes_round_trip_exactly() -> None:
    categories = from_aw_classes(AW_CLASSES)
    exported = to_aw_classes(categories)
    assert exported == AW_CLASSES
    assert json.dumps(exported) == json.dumps(AW_CLASSES)  # key order too


def test_aw_import_reads_fields() -> None:
    work, programming, _, media, other, _ = from_aw_classes(AW_CLASSES)
    assert (work.color, work.score, work.rule.ignore_case) == ("#0F0", 10, None)
    assert programming.rule.select_keys == ["title", "$domain"]
    assert programming.color is None and programming.data_extra is None
    assert media.score == -1.5 and not media.rule.active
    assert other.rule.priority == 5 and other.extra == {"extra_top": [1, 2]}


def test_aw_export_assigns_missing_ids() -> None:
    exported = to_aw_classes([Category(["A"], Rule.regex_rule("a"), color="#123")])
    assert exported == [
        {
            "id": 0,
            "name": ["A"],
            "rule": {"type": "regex", "regex": "a", "ignore_case": False},
            "data": {"color": "#123"},
        }
    ]


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ({"name": ["A"]}, "must be a list"),
        ([{"name": []}], "'name' must be a non-empty list"),
        ([{"name": ["A"], "rule": {"type": "bogus"}}], "Unknown rule type"),
        ([{"name": ["A"], "data": {"score": "high"}}], "score must be a number"),
        ([{"name": ["A"], "data": {"color": 3}}], "color must be a string"),
    ],
)
def test_aw_import_errors(classes: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        from_aw_classes(classes)


def test_document_round_trip() -> None:
    categories = [
        Category(["Work"], Rule.regex_rule("code", ignore_case=True), color="#0F0", score=2),
        Category(["Work", "Odd"], Rule.regex_rule("x"), score=0.5),
        Category(["Media"]),
    ]
    document = to_document(categories)
    assert document["format"] == "timelygator-categories"
    assert document["version"] == 1
    assert document["categories"][0]["productivity"] == "very_productive"
    assert document["categories"][1]["score"] == 0.5
    again = from_document(json.loads(json.dumps(document)))
    assert [(c.name, c.rule, c.color, c.score) for c in again] == [
        (c.name, c.rule, c.color, c.score) for c in categories
    ]


def test_document_errors() -> None:
    with pytest.raises(ValidationError, match="Not a TimelyGator categories file"):
        from_document({"categories": []})
    with pytest.raises(ValidationError, match="newer than this TimelyGator"):
        from_document({"format": "timelygator-categories", "version": 99, "categories": []})
    with pytest.raises(ValidationError, match="unknown productivity 'meh'"):
        from_document(
            {
                "format": "timelygator-categories",
                "version": 1,
                "categories": [{"name": ["A"], "productivity": "meh"}],
            }
        )


def test_load_file_in_either_form(tmp_path: Path) -> None:
    aw_file = tmp_path / "aw.json"
    aw_file.write_text(json.dumps(AW_CLASSES), encoding="utf-8")
    assert len(load_categories_file(aw_file)) == len(AW_CLASSES)
    ours = tmp_path / "ours.json"
    ours.write_text(json.dumps(to_document(from_aw_classes(AW_CLASSES))), encoding="utf-8")
    assert [c.name for c in load_categories_file(ours)][:2] == [["Work"], ["Work", "Programming"]]
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValidationError, match="Cannot read categories"):
        load_categories_file(broken)
