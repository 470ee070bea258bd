"""Property tests for the interval transforms (brute-forced on a whole-second grid)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st
from timelygator.core.event import Event
from timelygator.core.query import transforms as tf

from tests.core.query.helpers import S

_event = st.builds(
    lambda start, length, value: Event(start * S, (start + length) * S, {"v": value}),
    st.integers(0, 60),
    st.integers(0, 15),
    st.sampled_from(["a", "b", "c"]),
)
_events = st.lists(_event, max_size=25)


def _covered(events: list[Event]) -> set[int]:
    """Whole seconds covered by any event."""
    return {t for e in events for t in range(e.start_us // S, e.end_us // S)}


def _no_overlaps(events: list[Event]) -> bool:
    ordered = sorted(events, key=lambda e: e.start_us)
    return all(a.end_us <= b.start_us for a, b in pairwise(ordered))


@given(_events, st.integers(0, 10))
def test_flood_never_overlaps_and_keeps_covered_time(events: list[Event], pulse: int) -> None:
    result = tf.flood(events, pulse * S)
    assert _no_overlaps(result)
    assert all(e.end_us > e.start_us for e in result)
    assert [e.start_us for e in result] == sorted(e.start_us for e in result)
    # Flooding only fills gaps; it never reaches outside the original span.
    if result:
        assert min(e.start_us for e in events) <= result[0].start_us
        assert max(e.end_us for e in events) >= max(e.end_us for e in result)


@given(_events)
def test_flood_with_equal_data_covers_exactly_the_union(events: list[Event]) -> None:
    same = [Event(e.start_us, e.end_us, {"v": "a"}) for e in events]
    assert _covered(tf.flood(same, 0)) == _covered(same)


@given(_events, st.lists(st.sampled_from(["v", "w"]), max_size=2))
def test_merge_events_by_keys_preserves_total_duration(
    events: list[Event], keys: list[str]
) -> None:
    merged = tf.merge_events_by_keys(events, keys)
    assert tf.sum_durations(merged) == tf.sum_durations(events)


@given(_events, _events)
def test_filter_period_intersect_is_the_per_event_intersection(
    events: list[Event], filters: list[Event]
) -> None:
    result = tf.filter_period_intersect(events, filters)
    allowed = _covered(filters)
    expected = sum(len(_covered([e]) & allowed) for e in events)
    assert round(tf.sum_durations(result)) == expected
    assert _covered(result) <= allowed


@given(_events, _events)
def test_period_union_covers_both_without_overlap(a: list[Event], b: list[Event]) -> None:
    result = tf.period_union(a, b)
    assert _no_overlaps(result)
    assert _covered(result) == _covered(a) | _covered(b)


@given(_events, _events)
def test_union_no_overlap_adds_only_uncovered_time(a: list[Event], b: list[Event]) -> None:
    result = tf.union_no_overlap(a, b)
    added = [e for e in result if not any(e is x for x in a)]
    assert not (_covered(added) & _covered(a))
    assert _covered(result) == _covered(a) | _covered(b)
