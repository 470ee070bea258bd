"""Event transforms with hand-computed expectations."""

from __future__ import annotations

from timelygator.core.categories.categorizer import Categorizer, Tagger
from timelygator.core.categories.model import Rule
from timelygator.core.patterns import compile_pattern
from timelygator.core.query import transforms as tf

from tests.core.query.helpers import S, ev, spans, spans_data


def test_sorts_are_stable_and_do_not_mutate() -> None:
    events = [ev(10, 12, n=1), ev(0, 5, n=2), ev(3, 5, n=3), ev(20, 22, n=4)]
    before = list(events)
    assert [e.data["n"] for e in tf.sort_by_timestamp(events)] == [2, 3, 1, 4]
    assert [e.data["n"] for e in tf.sort_by_duration(events)] == [2, 1, 3, 4]
    assert events == before


def test_sum_durations_in_seconds() -> None:
    assert tf.sum_durations([ev(0, 1.5), ev(10, 12)]) == 3.5
    assert tf.sum_durations([]) == 0.0


def test_filter_and_exclude_keyvals() -> None:
    events = [ev(0, 1, app="a"), ev(1, 2, app="b"), ev(2, 3, title="t"), ev(3, 4, app=["x"])]
    assert [e.data for e in tf.filter_keyvals(events, "app", ["a", "c"])] == [{"app": "a"}]
    kept = tf.filter_keyvals(events, "app", ["a"], exclude=True)
    assert [e.data for e in kept] == [{"app": "b"}, {"title": "t"}, {"app": ["x"]}]
    # unhashable filter values still work
    assert [e.data for e in tf.filter_keyvals(events, "app", [["x"]])] == [{"app": ["x"]}]


def test_filter_keyvals_regex_skips_missing_and_non_strings() -> None:
    events = [ev(0, 1, title="GitHub - repo"), ev(1, 2, title="Mail"), ev(2, 3, n=1)]
    found = tf.filter_keyvals_regex(events, "title", compile_pattern("Git"))
    assert [e.data["title"] for e in found] == ["GitHub - repo"]


def test_filter_period_intersect_pieces() -> None:
    #   events  |   =======        ======== |
    #   filter  | ------  ---  ---   ----   |
    #   result  |   ====  =          ====   |
    events = [ev(2, 9, app="a"), ev(15, 23, app="b")]
    filters = [ev(0, 6), ev(8, 11), ev(13, 15), ev(17, 21)]
    result = tf.filter_period_intersect(events, filters)
    assert spans_data(result) == [
        (2, 6, {"app": "a"}),
        (8, 9, {"app": "a"}),
        (17, 21, {"app": "b"}),
    ]


def test_filter_period_intersect_merges_overlapping_filters() -> None:
    # Overlapping filter events must not count time twice.
    result = tf.filter_period_intersect([ev(0, 10, a=1)], [ev(2, 6), ev(4, 8), ev(9, 20)])
    assert spans(result) == [(2, 8), (9, 10)]
    # Touching filters give separate pieces (as ActivityWatch does)
    assert spans(tf.filter_period_intersect([ev(0, 10)], [ev(0, 5), ev(5, 10)])) == [
        (0, 5),
        (5, 10),
    ]


def test_filter_period_intersect_unsorted_input_and_long_events() -> None:
    events = [ev(30, 40, n=3), ev(0, 100, n=1), ev(5, 6, n=2)]
    filters = [ev(50, 60), ev(0, 10), ev(35, 37)]
    result = tf.filter_period_intersect(events, filters)
    assert [(s, e, d["n"]) for s, e, d in spans_data(result)] == [
        (0, 10, 1),
        (35, 37, 1),
        (50, 60, 1),
        (5, 6, 2),
        (35, 37, 3),
    ]


def test_period_union_strips_data_and_joins_touching() -> None:
    result = tf.period_union(
        [ev(0, 5, a=1), ev(10, 12, a=1)], [ev(4, 7, b=1), ev(12, 13), ev(20, 21)]
    )
    assert spans_data(result) == [(0, 7, {}), (10, 13, {}), (20, 21, {})]


