"""Analytics helpers: search, and the category override in an event's data.

(What a summary adds up is tested on the store-backed engine: tests/core/analytics/
test_service.py.)"""

from __future__ import annotations

import pytest
from timelygator.core.analytics.classifier import CategoryClassifier
from timelygator.core.analytics.search import compile_query, search_events
from timelygator.core.categories.model import Category, Rule
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event

M = 60_000_000


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


def test_a_category_in_the_data_overrides_the_rules() -> None:
    c = classifier()
    assert c.categorize({"app": "Code", "$category": "Media > Video"}) == ("Media", "Video")
    assert c.categorize({"app": "Code"}) == ("Work",)
