"""Replacing a range of starts (core.sync.ranges): the rule that makes sync idempotent."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.sync.ranges import (
    Range,
    check_in_range,
    data_text,
    fit,
    next_page,
    plan_replace,
)


def stored(*events: tuple[int, int, str]) -> list[Event]:
    return [Event(s, e, {"app": a}, i + 1, 3600) for i, (s, e, a) in enumerate(events)]


def sent(*events: tuple[int, int, str]) -> list[Event]:
    return [Event(s, e, {"app": a}, None, 3600) for s, e, a in events]


def apply(before: list[Event], incoming: list[Event]) -> list[Event]:
    """What a bucket holds after the plan is carried out (as the writer would)."""
    plan = plan_replace(before, incoming)
    by_id = {e.id: e for e in before}
    for update in plan.updates:
        assert update.id in by_id
        by_id[update.id] = update
    for event_id in plan.deletes:
        del by_id[event_id]
    next_id = max([0, *(i for i in by_id if i is not None)]) + 1
    added = []
    for event in plan.inserts:
        assert event.id is None
        added.append(Event(event.start_us, event.end_us, event.data, next_id, event.tz_offset_s))
        next_id += 1
    return [*by_id.values(), *added]


def contents(events: list[Event]) -> Counter[tuple[int, int, int | None, str]]:
    return Counter((e.start_us, e.end_us, e.tz_offset_s, data_text(e.data)) for e in events)


def test_sending_the_same_events_again_changes_nothing() -> None:
    plan = plan_replace(stored((0, 5, "a"), (5, 9, "b")), sent((0, 5, "a"), (5, 9, "b")))
    assert (plan.inserts, plan.updates, plan.deletes, plan.unchanged) == ([], [], [], 2)


def test_a_grown_last_event_updates_the_stored_one_in_place() -> None:
    plan = plan_replace(stored((0, 5, "a"), (5, 9, "b")), sent((0, 5, "a"), (5, 30, "b")))
    assert [(e.id, e.start_us, e.end_us) for e in plan.updates] == [(2, 5, 30)]
    assert plan.inserts == [] and plan.deletes == []


def test_events_gone_or_changed_on_the_sender_are_deleted_or_replaced() -> None:
    before = stored((0, 5, "a"), (5, 9, "secret"), (9, 12, "c"))
    plan = plan_replace(before, sent((0, 5, "a"), (5, 9, "[redacted]")))
    assert plan.deletes == [2, 3]
    assert [e.data for e in plan.inserts] == [{"app": "[redacted]"}]


def test_data_key_order_does_not_matter() -> None:
    old = [Event(0, 5, {"app": "a", "title": "t"}, 1, None)]
    plan = plan_replace(old, [Event(0, 5, {"title": "t", "app": "a"})])
    assert plan.changes == 0 and plan.unchanged == 1


def test_an_event_outside_the_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="start within the range"):
        check_in_range(Range(10, 20), sent((20, 25, "a")))
    check_in_range(Range(10, None), sent((10, 11, "a"), (99, 100, "b")))
    with pytest.raises(ValidationError, match="end before it starts"):
        Range(5, 4)


events_strategy = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.integers(0, 3),
        st.sampled_from("abc"),
        st.sampled_from([None, 0, 3600]),
    ),
    max_size=12,
)


@given(before=events_strategy, after=events_strategy)
def test_any_plan_turns_the_stored_events_into_the_sent_ones(
    before: list[tuple[int, int, str, int | None]], after: list[tuple[int, int, str, int | None]]
) -> None:
    old = [Event(s, s + d, {"app": a}, i + 1, tz) for i, (s, d, a, tz) in enumerate(before)]
    new = [Event(s, s + d, {"app": a}, None, tz) for s, d, a, tz in after]
    result = apply(old, new)
    assert contents(result) == contents(new)
    again = plan_replace(result, new)  # the same range sent again
    assert again.changes == 0 and again.unchanged == len(new)


@given(
    starts=st.lists(st.integers(0, 30), max_size=60),
    limit=st.integers(1, 7),
)
def test_pages_cover_every_event_once_and_never_split_a_start(
    starts: list[int], limit: int
) -> None:
    events = sorted(
        (Event(s, s + 1, {}, i + 1) for i, s in enumerate(starts)), key=lambda e: (e.start_us, e.id)
    )

    def read(start: int | None, end: int | None, cap: int | None) -> list[Event]:
        found = [
            e
            for e in events
            if (start is None or e.start_us >= start) and (end is None or e.start_us < end)
        ]
        return found if cap is None else found[:cap]

    seen: list[Event] = []
    since: int | None = None
    pages = 0
    while True:
        page, until = next_page(read, since, limit)
        assert all(Range(since, until).holds(e.start_us) for e in page)
        assert page == read(since, until, None)  # the page is the whole range
        seen.extend(page)
        pages += 1
        assert pages <= len(events) + 1
        if until is None:
            break
        since = until
    assert [e.id for e in seen] == [e.id for e in events]


def test_a_page_of_large_events_is_cut_to_the_budget_between_starts() -> None:
    page = sent((0, 1, "a"), (1, 2, "b"), (1, 3, "c"), (2, 3, "d"))
    assert fit(page, None, lambda e: 10, 100) == (page, None)
    kept, rest = fit(page, 9, lambda e: 10, 25)  # the third would pass it: cut before start 1
    assert (kept, rest) == (page[:1], 1)
    alone, rest = fit(page[1:3], None, lambda e: 10, 5)  # one start's events stay together
    assert (alone, rest) == (page[1:3], None)