def test_union_no_overlap_first_list_wins() -> None:
    #   events1  | xxx    xx     xxx     |
    #   events2  |  ----     ------   -- |
    #   result   | xxx--  xx ----xxx  -- |
    events1 = [ev(0, 3, k="x"), ev(7, 9, k="x"), ev(14, 17, k="x")]
    events2 = [ev(1, 5, k="-"), ev(10, 16, k="-"), ev(20, 22, k="-")]
    result = tf.union_no_overlap(events1, events2)
    assert [(s, e, d["k"]) for s, e, d in spans_data(result)] == [
        (0, 3, "x"),
        (3, 5, "-"),
        (7, 9, "x"),
        (10, 14, "-"),
        (14, 17, "x"),
        (20, 22, "-"),
    ]


def test_union_no_overlap_splits_around_inner_event() -> None:
    result = tf.union_no_overlap([ev(4, 6, k=1)], [ev(0, 10, k=2)])
    assert [(s, e, d["k"]) for s, e, d in spans_data(result)] == [
        (0, 4, 2),
        (4, 6, 1),
        (6, 10, 2),
    ]


def test_merge_events_by_keys() -> None:
    events = [
        ev(0, 10, app="a", title="t1"),
        ev(10, 15, app="b", title="t2"),
        ev(15, 18, app="a", title="t3"),
        ev(20, 21, title="no app"),
        ev(30, 32, app="a", title="t1"),
    ]
    by_app = tf.merge_events_by_keys(events, ["app"])
    assert spans_data(by_app) == [(0, 15, {"app": "a"}), (10, 15, {"app": "b"}), (20, 21, {})]
    by_both = tf.merge_events_by_keys(events, ["app", "title"])
    assert spans_data(by_both)[0] == (0, 12, {"app": "a", "title": "t1"})
    assert len(by_both) == 4
    assert tf.merge_events_by_keys(events, []) == events


def test_merge_by_list_values_and_distinct_types() -> None:
    events = [
        ev(0, 1, **{"$category": ["Work", "Programming"]}),
        ev(1, 3, **{"$category": ["Work", "Programming"]}),
        ev(3, 4, **{"$category": ["Work"]}),
        ev(4, 5, n=1),
        ev(5, 6, n=True),
    ]
    merged = tf.merge_events_by_keys(events, ["$category"])
    assert [(d, e - s) for s, e, d in spans_data(merged)] == [
        ({"$category": ["Work", "Programming"]}, 3),
        ({"$category": ["Work"]}, 1),
        ({}, 2),
    ]
    assert len(tf.merge_events_by_keys(events[3:], ["n"])) == 2


def test_chunk_events_by_key() -> None:
    events = [
        ev(0, 2, app="a"),
        ev(3, 5, app="a"),
        ev(5, 6, app="b"),
        ev(20, 21, app="b"),
        ev(21, 22),
    ]
    chunks = tf.chunk_events_by_key(events, "app", 5 * S)
    assert [(s, e, d["app"], len(d["subevents"])) for s, e, d in spans_data(chunks)] == [
        (0, 4, "a", 2),
        (5, 6, "b", 1),
        (20, 21, "b", 1),
    ]
    assert chunks[0].data["subevents"] == events[:2]


def test_flood_merges_equal_data_across_small_gap() -> None:
    result = tf.flood([ev(3, 4, test=1), ev(0, 1, test=1)], 5 * S)
    assert spans_data(result) == [(0, 4, {"test": 1})]


def test_flood_splits_gap_between_different_data() -> None:
    result = tf.flood([ev(0, 1, test=1), ev(3, 4, test=2)], 5 * S)
    assert spans_data(result) == [(0, 2, {"test": 1}), (2, 4, {"test": 2})]


