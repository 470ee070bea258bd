"""Categories page import/export: our document, ActivityWatch's list, and older exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from timelygator.core.categories.formats import load_default_categories
from timelygator.gui.settings.categories_page import CategoriesPage
from timelygator.gui.tasks import TaskRunner


@pytest.fixture
def page(qtbot) -> CategoriesPage:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    widget = CategoriesPage(load_default_categories(), None, runner)
    qtbot.addWidget(widget)
    return widget


def _shape(page: CategoriesPage) -> list[tuple[tuple[str, ...], str | None, float | None]]:
    return [(c.path, c.color, c.score) for c in page.categories()]


@pytest.mark.parametrize("activitywatch", [False, True])
def test_export_then_import_round_trip(
    page: CategoriesPage, tmp_path: Path, activitywatch: bool
) -> None:
    before = _shape(page)
    path = tmp_path / "categories.json"
    page.export_to(path, activitywatch=activitywatch)
    raw = json.loads(path.read_text(encoding="utf-8"))
    if activitywatch:
        assert isinstance(raw, list) and raw[0]["name"] == list(before[0][0])
    else:
        assert raw["format"] and raw["version"] == 1
    page.set_categories([])
    assert page.categories() == []
    page.import_from(path)
    assert _shape(page) == before


def test_import_older_export_and_bad_file(page: CategoriesPage, tmp_path: Path) -> None:
    legacy = tmp_path / "old.json"
    legacy.write_text(json.dumps({"categories": [
        {"name": ["Deep work"], "rule": {"type": "regex", "regex": "vim"},
         "data": {"color": "#123456", "score": 2}},
    ]}), encoding="utf-8")  # fmt: skip
    page.import_from(legacy)
    assert _shape(page) == [(("Deep work",), "#123456", 2.0)]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    page.import_from(bad)
    assert page.preview.text().startswith("Could not import bad.json")
    assert _shape(page) == [(("Deep work",), "#123456", 2.0)]
