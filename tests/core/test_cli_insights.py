"""``timelygator insights`` as a user runs it: text and JSON, a week, turned off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import load_preferences, save_preferences
from timelygator.core.services import Services

from tests.core.analytics.insights_data import DAY, fill

PASS = "insights test passphrase"


@pytest.fixture
def data_dir(dirs: AppDirs) -> Path:
    with Services.open(dirs, PASS, create=True) as services:
        fill(services)
    return dirs.data


def insights(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", "insights", "--data-dir", str(data_dir),
         *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS},
        timeout=120,
        check=False,
    )  # fmt: skip


def test_text_names_the_uncategorized_time_and_the_suggestion(data_dir: Path) -> None:
    result = insights(data_dir, "--day", DAY.isoformat())
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Thu 14 Mar 2024: 1h 25m active")
    assert "Uncategorized: 55m 00s — 1 suggestion" in lines
    assert "  mailer: titles starting “Invoice …” → Finance  30m 00s, 100% sure" in lines
    assert r"    rule: ^Invoice\b" in lines
    assert "    titles with “invoice” were Finance 6 of 6 times" in lines


def test_json_for_a_week(data_dir: Path) -> None:
    result = insights(data_dir, "--week", DAY.isoformat(), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["first"], doc["last"]) == ("2024-03-11", "2024-03-17")
    assert doc["uncategorized_s"] == 55 * 60
    assert [s["category"] for s in doc["suggestions"]] == [["Finance"]]


def test_turned_off_it_says_where_to_turn_it_on(data_dir: Path, dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        with services.read() as conn:
            prefs = load_preferences(conn, services.user_id)
        prefs.insights.enabled = False
        save_preferences(services.writer, services.user_id, prefs).result()
    result = insights(data_dir, "--day", DAY.isoformat())
    assert result.returncode != 0
    assert "Insights are turned off" in result.stderr
    assert "Settings → General" in result.stderr
    assert result.stdout == ""
