"""Loading a date range for the views: the quick summary, the full load, and stopping early."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from timelygator.core.categories.formats import load_default_categories
from timelygator.core.services import Services
from timelygator.gui.date_range import DateRange, RangeMode
from timelygator.gui.range_data import Superseded, load_range, load_summary

from tests.gui.conftest import DEMO_DAY


def test_the_summary_load_gives_the_full_loads_totals_without_reading_events(
    demo_services: Services,
) -> None:
    rng = DateRange.around(DEMO_DAY, RangeMode.WEEK)
    categories = load_default_categories()
    quick = load_summary(demo_services, rng, categories)
    full = load_range(demo_services, rng, categories)
    # A week is drawn as one row per day from the analytics' pieces: no event is read.
    assert quick.by_bucket == {} and full.by_bucket == {}
    assert full.day_rows and [lane.day for lane in full.lanes] == [
        rng.first + timedelta(days=i) for i in range(7)
    ]
    drawn_us = sum(float((lane.ends - lane.starts).sum()) for lane in full.lanes) * 1e6
    assert drawn_us == pytest.approx(full.summary.active_us, abs=1000)
    assert quick.event_count == full.event_count == 0  # neither reads an event
    assert quick.summary.active_us > 0
    assert replace(full.summary, active_events=[]) == quick.summary


def test_a_superseded_load_stops_between_its_steps(demo_services: Services) -> None:
    rng = DateRange.around(DEMO_DAY, RangeMode.DAY)
    asked = []

    def still_wanted() -> bool:
        asked.append(True)
        return len(asked) <= 2  # the user moved on while the events were being read

    with pytest.raises(Superseded):
        load_range(demo_services, rng, load_default_categories(), still_wanted)
    assert len(asked) == 3
    with pytest.raises(Superseded):
        load_range(demo_services, rng, [], lambda: False)
    assert load_range(demo_services, rng, [], lambda: True).event_count > 100


def test_history_is_worked_out_in_parts_only_when_showing_it_at_once_would_keep_people_waiting(
    services: Services,
) -> None:
    from timelygator.core.categories.model import Rule
    from timelygator.gui.demo_data import recent_days, store_days
    from timelygator.gui.range_data import analytics_settings, parts_to_work_out

    store_days(services, recent_days(DEMO_DAY, 70), weekends=True)  # just imported
    month = DateRange(RangeMode.CUSTOM, DEMO_DAY - timedelta(days=30), DEMO_DAY, 4)
    wide = DateRange(RangeMode.CUSTOM, DEMO_DAY - timedelta(days=69), DEMO_DAY, 4)
    settings = analytics_settings(wide)
    categories = load_default_categories()
    # Never looked at: its events must be read, so the newest days come first, in parts.
    parts = parts_to_work_out(services, month.first, month.last, settings, categories)
    assert parts[0] == (month.last - timedelta(days=1), month.last)
    assert parts[-1][0] == month.first
    services.analytics.stats_for_days(
        services.user_id, wide.first, wide.last, settings, categories=categories
    )
    assert parts_to_work_out(services, wide.first, wide.last, settings, categories) == []
    # A rule changed: the stored statistics are re-categorized, quick for a month (at once)
    # and in parts for more than two months of days.
    changed = [replace(c) for c in categories]
    work = next(c for c in changed if c.path == ("Work", "Programming"))
    work.rule = Rule.regex_rule((work.rule.regex or "") + "|dbeaver", ignore_case=True)
    assert parts_to_work_out(services, month.first, month.last, settings, changed) == []
    parts = parts_to_work_out(services, wide.first, wide.last, settings, changed)
    assert parts[:2] == [
        (wide.last - timedelta(days=1), wide.last),
        (wide.last - timedelta(days=8), wide.last - timedelta(days=2)),
    ]


def test_the_days_after_today_are_never_worked_out_in_parts(services: Services) -> None:
    from timelygator.core.analytics.localdays import local_today
    from timelygator.gui.range_data import analytics_settings, parts_to_work_out

    today = local_today(services.clock.now_us(), 4 * 3600)
    # This month, seen on its first day: the rest of it has nothing to work out yet.
    rng = DateRange(RangeMode.CUSTOM, today, today + timedelta(days=30), 4)
    assert parts_to_work_out(services, rng.first, rng.last, analytics_settings(rng)) == []
    later = DateRange(RangeMode.CUSTOM, today + timedelta(days=1), today + timedelta(days=30), 4)
    assert parts_to_work_out(services, later.first, later.last, analytics_settings(later)) == []
