"""Each query function through run_query, plus interpreter errors."""

from __future__ import annotations

from typing import Any

import pytest
from timelygator.core.event import Event
from timelygator.core.query import MemoryDataSource, QueryError, run_query

from tests.core.query.helpers import S, ev

DAY = "1970-01-01T00:00:00+00:00/1970-01-02T00:00:00+00:00"


@pytest.fixture
def source() -> MemoryDataSource:
    return MemoryDataSource(
        {
            "aw-watcher-window_laptop": [
                ev(0, 10, app="code", title="main.py"),
                ev(10, 25, app="firefox", title="GitHub"),
                ev(25, 30, app="code", title="main.py"),
            ],
            "aw-watcher-window_desktop": [ev(0, 5, app="term", title="sh")],
            "aw-watcher-afk_laptop": [ev(0, 20, status="not-afk"), ev(20, 40, status="afk")],
            "exact": [ev(86_000, 86_500, n=1)],
            "exact-more": [],
        },
        hostnames={"aw-watcher-window_laptop": "laptop", "aw-watcher-window_desktop": "desktop"},
    )


def run(source: MemoryDataSource, query: str, period: str = DAY) -> Any:
    return run_query(query, [period], source)[0]


def test_query_bucket_clips_and_returns_newest_first(source: MemoryDataSource) -> None:
    period = "1970-01-01T00:00:05Z/1970-01-01T00:00:27Z"
    result = run(source, 'RETURN = query_bucket("aw-watcher-window_laptop");', period)
    assert result == [
        {"id": None, "timestamp": "1970-01-01T00:00:25.000000+00:00", "duration": 2.0,
         "data": {"app": "code", "title": "main.py"}},
        {"id": None, "timestamp": "1970-01-01T00:00:10.000000+00:00", "duration": 15.0,
         "data": {"app": "firefox", "title": "GitHub"}},
        {"id": None, "timestamp": "1970-01-01T00:00:05.000000+00:00", "duration": 5.0,
         "data": {"app": "code", "title": "main.py"}},
    ]  # fmt: skip


def test_one_result_per_timeperiod(source: MemoryDataSource) -> None:
    periods = [
        "1970-01-01T00:00:00Z/1970-01-01T00:00:10Z",
        "1970-01-01T00:00:10Z/1970-01-01T01:00:00Z",
    ]
    query = ['w = query_bucket("aw-watcher-window_laptop");', "RETURN = sum_durations(w);"]
    assert run_query(query, periods, source) == [10.0, 20.0]


def test_predefined_variables(source: MemoryDataSource) -> None:
    result = run(
        source,
        "RETURN = [TIMEINTERVAL, STARTTIME, ENDTIME];",
        "1970-01-01T01:00:00+01:00/1970-01-01T02:00:00Z",
    )
    assert result == [
        "1970-01-01T00:00:00.000000+00:00/1970-01-01T02:00:00.000000+00:00",
        "1970-01-01T00:00:00.000000+00:00",
        "1970-01-01T02:00:00.000000+00:00",
    ]


def test_find_bucket(source: MemoryDataSource) -> None:
    assert run(source, 'RETURN = find_bucket("aw-watcher-window_");') == "aw-watcher-window_laptop"
    assert (
        run(source, 'RETURN = find_bucket("aw-watcher-window_", "desktop");')
        == "aw-watcher-window_desktop"
    )
    assert run(source, 'RETURN = find_bucket("exact");') == "exact"
    with pytest.raises(QueryError, match="No bucket matches 'nope'"):
        run(source, 'RETURN = find_bucket("nope");')
    with pytest.raises(QueryError, match="on host 'other'"):
        run(source, 'RETURN = find_bucket("aw-watcher-window_", "other");')


def test_bucket_names_and_counts(source: MemoryDataSource) -> None:
    assert run(source, "RETURN = query_bucket_names();") == [
        "aw-watcher-window_laptop", "aw-watcher-window_desktop", "aw-watcher-afk_laptop",
        "exact", "exact-more",
    ]  # fmt: skip
    period = "1970-01-01T00:00:12Z/1970-01-01T00:00:26Z"
    assert run(source, 'RETURN = query_bucket_eventcount("aw-watcher-window_laptop");', period) == 2


def test_unknown_bucket_is_a_query_error(source: MemoryDataSource) -> None:
    with pytest.raises(QueryError, match="There is no bucket named 'missing'") as info:
        run(source, 'RETURN = query_bucket("missing");')
    assert (info.value.line, info.value.column) == (1, 10)
    with pytest.raises(QueryError, match="no bucket named 'missing'"):
        run(source, 'RETURN = query_bucket_eventcount("missing");')


def test_filters(source: MemoryDataSource) -> None:
    base = 'w = query_bucket("aw-watcher-window_laptop");'
    keep = run(source, base + 'RETURN = sum_durations(filter_keyvals(w, "app", ["code"]));')
    drop = run(source, base + 'RETURN = sum_durations(exclude_keyvals(w, "app", ["code"]));')
    regex = run(source, base + 'RETURN = sum_durations(filter_keyvals_regex(w, "title", "^Git"));')
    assert (keep, drop, regex) == (15.0, 15.0, 15.0)


def test_not_afk_intersection_and_unions(source: MemoryDataSource) -> None:
    query = """
    w = query_bucket("aw-watcher-window_laptop");
    afk = query_bucket("aw-watcher-afk_laptop");
    active = filter_keyvals(afk, "status", ["not-afk"]);
    RETURN = [sum_durations(filter_period_intersect(w, active)),
              sum_durations(period_union(active, query_bucket("aw-watcher-window_desktop"))),
              sum_durations(union_no_overlap(w, afk))];
    """
    assert run(source, query) == [20.0, 20.0, 40.0]


