"""One day-start preference: the app's navigator, ``timelygator report`` and ``/api/0/summary``
all start days (and weeks) where the General settings say, 04:00 and Monday by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from timelygator.core import tokens
from timelygator.core.api import ApiConfig, create_app
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import Preferences, load_preferences, save_preferences
from timelygator.core.services import Services

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
PASS = "day start passphrase"


def _cli_range(dirs: AppDirs, *args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "timelygator", "report", "--data-dir", str(dirs.data),
         "--format", "json", *args],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout)["range"])


def _api_range(services: Services, query: str) -> dict[str, object]:
    secret = tokens.create(services.writer, services.user_id, "read", "t").result().secret
    app = create_app(services, ApiConfig(hostname="testhost"))
    with TestClient(
        app, base_url="http://127.0.0.1:5600", headers={"Authorization": f"Bearer {secret}"}
    ) as client:
        response = client.get(f"/api/0/summary?{query}")
    assert response.status_code == 200, response.text
    return dict(response.json()["range"])


@pytest.mark.parametrize("hour", [None, 6])
def test_cli_api_and_app_share_the_day_start(dirs: AppDirs, hour: int | None, qapp) -> None:  # type: ignore[no-untyped-def]
    from timelygator.gui.date_navigator import DateNavigator

    expected = "04:00" if hour is None else f"{hour:02d}:00"
    with Services.open(dirs, PASS) as services:
        if hour is not None:
            prefs = Preferences()
            prefs.general.day_start_hour = hour
            prefs.general.week_start = 6  # Sunday
            save_preferences(services.writer, services.user_id, prefs).result(10)
        api = _api_range(services, "week=2024-03-06")
        with services.read() as conn:
            general = load_preferences(conn, services.user_id).general
    cli = _cli_range(dirs, "--week", "2024-03-06")
    assert cli["day_start"] == api["day_start"] == expected
    # A week of Sundays when Sunday is chosen, of Mondays otherwise: both agree.
    first = "2024-03-04" if hour is None else "2024-03-03"
    assert cli["first"] == api["first"] == first
    navigator = DateNavigator()
    navigator.set_preferences(general.week_start, general.day_start_hour)
    assert navigator.range.day_start_hour == int(expected[:2])
    # An explicit argument still wins over the preference.
    assert _cli_range(dirs, "--day", "2024-03-06", "--day-start", "00:00")["day_start"] == "00:00"
