"""Loading a date range for the views: the quick summary, the full load, and stopping early."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core.categories.formats import load_default_categories
from core.services import Services
from tests.gui.conftest import DEMO_DAY
from timelygator_gui.date_range import DateRange, RangeMode
from timelygator_gui.range_data import Superseded, load_range, load_summary


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
