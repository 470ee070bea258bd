"""``timelygator report`` as a user runs it, on a small dataset with hand-computed figures."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from timelygator.core.categories.model import Category, Rule
from timelygator.core.categories.stored import replace_stored_categories
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

PASS = "report test passphrase"
M = 60_000_000
H = 60 * M
MON = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp()) * 1_000_000
TUE = MON + 24 * H
CATEGORIES = [
    Category(["Work"], Rule(), "#00f", 1),
    Category(["Work", "Programming"], Rule.regex_rule("code|github", ignore_case=True), None, 2),
    Category(["Media"], Rule.regex_rule("youtube|vlc", ignore_case=True), "#f00", -2),
]


def ev(base: int, h0: float, h1: float, **data: object) -> Event:
    return Event(base + round(h0 * H), base + round(h1 * H), dict(data), None, 0)


@pytest.fixture
def data_dir(dirs: AppDirs) -> Path:
    with Services.open(dirs, PASS) as s:
        window = s.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
        afk = s.ensure_bucket("a", type="afkstatus", client="t", hostname="h")
        web = s.ensure_bucket(
            "aw-watcher-web-firefox_h", type="web.tab.current", client="t", hostname="h"
        )
        s.writer.insert_events(
            window,
            [
                ev(MON, 9, 10, app="code", title="main.py"),
                ev(MON, 10, 10.5, app="firefox", title="GitHub - Mozilla Firefox"),
                ev(MON, 10.5, 11, app="vlc", title="film"),
                ev(TUE, 14, 15, app="code", title="tests.py"),
            ],
        ).result()
        s.writer.insert_events(
            afk,
            [
                ev(MON, 9, 10 + 40 / 60, status="not-afk"),
                ev(MON, 10 + 40 / 60, 11, status="afk"),
                ev(TUE, 14, 15, status="not-afk"),
            ],
        ).result()
        s.writer.insert_events(
            web,
            [
                ev(MON, 10, 10 + 20 / 60, url="https://github.com/x", title="GitHub"),
                ev(MON, 10 + 20 / 60, 10.5, url="https://www.youtube.com/watch", title="Video"),
            ],
        ).result()
        s.writer.call(lambda c: replace_stored_categories(c, s.user_id, CATEGORIES)).result()
    return dirs.data


def report(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", "report", "--data-dir", str(data_dir),
         "--day-start", "00:00", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS},
        timeout=60,
        check=False,
    )  # fmt: skip


def test_day_as_json(data_dir: Path) -> None:
    result = report(data_dir, "--day", "2024-03-04", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["range"] == {
        "first": "2024-03-04",
        "last": "2024-03-04",
        "days": 1,
        "day_start": "00:00",
    }
    totals = doc["totals"]
    assert totals["active_seconds"] == 6000  # 100 min present
    assert totals["afk_seconds"] == 1200
    assert totals["productivity"] == 80.0
    assert totals["focus_sessions"] == 1 and totals["focus_seconds"] == 4800
    assert totals["context_switches"] == 2
    assert totals["untracked_seconds"] == 22 * 3600
    work, media = doc["categories"]
    assert (work["name"], work["seconds"], work["percent"]) == ("Work", 4800, 80.0)
    assert [(c["name"], c["seconds"]) for c in work["children"]] == [("Programming", 4800)]
    assert (media["name"], media["seconds"], media["color"]) == ("Media", 1200, "#f00")
    assert [(a["name"], a["seconds"]) for a in doc["apps"]["items"]] == [
        ("code", 3600), ("firefox", 1800), ("vlc", 600)
    ]  # fmt: skip
    assert [(d["name"], d["seconds"]) for d in doc["domains"]["items"]] == [
        ("github.com", 1200), ("youtube.com", 600)
    ]  # fmt: skip
    assert doc["hourly"]["Work"][9] == 3600 and doc["hourly"]["Work"][10] == 1200


def test_week_as_text_csv_and_from_to(data_dir: Path) -> None:
    text = report(data_dir, "--week", "2024-03-06")
    assert text.returncode == 0, text.stderr
    assert "TimelyGator report: 2024-03-04 \u2013 2024-03-10" in text.stdout
    assert "  Active              2h 40m" in text.stdout
    lines = text.stdout.splitlines()
    assert next(line for line in lines if line.startswith("2024-03-05")).split() == [
        "2024-03-05", "1h", "00m"
    ]  # fmt: skip
    header = lines.index("Category            Time   Share")
    table = lines[header : header + 7]
    assert [line.split() for line in table[2:5]] == [
        ["Work", "2h", "20m", "87.5%"],
        ["Programming", "2h", "20m", "87.5%"],
        ["Media", "20m", "00s", "12.5%"],
    ]
    assert table[6].split() == ["Total", "2h", "40m"]

    result = report(data_dir, "--from", "2024-03-04", "--to", "2024-03-05", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by = {(r["section"], r["name"]): r for r in rows}
    assert float(by[("total", "active_seconds")]["seconds"]) == 9600
    assert float(by[("category", "Work > Programming")]["seconds"]) == 8400
    assert float(by[("category", "Work > Programming")]["hours"]) == pytest.approx(
        8400 / 3600, abs=1e-4
    )
    assert float(by[("day", "2024-03-05")]["seconds"]) == 3600
    assert float(by[("app", "code")]["seconds"]) == 7200
    assert float(by[("hour", "14:00")]["seconds"]) == 3600


def test_html_is_self_contained(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = report(data_dir, "--month", "2024-03-01", "--format", "html", "--output", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 3  # categories, hours, days
    assert "<script" not in html and " src=" not in html and "<link" not in html
    assert "2h 40m" in html and "github.com" in html


def test_bad_arguments(data_dir: Path) -> None:
    result = report(data_dir, "--to", "2024-03-05")
    assert result.returncode != 0
    assert "--to needs --from" in result.stderr
    result = report(data_dir, "--day", "yesterday-ish")
    assert result.returncode == 2 and "is not a date" in result.stderr
