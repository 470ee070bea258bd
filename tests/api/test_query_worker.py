"""Queries in worker processes (``timelygator serve``'s default): same answers as on threads,
the same limits, and a worker that overruns its deadline is ended and replaced."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from timelygator.core import tokens
from timelygator.core.api import ApiConfig, ApiServer
from timelygator.core.api.query_worker import QueryWorkers
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.query.budget import QueryBudget, QueryLimitError
from timelygator.core.services import Services

from tests.helpers.marks import DEADLINE_IN_THREAD

S = 1_000_000
T0 = 1_714_557_600 * S  # 2024-05-01T10:00:00Z
DAY = ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"]
SLOW = (
    'RETURN = categorize(query_bucket("win"), '
    + json.dumps([[["R", str(i)], {"type": "regex", "regex": f"z{i}q"}] for i in range(2000)])
    + ");"
)


@pytest.fixture
def services(dirs: AppDirs) -> Iterator[Services]:
    with Services.open(dirs, "query worker passphrase", max_delay=0.05) as opened:
        key = opened.ensure_bucket("win", type="currentwindow", client="t", hostname="h")
        opened.writer.insert_events(
            key,
            [Event(T0 + i * S, T0 + i * S + S, {"app": f"a{i % 7}", "title": f"t{i}"})
             for i in range(20_000)],
        ).result()  # fmt: skip
        yield opened


def post_query(port: int, secret: str, statement: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"timeperiods": DAY, "query": [statement]})
    conn.request("POST", "/api/0/query/", body, {"Authorization": f"Bearer {secret}"})
    resp = conn.getresponse()
    answer = json.loads(resp.read())
    conn.close()
    return resp.status, answer


@DEADLINE_IN_THREAD
def test_queries_in_worker_processes_answer_as_on_threads(services: Services) -> None:
    secret = tokens.create(services.writer, services.user_id, "read").result().secret
    merge = 'RETURN = sort_by_duration(merge_events_by_keys(query_bucket("win"), ["app"]));'
    answers = {}
    for processes in (0, 1):
        config = ApiConfig(port=0, hostname="h", query_processes=processes, query_timeout_s=1.0)
        with ApiServer(services, config) as server:
            status, answers[processes] = post_query(server.port, secret, merge)
            assert status == 200, (processes, answers[processes])
            status, slow = post_query(server.port, secret, SLOW)
            assert status == 400 and "time limit of 1 s" in slow["message"]
            status, bomb = post_query(server.port, secret, "x = [1];" + "x = [x, x];" * 40)
            assert status == 400 and "more than 2000000 items" in bomb["message"]
            assert post_query(server.port, secret, merge)[1] == answers[processes]
    assert answers[0] == answers[1]
    assert [e["data"]["app"] for e in answers[1][0]][:1] in (["a0"], ["a1"])


def test_a_worker_past_its_deadline_is_ended_and_replaced(services: Services) -> None:
    workers = QueryWorkers(services.store, 1)
    try:
        budget = QueryBudget(timeout_s=0.3).start()
        worker = workers._all[0]
        worker.start()
        first = worker.process
        # The worker believes it has 30 s; the server stops waiting after 0.3 s + grace.
        limits = {**asdict(QueryBudget(timeout_s=30.0)), "deadline": 0.0}
        for name in ("deadline", "events_read", "sizes"):
            limits.pop(name)
        with pytest.raises(QueryLimitError, match=r"time limit of 0\.3 s"):
            worker.run((services.user_id, SLOW, DAY, limits), budget)  # not the worker's 30 s
        assert not first.is_alive()
        answer = workers.run(services.user_id, "RETURN = 42;", DAY, QueryBudget().start())
        assert json.loads(answer) == [42]
        assert worker.process is not first and worker.process.is_alive()
    finally:
        workers.close()
