"""One colour per category everywhere: a category "Work" without a colour of its own is drawn
in the same colour by the timeline's category lane, the Activity and Trends views, the
categories editor, ``timelygator report`` (JSON and HTML) and ``/api/0/summary``; a colour
the user chose wins everywhere, and uncategorized time is the same grey everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from timelygator.core import tokens
from timelygator.core.api import ApiConfig, create_app
from timelygator.core.categories.colors import (
    PALETTE,
    UNCATEGORIZED_COLOR,
    category_color,
    stable_color,
)
from timelygator.core.categories.model import Category, CategoryTree, Rule
from timelygator.core.categories.stored import replace_stored_categories
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services
from timelygator.core.timeutil import to_us
from timelygator.gui.main_window import MainWindow
from timelygator.gui.settings.categories_page import PATH_ROLE, CategoriesPage
from timelygator.gui.tasks import TaskRunner

from tests.gui.app_helpers import open_window

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
PASS = "colour test passphrase"
DAY = date(2025, 3, 4)
MEDIA = "#123456"
CATEGORIES = [
    Category(["Work"], Rule(type="regex", regex="code")),
    Category(["Work", "Mail"], Rule(type="regex", regex="thunderbird")),
    Category(["Media"], Rule(type="regex", regex="vlc"), color=MEDIA),
]
WORK = stable_color("Work")


def _us(hour: float) -> int:
    return to_us(datetime.combine(DAY, datetime.min.time()).astimezone()) + round(hour * 3.6e9)


@pytest.fixture
def work_day(dirs: AppDirs) -> Iterator[Services]:
    """09-10 code (Work), 10-11 thunderbird (Work > Mail), 11-12 vlc (Media), 12-13 a game."""
    services = Services.open(dirs, PASS, max_delay=0.05)
    try:
        user = services.user_id
        services.writer.call(lambda conn: replace_stored_categories(conn, user, CATEGORIES)).result(
            10
        )
        window = services.ensure_bucket(
            "aw-watcher-window_desk", type="currentwindow", client="t", hostname="desk"
        )
        afk = services.ensure_bucket(
            "aw-watcher-afk_desk", type="afkstatus", client="t", hostname="desk"
        )
        apps = ("code", "thunderbird", "vlc", "game")
        events = [
            Event(_us(9 + i), _us(10 + i), {"app": a, "title": a}) for i, a in enumerate(apps)
        ]
        services.writer.insert_events(window, events).result(10)
        services.writer.insert_events(afk, [Event(_us(9), _us(13), {"status": "not-afk"})]).result(
            10
        )
        yield services
    finally:
        services.close()


def _timeline_colors(window: MainWindow) -> dict[tuple[str, ...], str]:
    lane = window.timeline.lanes[0]
    assert lane.title == "Categories" and lane.paths is not None
    return {path: lane.palette[int(lane.colors[i])] for i, path in enumerate(lane.paths)}


def _report_json(dirs: AppDirs, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", "report", "--data-dir", str(dirs.data),
         "--day", DAY.isoformat(), "--day-start", "00:00", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def _summary_colors(services: Services) -> tuple[dict[str, Any], dict[str, Any]]:
    secret = tokens.create(services.writer, services.user_id, "read", "colours").result().secret
    app = create_app(services, ApiConfig(hostname="desk"))
    with TestClient(
        app, base_url="http://127.0.0.1:5600", headers={"Authorization": f"Bearer {secret}"}
    ) as client:
        params = {"day": DAY.isoformat(), "day_start": "00:00"}
        summary = client.get("/api/0/summary", params=params)
        assert summary.status_code == 200, summary.text
        trend = client.get(
            "/api/0/summary/trend",
            params={"first": DAY.isoformat(), "last": DAY.isoformat(), "day_start": "00:00"},
        )
        assert trend.status_code == 200, trend.text
        categories = client.get("/api/0/categories")
        assert categories.status_code == 200, categories.text
        return summary.json(), {"trend": trend.json(), "categories": categories.json()}


def _by_path(nodes: list[dict[str, Any]]) -> dict[tuple[str, ...], str]:
    found: dict[tuple[str, ...], str] = {}
    for node in nodes:
        found[tuple(node["path"])] = node["color"]
        found.update(_by_path(node["children"]))
    return found


def test_work_is_one_colour_in_the_app_the_report_and_the_api(
    qtbot: QtBot, work_day: Services, runner: TaskRunner, dirs: AppDirs
) -> None:
    expected = {
        ("Work",): WORK,
        ("Work", "Mail"): WORK,  # inherits the top category's colour
        ("Media",): MEDIA,  # the user's own colour wins
        ("Uncategorized",): UNCATEGORIZED_COLOR,
    }
    window = open_window(qtbot, work_day, DAY, runner)

    # The timeline's category lane.
    assert _timeline_colors(window) == expected
    # Activity: the categories list, the top-category breakdown and the heatmap rows.
    assert {bar.key: bar.color for bar in window.activity.categories.bars} == expected
    breakdown = {bar.key: bar.color for bar in window.activity.breakdown.bars}
    assert breakdown == {k: v for k, v in expected.items() if len(k) == 1}
    assert {name: color for name, color, _ in window.activity.heatmap.rows} == {
        k[0]: v for k, v in expected.items() if len(k) == 1
    }
    # Trends: each top category's stacked bars.
    with qtbot.waitSignal(window.sig_trends_loaded, timeout=30_000):
        window.tabs.setCurrentWidget(window.trends)
    drawn = [item.opts["brush"].color().name() for item in window.trends.bar_items]
    assert window.trends.totals is not None
    assert dict(zip(window.trends.totals.categories, drawn, strict=True)) == {
        k[0]: v for k, v in expected.items() if len(k) == 1
    }

    # The report, as a user runs it beside the open app: JSON and HTML.
    result = _report_json(dirs, "--format", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert _by_path(report["categories"]) == expected
    html = _report_json(dirs, "--format", "html")
    assert html.returncode == 0, html.stderr[-2000:]
    assert f'fill="{WORK}"' in html.stdout and f'fill="{MEDIA}"' in html.stdout

    # The API: /api/0/summary (the same document), its trend, and the categories' colours.
    summary, more = _summary_colors(work_day)
    assert _by_path(summary["categories"]) == expected
    assert {c["name"]: c["color"] for c in more["trend"]["categories"]} == {
        "Work": WORK,
        "Media": MEDIA,
        "Uncategorized": UNCATEGORIZED_COLOR,
    }
    resolved = {tuple(c["name"]): c["resolved"]["color"] for c in more["categories"]["categories"]}
    assert resolved == {k: v for k, v in expected.items() if k != ("Uncategorized",)}


def test_the_categories_editor_shows_the_colour_each_category_is_drawn_in(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    page = CategoriesPage(CATEGORIES, None, runner)
    qtbot.addWidget(page)
    shown = {}
    items = [page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount())]
    while items:
        item = items.pop()
        assert item is not None
        items.extend(item.child(i) for i in range(item.childCount()))
        shown[item.data(0, PATH_ROLE)] = item.data(0, Qt.ItemDataRole.DecorationRole).name()
    assert shown == {("Work",): WORK, ("Work", "Mail"): WORK, ("Media",): MEDIA}


def test_one_palette_and_one_rule() -> None:
    tree = CategoryTree(CATEGORIES)
    assert category_color(("Work",), tree) == WORK in PALETTE
    assert category_color(("Work", "Mail"), tree) == WORK
    assert category_color(("Media", "Films"), tree) == MEDIA
    assert category_color(("Uncategorized",)) == UNCATEGORIZED_COLOR
    assert category_color(("Games",)) == stable_color("Games")
    assert stable_color("Work") == stable_color("Work")  # the same in every process
    assert stable_color("Work") == "#76b7b2"  # blake2b: not the process's str hash
