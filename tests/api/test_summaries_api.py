"""/api/0/summary and /api/0/summary/trend: a hand-built day, ranges, caches, bad input."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

import pytest
from starlette.testclient import TestClient
from timelygator.core import tokens
from timelygator.core.analytics.localdays import AnalyticsSettings, local_today
from timelygator.core.analytics.report import report_document
from timelygator.core.api.routers import summaries
from timelygator.core.services import Services

from tests.api.conftest import make_bucket
from tests.api.test_categories_api import DOC

DAY = "2024-03-04"  # a Monday
WINDOW = "aw-watcher-window_h"
AFK = "aw-watcher-afk_h"


def at(clock: str) -> str:
    return f"{DAY}T{clock}:00Z"


def fill_day(client: TestClient) -> None:
    """09:00-11:00 UTC: code 60 min, a GitHub tab 30 min, vlc 30 min; away from 10:40."""
    make_bucket(client, WINDOW, "currentwindow")
    make_bucket(client, AFK, "afkstatus")
    window = [
        {"timestamp": at("09:00"), "duration": 3600, "data": {"app": "code", "title": "main.py"}},
        {"timestamp": at("10:00"), "duration": 1800, "data": {"app": "firefox", "title": "GitHub"}},
        {"timestamp": at("10:30"), "duration": 1800, "data": {"app": "vlc", "title": "film"}},
    ]
    afk = [
        {"timestamp": at("09:00"), "duration": 6000, "data": {"status": "not-afk"}},
        {"timestamp": at("10:40"), "duration": 1200, "data": {"status": "afk"}},
    ]
    assert client.post(f"/api/0/buckets/{WINDOW}/events", json=window).status_code == 200
    assert client.post(f"/api/0/buckets/{AFK}/events", json=afk).status_code == 200


@pytest.fixture
def day_client(client: TestClient) -> TestClient:
    assert client.put("/api/0/categories", json=DOC).status_code == 200
    fill_day(client)
    return client


def test_summary_of_a_hand_built_day(day_client: TestClient) -> None:
    resp = day_client.get("/api/0/summary", params={"day": DAY, "day_start": "00:00"})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["range"] == {"first": DAY, "last": DAY, "days": 1, "day_start": "00:00"}
    totals = doc["totals"]
    # Present 09:00-10:40: code 60 min, firefox 30 min, vlc 10 min; away 20 min.
    assert totals["active_seconds"] == 6000
    assert totals["afk_seconds"] == 1200
    assert totals["context_switches"] == 2
    assert doc["apps"]["items"][0] == {"name": "code", "seconds": 3600, "percent": 60.0}
    assert [(a["name"], a["seconds"]) for a in doc["apps"]["items"]] == [
        ("code", 3600),
        ("firefox", 1800),
        ("vlc", 600),
    ]
    # code + GitHub match Work > Programming (90 min); vlc is Media (10 min).
    tree = {n["name"]: n for n in doc["categories"]}
    assert list(tree) == ["Work", "Media"]
    assert (tree["Work"]["seconds"], tree["Work"]["self_seconds"]) == (5400, 0)
    assert [(c["path"], c["seconds"]) for c in tree["Work"]["children"]] == [
        (["Work", "Programming"], 5400)
    ]
    assert tree["Work"]["color"] == "#0000ff"
    assert (tree["Media"]["seconds"], tree["Media"]["percent"]) == (600, 10.0)
    # +2 for 90 minutes (100 %), -2 for 10 minutes (0 %).
    assert totals["productivity"] == 90.0
    assert doc["daily"] == [
        {"date": DAY, "seconds": 6000, "categories": {"Work": 5400, "Media": 600}}
    ]
    assert doc["hourly"]["Work"][9] == 3600 and doc["hourly"]["Media"][10] == 600


def test_summary_is_what_the_report_command_prints(
    day_client: TestClient, services: Services
) -> None:
    got = day_client.get(f"/api/0/summary/?day={DAY}&day_start=00:00&top=2").json()
    settings = AnalyticsSettings(day_start_s=0)
    day = date.fromisoformat(DAY)
    summary = services.analytics.summary_for_days(services.user_id, day, day, settings)
    expected = report_document(
        summary,
        day,
        day,
        settings,
        color_of=services.analytics.category_set(services.user_id).classifier.color,
        limit=2,
        offset_s=time.localtime().tm_gmtoff,
    )
    assert got == expected
    assert got["apps"]["count"] == 3 and len(got["apps"]["items"]) == 2


def test_ranges(day_client: TestClient) -> None:
    def summary(**params: Any) -> dict[str, Any]:
        resp = day_client.get("/api/0/summary", params={"day_start": "00:00", **params})
        assert resp.status_code == 200, (params, resp.text)
        doc: dict[str, Any] = resp.json()
        return doc

    week = summary(week="2024-03-06")
    assert (week["range"]["first"], week["range"]["last"], week["range"]["days"]) == (
        "2024-03-04",
        "2024-03-10",
        7,
    )
    assert week["totals"]["active_seconds"] == 6000
    assert summary(week="2024-03-06", week_start="sun")["range"]["first"] == "2024-03-03"
    assert summary(week="2024-03-06", week_start="6")["range"]["first"] == "2024-03-03"
    month = summary(month="2024-03-15")
    assert (month["range"]["first"], month["range"]["last"]) == ("2024-03-01", "2024-03-31")
    assert month["totals"]["active_seconds"] == 6000
    # start/end: the local days covering the span (in this machine's time zone).
    span = summary(start=at("00:00"), end="2024-03-05T00:00:00Z")
    assert span["range"]["first"] <= DAY <= span["range"]["last"]
    assert span["totals"]["active_seconds"] == 6000
    assert summary(day="2024-03-05")["totals"]["active_seconds"] == 0
    assert summary()["range"]["first"] == date.today().isoformat()  # days start at 00:00 here


def test_a_category_change_through_the_api_changes_the_next_summary(
    day_client: TestClient,
) -> None:
    params = {"day": DAY, "day_start": "00:00"}
    before = day_client.get("/api/0/summary", params=params).json()
    assert [(n["name"], n["seconds"]) for n in before["categories"]] == [
        ("Work", 5400),
        ("Media", 600),
    ]
    trend_params = {"first": DAY, "last": DAY, "day_start": "00:00"}
    assert day_client.get("/api/0/summary/trend", params=trend_params).json()["daily"][0][
        "categories"
    ] == {"Work": 5400, "Media": 600}
    changed = {
        **DOC,
        "categories": [
            DOC["categories"][0],
            {
                "name": ["Work", "Programming"],
                "rule": {"type": "regex", "regex": "code|github|vlc", "ignore_case": True},
            },
        ],
    }
    assert day_client.put("/api/0/categories", json=changed).status_code == 200
    after = day_client.get("/api/0/summary", params=params).json()
    assert [(n["name"], n["seconds"]) for n in after["categories"]] == [("Work", 6000)]
    assert after["totals"]["active_seconds"] == 6000
    trend = day_client.get("/api/0/summary/trend", params=trend_params).json()
    assert trend["daily"][0]["categories"] == {"Work": 6000}


def test_trend(day_client: TestClient) -> None:
    resp = day_client.get(
        "/api/0/summary/trend",
        params={"first": "2024-03-03", "last": "2024-03-05", "day_start": "00:00"},
    )
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["range"] == {
        "first": "2024-03-03",
        "last": "2024-03-05",
        "days": 3,
        "day_start": "00:00",
    }
    assert doc["categories"] == [
        {"name": "Work", "seconds": 5400, "color": "#0000ff"},
        {"name": "Media", "seconds": 600, "color": "#ff0000"},
    ]
    assert doc["daily"] == [
        {"date": "2024-03-03", "seconds": 0, "categories": {}},
        {"date": DAY, "seconds": 6000, "categories": {"Work": 5400, "Media": 600}},
        {"date": "2024-03-05", "seconds": 0, "categories": {}},
    ]
    default = day_client.get("/api/0/summary/trend/").json()
    # The last 30 days up to today, the user's day start honoured (at 02:00 it is yesterday).
    today = local_today(time.time_ns() // 1000, 4 * 3600)
    assert default["range"]["days"] == 30 and default["range"]["last"] == today.isoformat()


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/api/0/summary", {"day": "2024-13-01"}, "'day' must be a date"),
        ("/api/0/summary", {"day": "last tuesday"}, "'day' must be a date"),
        ("/api/0/summary", {"week": "2024/03/04"}, "'week' must be a date"),
        ("/api/0/summary", {"month": ""}, "'month' must be a date"),
        ("/api/0/summary", {"day": "0001-01-01"}, "must lie between"),
        ("/api/0/summary", {"day": DAY, "week": DAY}, "only one of"),
        ("/api/0/summary", {"start": at("00:00")}, "go together"),
        ("/api/0/summary", {"start": "soon", "end": at("01:00")}, "Invalid timestamp"),
        ("/api/0/summary", {"start": at("02:00"), "end": at("01:00")}, "after 'start'"),
        ("/api/0/summary", {"start": "1960-01-01T00:00:00Z", "end": at("01:00")}, "must lie"),
        (
            "/api/0/summary",
            {"start": "2000-01-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"},
            "at most",
        ),
        ("/api/0/summary", {"day": DAY, "day_start": "25:00"}, "'day_start'"),
        ("/api/0/summary", {"day": DAY, "week_start": "someday"}, "'week_start'"),
        ("/api/0/summary", {"day": DAY, "top": "0"}, "top"),
        ("/api/0/summary/trend", {"first": "2024-03-05", "last": "2024-03-04"}, "ends before"),
        ("/api/0/summary/trend", {"first": "2024-02-30"}, "'first' must be a date"),
        ("/api/0/summary/trend", {"first": "2000-01-01", "last": "2024-01-01"}, "at most"),
    ],
)
def test_bad_dates_are_400(
    client: TestClient, path: str, params: dict[str, str], fragment: str
) -> None:
    resp = client.get(path, params=params)
    assert resp.status_code == 400, resp.text
    assert fragment in resp.json()["message"]


def test_scopes_and_users(
    day_client: TestClient, services: Services, make_client: Any, make_token: Any
) -> None:
    params = {"day": DAY, "day_start": "00:00"}
    anonymous = make_client(app=day_client.app)
    assert anonymous.get("/api/0/summary", params=params).status_code == 401
    assert anonymous.get("/api/0/summary/trend").status_code == 401
    reader = make_client(make_token("read"), app=day_client.app)
    assert reader.get("/api/0/summary", params=params).json()["totals"]["active_seconds"] == 6000
    # Another user of the store sees only their own (empty) day, with their own categories.
    bob_id = services.writer.call(lambda c: tokens.ensure_user(c, "bob", 1)).result()
    bob = make_client(make_token("write", user_id=bob_id), app=day_client.app)
    assert bob.get("/api/0/summary", params=params).json()["totals"]["active_seconds"] == 0
    fill_day(bob)
    bob_tree = {
        "format": "timelygator-categories",
        "version": 1,
        "categories": [{"name": ["Bob"], "rule": {"type": "regex", "regex": "."}}],
    }
    assert bob.put("/api/0/categories", json=bob_tree).status_code == 200
    mine = bob.get("/api/0/summary", params=params).json()
    assert [(n["name"], n["seconds"]) for n in mine["categories"]] == [("Bob", 6000)]
    alice = day_client.get("/api/0/summary", params=params).json()
    assert [n["name"] for n in alice["categories"]] == ["Work", "Media"]


def test_analytics_run_off_the_event_loop(
    day_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real_summary, real_trend = summaries.summary_document, summaries.trend_document

    def on_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def summary_document(*args: Any) -> Any:
        seen.append(on_loop())
        return real_summary(*args)

    def trend_document(*args: Any) -> Any:
        seen.append(on_loop())
        return real_trend(*args)

    monkeypatch.setattr(summaries, "summary_document", summary_document)
    monkeypatch.setattr(summaries, "trend_document", trend_document)
    assert day_client.get(f"/api/0/summary?day={DAY}").status_code == 200
    assert day_client.get("/api/0/summary/trend").status_code == 200
    assert seen == [False, False]
