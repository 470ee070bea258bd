"""End to end: the desktop dashboard's canonical query on a small hand-built day."""

from __future__ import annotations

from typing import Any

from timelygator.core.event import Event
from timelygator.core.query import MemoryDataSource, run_query

from tests.core.query.helpers import S

T0 = 1_705_309_200  # 2024-01-15T09:00:00Z
PERIOD = "2024-01-15T00:00:00+00:00/2024-01-16T00:00:00+00:00"
CODE = {"app": "Code", "title": "main.py - proj - Visual Studio Code"}
GITHUB = {"app": "Firefox", "title": "GitHub - Mozilla Firefox"}
SLACK = {"app": "Slack", "title": "general | Slack"}
YOUTUBE = {"app": "Firefox", "title": "YouTube - Mozilla Firefox"}


def _ev(start: int, end: int, data: dict[str, Any]) -> Event:
    return Event((T0 + start) * S, (T0 + end) * S, data)


def _source() -> MemoryDataSource:
    return MemoryDataSource(
        {
            "aw-watcher-window_laptop": [
                _ev(0, 600, CODE),
                _ev(600, 900, GITHUB),
                _ev(900, 1000, SLACK),
                _ev(1000, 1600, YOUTUBE),
                _ev(1600, 1800, CODE),
            ],
            "aw-watcher-afk_laptop": [
                _ev(0, 1300, {"status": "not-afk"}),
                _ev(1300, 1500, {"status": "afk"}),
                _ev(1500, 1800, {"status": "not-afk"}),
            ],
            "aw-watcher-web-firefox_laptop": [
                _ev(580, 905, {"url": "https://github.com/org/repo", "title": "org/repo"}),
                _ev(1000, 1600, {"url": "https://www.youtube.com/watch?v=x", "title": "Cats"}),
            ],
        }
    )


CATEGORIES = """[
  [["Work", "Programming"],
   {"type": "regex", "regex": "Visual Studio Code|GitHub", "ignore_case": true}],
  [["Communication"], {"type": "regex", "regex": "Slack"}],
  [["Media", "Video"], {"type": "regex", "regex": "YouTube", "ignore_case": true}]
]"""

QUERY = [
    'events = flood(query_bucket(find_bucket("aw-watcher-window_")));',
    'not_afk = flood(query_bucket(find_bucket("aw-watcher-afk_")));',
    'not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);',
    "browser_events = [];",
    'events_firefox = flood(query_bucket("aw-watcher-web-firefox_laptop"));',
    'window_firefox = filter_keyvals(events, "app", ["Firefox", "firefox"]);',
    "events_firefox = filter_period_intersect(events_firefox, window_firefox);",
    "events_firefox = split_url_events(events_firefox);",
    "browser_events = concat(browser_events, events_firefox);",
    "browser_events = sort_by_timestamp(browser_events);",
    "events = filter_period_intersect(events, not_afk);",
    "browser_events = filter_period_intersect(browser_events, not_afk);",
    f"events = categorize(events, {CATEGORIES});",
    f"browser_events = categorize(browser_events, {CATEGORIES});",
    'title_events = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));',
    'app_events = sort_by_duration(merge_events_by_keys(title_events, ["app"]));',
    'cat_events = sort_by_duration(merge_events_by_keys(events, ["$category"]));',
    "app_events = limit_events(app_events, 100);",
    "title_events = limit_events(title_events, 100);",
    "duration = sum_durations(events);",
    'domains = sort_by_duration(merge_events_by_keys(browser_events, ["$domain"]));',
    'browser_cats = sort_by_duration(merge_events_by_keys(browser_events, ["$category"]));',
    'RETURN = {"window": {"app_events": app_events, "title_events": title_events,',
    '                     "cat_events": cat_events, "active_events": not_afk,',
    '                     "duration": duration},',
    '          "browser": {"domains": domains, "cat_events": browser_cats,',
    '                      "duration": sum_durations(browser_events)}};',
]


def _summary(events: list[dict[str, Any]]) -> list[tuple[dict[str, Any], float]]:
    return [(e["data"], e["duration"]) for e in events]


def test_canonical_desktop_query() -> None:
    [result] = run_query(QUERY, [PERIOD], _source())
    window = result["window"]
    assert window["duration"] == 1600.0
    assert _summary(window["app_events"]) == [
        ({"app": "Code"}, 800.0),
        ({"app": "Firefox"}, 700.0),
        ({"app": "Slack"}, 100.0),
    ]
    assert _summary(window["title_events"]) == [
        (CODE, 800.0),
        (YOUTUBE, 400.0),
        (GITHUB, 300.0),
        (SLACK, 100.0),
    ]
    assert _summary(window["cat_events"]) == [
        ({"$category": ["Work", "Programming"]}, 1100.0),
        ({"$category": ["Media", "Video"]}, 400.0),
        ({"$category": ["Communication"]}, 100.0),
    ]
    assert window["cat_events"][0]["timestamp"] == "2024-01-15T09:00:00.000000+00:00"
    assert [(e["timestamp"], e["duration"]) for e in window["active_events"]] == [
        ("2024-01-15T09:00:00.000000+00:00", 1300.0),
        ("2024-01-15T09:25:00.000000+00:00", 300.0),
    ]
    browser = result["browser"]
    assert browser["duration"] == 700.0
    assert _summary(browser["domains"]) == [
        ({"$domain": "youtube.com"}, 400.0),
        ({"$domain": "github.com"}, 300.0),
    ]
    assert _summary(browser["cat_events"]) == [
        ({"$category": ["Media", "Video"]}, 400.0),
        ({"$category": ["Work", "Programming"]}, 300.0),
    ]
    assert set(window["app_events"][0]) == {"id", "timestamp", "duration", "data"}


def test_canonical_query_over_several_days() -> None:
    periods = [PERIOD, "2024-01-16T00:00:00+00:00/2024-01-17T00:00:00+00:00"]
    first, second = run_query(QUERY, periods, _source())
    assert first["window"]["duration"] == 1600.0
    assert second["window"]["duration"] == 0.0
    assert second["window"]["app_events"] == []