def test_merge_sort_limit(source: MemoryDataSource) -> None:
    query = """
    w = query_bucket("aw-watcher-window_laptop");
    m = sort_by_duration(merge_events_by_keys(w, ["app"]));
    RETURN = limit_events(m, 1);
    """
    result = run(source, query)
    assert [(e["data"], e["duration"]) for e in result] == [({"app": "code"}, 15.0)]
    query = 'RETURN = sort_by_timestamp(query_bucket("aw-watcher-window_laptop"));'
    assert [e["timestamp"][-18:-13] for e in run(source, query)] == ["00:00", "00:10", "00:25"]


def test_flood_and_chunk(source: MemoryDataSource) -> None:
    events = [ev(0, 1, a=1), ev(3, 4, a=1), ev(30, 31, a=1)]
    src = MemoryDataSource({"b": events})
    assert run(src, 'RETURN = sum_durations(flood(query_bucket("b")));') == 5.0
    assert run(src, 'RETURN = sum_durations(flood(query_bucket("b"), 1));') == 3.0
    chunks = run(src, 'RETURN = chunk_events_by_key(sort_by_timestamp(query_bucket("b")), "a");')
    assert [(c["duration"], len(c["data"]["subevents"])) for c in chunks] == [(2.0, 2), (1.0, 1)]
    assert chunks[0]["data"]["subevents"][0]["duration"] == 1.0
    with pytest.raises(QueryError, match="pulsetime must be a number of seconds from 0"):
        run(src, 'RETURN = flood(query_bucket("b"), -1);')


def test_concat_contains_nop(source: MemoryDataSource) -> None:
    assert run(source, "RETURN = concat([1, 2], [3]);") == [1, 2, 3]
    assert run(
        source, 'RETURN = [contains([1, "a"], "a"), contains({"k": 1}, "k"), contains([1], 2)];'
    ) == [True, True, False]
    assert run(source, "RETURN = nop();") == 1
    with pytest.raises(QueryError, match="must be a list or a dict, got a number"):
        run(source, "RETURN = contains(1, 2);")


def test_split_url_simplify_categorize_tag() -> None:
    src = MemoryDataSource(
        {"web": [ev(0, 5, url="https://www.youtube.com/watch?v=1", title="(2) Cats - YouTube")]}
    )
    query = """
    e = simplify_window_titles(split_url_events(query_bucket("web")), "title");
    e = categorize(e, [[["Media", "Video"],
                        {"type": "regex", "regex": "youtube", "ignore_case": true}]]);
    e = tag(e, [["fun", {"type": "regex", "regex": "Cats"}], ["none", {"type": "none"}]]);
    RETURN = e;
    """
    data = run(src, query)[0]["data"]
    assert data["$domain"] == "youtube.com"
    assert data["title"] == "Cats - YouTube"
    assert data["$category"] == ["Media", "Video"]
    assert data["$tags"] == ["fun"]


def test_values_and_dicts_are_returned_as_json(source: MemoryDataSource) -> None:
    result = run(source, 'a = 1.5; b = {"x": [a, "s", true, null]}; RETURN = b;')
    assert result == {"x": [1.5, "s", True, None]}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("RETURN = foo(1);", "Unknown function 'foo' (at line 1, column 10)"),
        ("x = 1;\nRETURN = y;", "Unknown variable 'y' (at line 2, column 10)"),
        ("x = nop;", "Unknown variable 'nop' (functions need parentheses) (at line 1, column 5)"),
        ("x = 1;", "The query has no RETURN statement"),
        (
            "RETURN = flood(1);",
            "Argument 1 (events) of flood() must be a list of events, got a number",
        ),
        ("RETURN = flood([1]);", "must be a list of events, got a list that is not all events"),
        ("RETURN = flood();", "flood(events, pulsetime?) takes 1 to 2 arguments, got 0"),
        ("RETURN = nop(1);", "nop() takes 0 arguments, got 1"),
        ("RETURN = sum_durations([], 1);", "sum_durations(events) takes 1 argument, got 2"),
        (
            'RETURN = limit_events([], "3");',
            "Argument 2 (count) of limit_events() must be an integer",
        ),
        ("RETURN = merge_events_by_keys([], [1]);", "must be a list of strings, got a list"),
        ('RETURN = filter_keyvals_regex([], "k", "(");', "Invalid regular expression '('"),
        ('RETURN = categorize([], [["Work", {}]]);', "the category must be a list of strings"),
    ],
)
def test_errors(source: MemoryDataSource, query: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        run(source, query)
    assert message in str(info.value)


def test_bad_timeperiods(source: MemoryDataSource) -> None:
    with pytest.raises(QueryError, match="Invalid timeperiod 'yesterday'"):
        run_query("RETURN = 1;", ["yesterday"], source)
    with pytest.raises(QueryError, match="end is before the start"):
        run_query("RETURN = 1;", ["1970-01-02T00:00:00Z/1970-01-01T00:00:00Z"], source)
    assert run_query("RETURN = 1;", [], source) == []


def test_query_does_not_change_stored_events(source: MemoryDataSource) -> None:
    query = """
    w = query_bucket("aw-watcher-window_laptop");
    c = categorize(split_url_events(flood(w)), [[["A"], {"type": "regex", "regex": "."}]]);
    RETURN = w;
    """
    result = run(source, query)
    assert all("$category" not in e["data"] for e in result)
    stored = source.bucket_events("aw-watcher-window_laptop", 0, 100 * S)
    assert all(isinstance(e, Event) and "$category" not in e.data for e in stored)
