"""Analytics: active time, breakdowns, productivity, hourly, trends, search."""

from __future__ import annotations

from datetime import date

import pytest

from core.analytics.classifier import CategoryClassifier
from core.analytics.intervals import clip_events, merge_spans
from core.analytics.search import compile_query, search_events
from core.analytics.summary import (
    NullClassifier,
    RangeEvents,
    category_events,
    split_by_hour,
    summarize,
)
from core.analytics.trends import daily_totals
from core.categories.model import Category, Rule
from core.errors import ValidationError
from core.event import Event

H = 3_600_000_000
M = 60_000_000
UTC = lambda _us: 0  # noqa: E731


def ev(start_min: int, end_min: int, **data: object) -> Event:
    return Event(start_min * M, end_min * M, dict(data))


def classifier() -> CategoryClassifier:
    return CategoryClassifier(
        [
            Category(["Work"], Rule.regex_rule("code|terminal", ignore_case=True), "#00f", 2),
            Category(["Work", "Docs"], Rule.regex_rule("docs"), None, None),
            Category(["Media"], Rule.regex_rule("youtube|vlc", ignore_case=True), "#f00", -2),
        ]
    )


def test_merge_and_clip() -> None:
    assert merge_spans([(5, 10), (0, 3), (2, 6), (20, 20)]) == [(0, 10)]
    clipped = clip_events([ev(0, 60, app="a")], [(10 * M, 20 * M), (30 * M, 40 * M)])
    assert [(e.start_us // M, e.end_us // M) for e in clipped] == [(10, 20), (30, 40)]


def test_summary_counts_only_present_time() -> None:
    events = RangeEvents(
        0,
        24 * H,
        window=[
            ev(0, 60, app="Code", title="main.py"),
            ev(60, 90, app="VLC", title="film"),
            ev(90, 120, app="Firefox", title="docs page"),
        ],
        afk=[ev(0, 80, status="not-afk"), ev(80, 90, status="afk"), ev(90, 120, status="not-afk")],
        web=[ev(90, 120, url="https://www.python.org/docs", title="docs page")],
    )
    s = summarize(events, classifier(), local_offset=UTC)
    assert s.active_us == 110 * M
    assert s.afk_us == 10 * M
    assert s.apps == [("Code", 60 * M), ("Firefox", 30 * M), ("VLC", 20 * M)]
    assert s.domains == [("python.org", 30 * M)]
    assert dict(s.top_categories) == {"Work": 90 * M, "Media": 20 * M}
    assert dict(s.categories)[("Work", "Docs")] == 30 * M
    # Work is +2 (100), Docs inherits +2, Media is -2 (0): 90/110 productive.
    assert s.productivity == pytest.approx(100 * 90 / 110)
    assert s.hourly["Work"][0] == 60 * M
    assert s.hourly["Work"][1] == 30 * M
    assert [e.data["app"] for e in category_events(s, ["Work", "Docs"])] == ["Firefox"]


def test_summary_without_afk_counts_all_window_time() -> None:
    s = summarize(RangeEvents(0, H, window=[ev(0, 30, app="x")]), NullClassifier())
    assert s.active_us == 30 * M
    assert s.afk_us == 0
    assert s.productivity == 50.0


def test_split_by_hour_uses_offset() -> None:
    pieces = list(split_by_hour(ev(50, 70), 3600))
    assert pieces == [(1, 10 * M), (2, 10 * M)]


def test_daily_totals_split_days() -> None:
    day = 24 * 60
    events = [ev(day - 60, day + 30, app="Code"), ev(2 * day, 2 * day + 10, app="vlc")]
    totals = daily_totals(
        events, date(1970, 1, 1), date(1970, 1, 3), classifier(), local_offset=UTC
    )
    assert totals.totals["Work"] == [60 * M, 30 * M, 0]
    assert totals.totals["Media"] == [0, 0, 10 * M]
    assert totals.categories == ["Work", "Media"]
    assert totals.average_us() == pytest.approx(100 * M / 3)


def test_search_text_and_regex() -> None:
    buckets = {
        "w": [ev(0, 10, app="Code", title="Fix bug"), ev(10, 20, app="Mail", title="bug report")],
        "web": [ev(0, 5, url="https://example.com")],
    }
    result = search_events(buckets, compile_query("BUG", regex=False))
    assert result.count == 2
    assert result.total_us == 20 * M
    result = search_events(buckets, compile_query(r"^https://ex", regex=True))
    assert result.by_bucket == {"web": 5 * M}
    with pytest.raises(ValidationError):
        compile_query("(", regex=True)


def test_manual_entries_and_category_override() -> None:
    events = RangeEvents(
        0,
        H,
        window=[ev(0, 30, app="Code"), ev(30, 60, app="Meeting", **{"$manual": True})],
        afk=[ev(0, 30, status="not-afk"), ev(30, 60, status="afk")],
    )
    s = summarize(events, classifier(), local_offset=UTC)
    assert s.active_us == 60 * M
    c = classifier()
    assert c.categorize({"app": "Code", "$category": "Media > Video"}) == ("Media", "Video")
