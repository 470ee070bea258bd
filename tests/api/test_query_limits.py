"""A read token cannot freeze or exhaust the server through queries, category rules or rule
previews: patterns run in linear time, queries have budgets, writes go on meanwhile."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from timelygator.core import tokens
from timelygator.core.api import ApiConfig, ApiServer
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.helpers.marks import DEADLINE_IN_THREAD

S = 1_000_000
T0 = 1_714_557_600 * S  # 2024-05-01T10:00:00Z
DAY = ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"]


def query(client: TestClient, statements: str) -> Any:
    return client.post("/api/0/query/", json={"timeperiods": DAY, "query": [statements]})


def fill(services: Services, count: int, title: str = "a" * 28 + "!") -> None:
    key = services.ensure_bucket("win", type="currentwindow", client="t", hostname="h")
    events = [Event(T0 + i * S, T0 + i * S + S, {"title": f"{title}{i}"}) for i in range(count)]
    services.writer.insert_events(key, events).result()


def test_the_audits_redos_query_answers_at_once(client: TestClient, services: Services) -> None:
    fill(
        services, 50
    )  # Python's re would backtrack for hours on these titles: an answer is the check
    resp = query(client, 'RETURN = filter_keyvals_regex(query_bucket("win"), "title", "(a+)+$");')
    assert resp.status_code == 200 and resp.json() == [[]]
    bad = query(client, 'RETURN = filter_keyvals_regex(query_bucket("win"), "title", "(?<=a)b");')
    assert bad.status_code == 400
    assert "lookbehind '(?<=...)'" in bad.json()["message"]


def test_query_limits_are_400s_naming_the_limit(
    make_client: Any, make_token: Any, services: Services
) -> None:
    fill(services, 100)
    client = make_client(
        make_token("read"),
        query_max_items=10_000,
        query_max_events=150,
        query_max_answer_bytes=5000,
    )
    bomb = client.post(
        "/api/0/query/",
        json={
            "timeperiods": DAY,
            "query": ["x = [1];", *["x = concat(x, x);"] * 60, "RETURN = x;"],
        },
    )
    assert bomb.status_code == 400
    assert "more than 10000 items, its limit" in bomb.json()["message"]
    events = query(client, 'a = query_bucket("win"); b = query_bucket("win"); RETURN = 1;')
    assert events.status_code == 400
    assert "more than its limit of 150 events" in events.json()["message"]
    answer = query(client, 'RETURN = query_bucket("win");')
    assert answer.status_code == 400
    assert "more than its limit of 5000" in answer.json()["message"]
    overflow = query(client, 'RETURN = flood(query_bucket("win"), 1e999);')
    assert overflow.status_code == 400
    assert overflow.json()["message"].startswith("The number 1e999 is out of range")


def test_category_rules_and_previews_use_the_same_engine(
    client: TestClient, services: Services
) -> None:
    fill(services, 50, "a" * 3000)
    rule = {"type": "regex", "regex": "(a+)+$"}  # exponential for a backtracking engine
    preview = client.post(
        "/api/0/categories/preview",
        json={"name": ["Slow"], "rule": rule, "start": "2024-05-01T00:00:00Z",
              "end": "2024-05-02T00:00:00Z"},
    )  # fmt: skip
    assert preview.status_code == 200
    assert preview.json()["matched_events"] == 0
    stored = client.put("/api/0/categories", json=[{"name": ["Slow"], "rule": rule}])
    assert stored.status_code == 200
    summary = client.get("/api/0/summary?day=2024-05-01")
    assert summary.status_code == 200
    refused = client.put(
        "/api/0/categories",
        json=[{"name": ["Ahead"], "rule": {"type": "regex", "regex": "a(?=b)"}}],
    )
    assert refused.status_code == 400
    assert refused.json()["message"].startswith(
        "Category 'Ahead': Invalid regular expression 'a(?=b)': it uses lookahead '(?=...)'."
    )


@pytest.fixture
def server(dirs: AppDirs) -> Iterator[tuple[Services, ApiServer]]:
    with Services.open(dirs, "query limits", max_delay=0.05) as services:
        api = ApiServer(services, ApiConfig(port=0, hostname="h", query_timeout_s=1.0))
        api.start()
        try:
            yield services, api
        finally:
            api.stop()


@DEADLINE_IN_THREAD
def test_a_query_over_its_time_limit_is_stopped_and_writes_go_on_meanwhile(
    server: tuple[Services, ApiServer],
) -> None:
    services, api = server
    fill(services, 100_000)
    secret = tokens.create(services.writer, services.user_id, "write").result().secret
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    rules = [[["R", str(i)], {"type": "regex", "regex": f"z{i}q"}] for i in range(300)]
    slow = {
        "timeperiods": DAY,
        "query": [f'RETURN = categorize(query_bucket("win"), {json.dumps(rules)});'],
    }
    outcome: dict[str, Any] = {}

    def run_slow() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
        conn.request("POST", "/api/0/query/", json.dumps(slow), headers)
        resp = conn.getresponse()
        outcome["status"], outcome["body"] = resp.status, json.loads(resp.read())

    thread = threading.Thread(target=run_slow)
    thread.start()
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
    beats = 0
    while thread.is_alive() and beats < 500:
        event = {"timestamp": "2024-05-02T10:00:00Z", "duration": beats, "data": {"app": "x"}}
        conn.request("POST", "/api/0/buckets/win/heartbeat?pulsetime=5", json.dumps(event), headers)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
        beats += 1
    thread.join(30)
    assert outcome["status"] == 400
    assert "time limit of 1 s" in outcome["body"]["message"]
    # Heartbeats went on while the query ran (how fast they were then is a benchmark figure:
    # tests/benchmarks/hostile_load.py).
    assert beats > 5
