"""Adding up days: the ranked breakdowns, also when days share their dicts (rule edits)."""

from __future__ import annotations

from datetime import date

from timelygator.core.analytics.combine import combine
from timelygator.core.analytics.daystats import DayStats
from timelygator.core.analytics.localdays import AnalyticsSettings, day_number

FIRST = date(2024, 11, 4)
SETTINGS = AnalyticsSettings()


def _day(offset: int, titles: dict[str, int]) -> DayStats:
    day = DayStats(day_number(FIRST) + offset, active_us=sum(titles.values()))
    day.apps = {"editor": sum(titles.values())}
    day.titles = titles
    return day


def test_titles_add_up_largest_first_with_ties_by_name() -> None:
    days = [_day(0, {"b": 5, "a": 5, "c": 1, "gone": 0}), _day(1, {"c": 9, "d": 2})]
    summary = combine(days, FIRST, date(2024, 11, 5), SETTINGS)
    assert summary.titles == [("c", 10), ("a", 5), ("b", 5), ("d", 2)]
    assert summary.apps == [("editor", 22)]


def test_days_sharing_their_breakdowns_give_the_same_summary_and_a_changed_day_counts() -> None:
    days = [_day(0, {"a": 3, "b": 1}), _day(1, {"b": 4})]
    before = combine(days, FIRST, date(2024, 11, 5), SETTINGS)
    # After a rule edit: new statistics that share the earlier days' dicts.
    recategorized = [_day(0, days[0].titles), _day(1, days[1].titles)]
    assert combine(recategorized, FIRST, date(2024, 11, 5), SETTINGS).titles == before.titles
    # A day recomputed with new events has new dicts: its figures count.
    live = [days[0], _day(1, {"b": 4, "c": 7})]
    assert combine(live, FIRST, date(2024, 11, 5), SETTINGS).titles == [
        ("c", 7), ("b", 5), ("a", 3)
    ]  # fmt: skip