def test_flood_leaves_large_gaps_and_drops_zero_duration() -> None:
    result = tf.flood([ev(0, 1, a=1), ev(10, 11, a=1), ev(20, 20, a=2)], 5 * S)
    assert spans(result) == [(0, 1), (10, 11)]


def test_flood_overlaps() -> None:
    # equal data overlapping: merged
    assert spans(tf.flood([ev(0, 5, a=1), ev(2, 8, a=1)], 5 * S)) == [(0, 8)]
    # different data: the later start wins, the earlier is cut short
    result = tf.flood([ev(0, 5, a=1), ev(2, 8, a=2)], 0)
    assert spans_data(result) == [(0, 2, {"a": 1}), (2, 8, {"a": 2})]
    # a fully covered earlier event disappears
    result = tf.flood([ev(0, 5, a=1), ev(0, 8, a=2), ev(9, 10, a=1)], 0)
    assert spans_data(result) == [(0, 8, {"a": 2}), (9, 10, {"a": 1})]


def test_flood_same_timestamp_afk_case() -> None:
    # From ActivityWatch's own flood tests: duplicated heartbeat inside a longer one.
    events = [
        ev(0, 1, status="afk"),
        ev(1, 6, status="not-afk"),
        ev(1, 2, status="not-afk"),
        ev(6, 7, status="afk"),
    ]
    result = tf.flood(events, 5 * S)
    assert spans_data(result) == [
        (0, 1, {"status": "afk"}),
        (1, 6, {"status": "not-afk"}),
        (6, 7, {"status": "afk"}),
    ]


def test_flood_does_not_mutate_input() -> None:
    events = [ev(0, 1, a=1), ev(3, 4, a=2)]
    tf.flood(events, 5 * S)
    assert spans(events) == [(0, 1), (3, 4)]


def test_split_url_events() -> None:
    url = "https://www.github.com/org/repo;p?q=1#frag"
    result = tf.split_url_events([ev(0, 1, url=url, title="x"), ev(1, 2, title="no url")])
    assert result[0].data == {
        "url": url,
        "title": "x",
        "$protocol": "https",
        "$domain": "github.com",
        "$path": "/org/repo",
        "$params": "p",
        "$options": "q=1",
        "$identifier": "frag",
    }
    assert result[1].data == {"title": "no url"}


def test_simplify_window_titles() -> None:
    events = [
        ev(0, 1, app="Code", title="● main.py - Visual Studio Code"),
        ev(1, 2, app="Firefox", title="(3) Inbox - Mail"),
        ev(2, 3, app="Cemu", title="Cemu - FPS: 59.2 - Zelda"),
        ev(3, 4, url="x", title="* not a window title"),
    ]
    titles = [e.data["title"] for e in tf.simplify_window_titles(events, "title")]
    assert titles == [
        "main.py - Visual Studio Code",
        "Inbox - Mail",
        "Cemu - FPS: ... - Zelda",
        "* not a window title",
    ]
    assert events[0].data["title"].startswith("●")


def test_categorize_and_tag_set_keys_without_mutating() -> None:
    categorizer = Categorizer(
        [
            (["Work"], Rule.regex_rule("code|term")),
            (["Work", "Programming"], Rule.regex_rule("code")),
        ]
    )
    shared = {"app": "code"}
    events = [ev(0, 1, app="term"), ev(1, 2, app="mail"), ev(2, 3), ev(3, 4)]
    events[2].data = shared
    events[3].data = shared
    result = tf.categorize(events, categorizer)
    assert [e.data["$category"] for e in result] == [
        ["Work"],
        ["Uncategorized"],
        ["Work", "Programming"],
        ["Work", "Programming"],
    ]
    assert result[2].data is result[3].data  # one copy per distinct data object
    assert "$category" not in shared
    tagger = Tagger([("dev", Rule.regex_rule("code")), ("any", Rule.regex_rule("."))])
    assert [e.data["$tags"] for e in tf.tag(events[:3], tagger)] == [
        ["any"],
        ["any"],
        ["dev", "any"],
    ]
