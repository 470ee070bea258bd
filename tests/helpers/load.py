"""Good and hostile API clients, for the concurrency test and the hostile-load benchmark.

A good client is a watcher: heartbeats on a keep-alive connection at a steady cadence, an
insert now and then, each answer timed. Hostile clients loop until told to stop: bad imports
(lone surrogates, times outside the range), ReDoS queries, concat bombs, floods of wrong
tokens. Only the standard library (``http.client``), so any process can run them.
"""

from __future__ import annotations

import http.client
import json
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

REDOS = [
    'RETURN = filter_keyvals_regex(query_bucket("{bucket}"), "title", "(a+)+$");',
    'RETURN = categorize(query_bucket("{bucket}"), [[["X"], {{"type": "regex", '
    '"regex": "(x+x+)+y"}}], [["Y"], {{"type": "regex", "regex": "(a|aa)*c"}}]]);',
]
BOMBS = [
    'x = query_bucket("{bucket}");' + "x = concat(x, x);" * 40 + "RETURN = x;",
    "x = [1, 2];" + "x = [x, x];" * 60 + "RETURN = x;",
]
BAD_IMPORTS = [
    '{"buckets": {"imp": {"type": "t\\ud800", "events": []}}}',
    '{"buckets": {"imp": {"type": "t", "events": [{"timestamp": "9999-12-31T23:59:59Z", '
    '"duration": 10}]}}}',
    '{"buckets": {"imp": {"type": "t", "created": "0001-01-01T00:00:00+01:00"}}}',
    '{"buckets": {"imp": {"type": "t", "events": [{"timestamp": "2024-01-01T00:00:00Z", '
    '"data": {"t": "\\udc00"}}]}}}',
]
PERIOD = ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"]


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def request(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    token: str | None,
    body: bytes | None = None,
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


@dataclass
class GoodResult:
    latencies: list[float] = field(default_factory=list)  # seconds, every request
    statuses: Counter[int] = field(default_factory=Counter)
    acknowledged: dict[int, str] = field(default_factory=dict)  # event id -> bucket


def good_client(
    port: int,
    token: str,
    bucket: str,
    *,
    seconds: float | None = None,
    beats: int | None = None,
    interval_s: float = 0.02,
    day: str = "2024-06-01",
) -> GoodResult:
    """A watcher: a heartbeat every ``interval_s`` (new data every 10th), an insert of 10
    events every 50th request; for ``seconds`` or ``beats`` requests."""
    result = GoodResult()
    conn = connect(port)
    path = f"/api/0/buckets/{bucket}"
    request(conn, "POST", path, token, json.dumps({"type": "currentwindow"}).encode())
    end = None if seconds is None else time.monotonic() + seconds
    wait = threading.Event()
    n = 0
    while (beats is None or n < beats) and (end is None or time.monotonic() < end):
        clock = f"{day}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
        if n % 50 == 49:
            body = [
                {"timestamp": f"{day}T23:59:{i:02d}Z", "duration": 0.5, "data": {"bulk": n}}
                for i in range(10)
            ]
            target = path + "/events"
        else:
            body = {"timestamp": clock, "duration": 1, "data": {"app": f"app{n // 10}"}}  # type: ignore[assignment]
            target = path + "/heartbeat?pulsetime=2"
        start = time.monotonic()
        status, raw = request(conn, "POST", target, token, json.dumps(body).encode())
        result.latencies.append(time.monotonic() - start)
        result.statuses[status] += 1
        if status == 200:
            answer: Any = json.loads(raw)
            for event in answer if isinstance(answer, list) else [answer]:
                result.acknowledged[int(event["id"])] = bucket
        n += 1
        wait.wait(max(0.0, interval_s - (time.monotonic() - start)))
    conn.close()
    return result


def hostile_client(kind: str, port: int, token: str, stop: threading.Event,
                   bucket: str = "victim") -> Counter[int]:  # fmt: skip
    """Loop one kind of abuse until ``stop``; returns the statuses it got."""
    statuses: Counter[int] = Counter()
    conn = connect(port)
    rng = random.Random(kind)
    while not stop.is_set():
        try:
            if kind == "auth_flood":
                fake = "tg_" + "".join(rng.choice("abcdefghijk") for _ in range(43))
                status, _ = request(conn, "GET", "/api/0/buckets/", fake)
            elif kind == "bad_import":
                body = rng.choice(BAD_IMPORTS).encode()
                status, _ = request(conn, "POST", "/api/0/import", token, body)
            elif kind in ("redos", "bomb"):
                statement = rng.choice(REDOS if kind == "redos" else BOMBS).format(bucket=bucket)
                body = json.dumps({"timeperiods": PERIOD, "query": [statement]}).encode()
                status, _ = request(conn, "POST", "/api/0/query/", token, body)
            else:
                raise ValueError(kind)
        except (http.client.HTTPException, OSError):
            conn.close()
            conn = connect(port)
            status = -1
        statuses[status] += 1
        if status == 429:  # told to wait: a persistent attacker comes right back
            conn.close()
            conn = connect(port)
    conn.close()
    return statuses


HOSTILE_KINDS = ("auth_flood", "bad_import", "redos", "bomb")


def victim_events(count: int = 2000) -> list[dict[str, Any]]:
    """Events with long titles for the ReDoS queries to chew on."""
    return [
        {"timestamp": f"2024-05-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
         "duration": 1, "data": {"title": "a" * 3000 + str(i)}}
        for i in range(count)
    ]  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))  # nearest rank
    return ordered[index]
