"""A query cannot stall or exhaust anything: linear-time regexes, and budgets for time,
events, items and answer size that stop it with a message naming the limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from timelygator.core.event import Event
from timelygator.core.patterns import compile_pattern
from timelygator.core.query import MemoryDataSource, QueryError, run_query
from timelygator.core.query.budget import QueryBudget, QueryLimitError, run_with_deadline

from tests.helpers.marks import DEADLINE_IN_THREAD

S = 1_000_000
T0 = 1_714_557_600 * S  # 2024-05-01T10:00:00Z
PERIOD = ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"]


def source(count: int, title: str = "a" * 28 + "!") -> MemoryDataSource:
    events = [Event(T0 + i * S, T0 + i * S + S, {"title": f"{title}{i}"}) for i in range(count)]
    return MemoryDataSource({"b": events})


def run(src: MemoryDataSource, query: str, budget: QueryBudget | None = None) -> Any:
    budget = (budget or QueryBudget()).start()
    return run_with_deadline(lambda: run_query(query, PERIOD, src, budget)[0], budget)


def test_pathological_regexes_run_in_linear_time() -> None:
    """The audit's example took 9.4 s on one 28-character title with Python's re; here are
    2000 titles of 5000 characters, which a backtracking engine would never finish (the
    suite's timeout would fail the test): answering at all is the check, not a time."""
    src = source(2000, "a" * 5000)
    found = run(src, 'RETURN = filter_keyvals_regex(query_bucket("b"), "title", "(a+)+$");')
    assert len(found) == 0  # every title ends with a digit
    found = run(src, 'RETURN = filter_keyvals_regex(query_bucket("b"), "title", "(a+)+7$");')
    assert [e["data"]["title"][-1] for e in found] == ["7"] * len(found) and found
    rules = '[[["Slow"], {"type": "regex", "regex": "(x+x+)+y"}]]'
    got = run(src, f'RETURN = categorize(query_bucket("b"), {rules});')
    assert {e["data"]["$category"][0] for e in got} == {"Uncategorized"}


@pytest.mark.parametrize(
    ("regex", "words"),
    [
        ("(?=a)b", "lookahead"),
        ("(?<!a)b", "negative lookbehind"),
        ("(a)\\\\1", "back-references"),
        ("a{5000}", "repetition counts over 1000"),
    ],
)
def test_syntax_re2_lacks_is_refused_with_a_clear_message(regex: str, words: str) -> None:
    with pytest.raises(QueryError, match=words) as caught:
        run(source(1), f'RETURN = filter_keyvals_regex(query_bucket("b"), "title", "{regex}");')
    assert "linear time" in str(caught.value)
    assert "Error" not in str(caught.value)


def test_a_concat_bomb_stops_at_the_item_limit() -> None:
    bomb = 'x = query_bucket("b");' + "x = concat(x, x);" * 40 + "RETURN = x;"  # 2^40 items
    with pytest.raises(QueryLimitError, match="more than 100000 items, its limit") as caught:
        run(source(100), bomb, QueryBudget(max_items=100_000))
    assert "concat()" in str(caught.value)


def test_a_nested_list_bomb_stops_at_the_item_limit() -> None:
    """``x = [x, x]`` shares its parts, but serialising it would not."""
    bomb = "x = [1, 2];" + "x = [x, x];" * 64 + "RETURN = x;"
    with pytest.raises(QueryLimitError, match="builds a list of more than 1000000 items"):
        run(source(1), bomb)
    dict_bomb = 'x = {"a": 1};' + 'x = {"a": x, "b": x};' * 64 + "RETURN = x;"
    with pytest.raises(QueryLimitError, match="builds a dict of more than"):
        run(source(1), dict_bomb)


def test_events_read_are_limited_per_query() -> None:
    query = 'a = query_bucket("b"); b = query_bucket("b"); RETURN = concat(a, b);'
    assert len(run(source(40), query, QueryBudget(max_events=80))) == 80
    with pytest.raises(QueryLimitError, match="more than its limit of 79 events"):
        run(source(40), query, QueryBudget(max_events=79))


def test_the_answer_size_is_limited() -> None:
    budget = QueryBudget(max_answer_bytes=1000).start()
    answer = run_query('RETURN = query_bucket("b");', PERIOD, source(100), budget)
    with pytest.raises(QueryLimitError, match="more than its limit of 1000"):
        budget.check_answer(len(json.dumps(answer)))


@DEADLINE_IN_THREAD
def test_the_deadline_stops_a_long_query_inside_a_function() -> None:
    """One call that runs long (many events, many rules) is stopped where it is."""
    src = source(100_000)
    rules = json.dumps([[["R", str(i)], {"type": "regex", "regex": f"z{i}q"}] for i in range(300)])
    budget = QueryBudget(timeout_s=0.3)
    with pytest.raises(QueryLimitError, match=r"time limit of 0\.3 s"):
        run(src, f'RETURN = categorize(query_bucket("b"), {rules});', budget)
    assert compile_pattern("z1q").search("az1qb")  # the thread goes on normally


def test_numbers_out_of_range_are_query_errors() -> None:
    for query, words in (
        ('RETURN = flood(query_bucket("b"), 1e999);', "out of range"),
        ('RETURN = flood(query_bucket("b"), 99999999999);', "pulsetime must be a number"),
        ("RETURN = " + "9" * 5000 + ";", "out of range"),
        ('RETURN = "\\ud800";', "lone surrogate"),
    ):
        with pytest.raises(QueryError, match=words) as caught:
            run(source(1), query)
        assert "Error" not in str(caught.value)
