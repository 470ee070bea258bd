"""Property-based, against the real server (uvicorn on 127.0.0.1, a free port, a real admin
token): every route, with what a careless or hostile client sends — times outside the range,
lone surrogates, bytes that are not UTF-8, huge numbers, pathological regexes, query bombs.

No answer is a 5xx, none stalls (a query is stopped after 1.5 s here; an answer taking
8 s means the server hung, with slack for a loaded CI machine); afterwards
``timelygator db check`` passes and every write the server acknowledged (and nothing later
deleted) is in the database.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timelygator.core import reader, settings_store, tokens
from timelygator.core.api import ApiConfig, ApiServer
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.api.test_security import all_routes
from tests.helpers.cli import run_cli

PASS = "hostile server passphrase"
BUCKETS = ["b1", "b2", "aw-watcher-window_h", "été"]
REGEXES = ["(a+)+$", "(x+x+)+y", "(?=a)b", "(a)\\1", "a{5000}", "[", "(a|aa)*$", ".*" * 50, "é"]
BAD_TIMES = [
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+01:00",
    "1969-12-31T23:59:59Z",
    "2199-12-31T23:59:59Z",
    "2024-02-30T00:00:00Z",
    "yesterday",
    "",
    "2024-05-01T10:00:00\ud800Z",
]
WRITES_EVENTS = ("/api/0/buckets/{bucket_id}/events", "/api/0/buckets/{bucket_id}/heartbeat")
HUGE = [10**30, -(10**30), 2**63, 2**62, -1, 0, 1e300, 1e-300]
SURROGATES = ["\ud800", "a\udc00b", "\udbff"]

texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(SURROGATES),
    st.text(max_size=6).map(lambda t: t + "\ud800"),
)
# Plain values first: hypothesis leans to the first choices, and the run needs writes that
# succeed as well as ones that must fail.
times = st.one_of(
    st.integers(0, 86_399).map(
        lambda s: f"2024-05-01T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z"
    ),
    st.sampled_from(BAD_TIMES),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)
numbers = st.one_of(st.integers(0, 100), st.sampled_from(HUGE), st.integers(), st.floats())
json_values = st.recursive(
    st.none() | st.booleans() | numbers | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
events = st.fixed_dictionaries(
    {"timestamp": times},
    optional={
        "duration": numbers,
        "data": st.dictionaries(st.sampled_from(["app", "title", "url", "x"]), json_values | texts,
                                max_size=3),
        "id": st.one_of(st.none(), st.integers(-3, 50), st.sampled_from(HUGE)),
    },
)  # fmt: skip
rules = st.fixed_dictionaries(
    {"type": st.sampled_from(["regex", "none", "junk"]), "regex": st.sampled_from(REGEXES) | texts},
    optional={"ignore_case": st.booleans(), "priority": numbers},
)
categories = st.lists(
    st.fixed_dictionaries(
        {"name": st.lists(texts, min_size=1, max_size=3), "rule": rules},
        optional={"data": st.fixed_dictionaries({}, optional={"color": texts, "score": numbers})},
    ),
    max_size=3,
)
statements = st.sampled_from(
    [
        'RETURN = filter_keyvals_regex(query_bucket("b1"), "title", "(a+)+$");',
        'x = query_bucket("b1");' + "x = concat(x, x);" * 40 + "RETURN = x;",
        "x = [1, 2];" + "x = [x, x];" * 40 + "RETURN = x;",
        'RETURN = categorize(query_bucket("b1"), [[["A"], {"type": "regex", "regex": "(a+)+$"}]]);',
        'RETURN = flood(query_bucket("b1"), 1e999);',
        'RETURN = "\\ud800";',
        "RETURN = " + "9" * 400 + ";",
        'RETURN = merge_events_by_keys(query_bucket("nope"), ["app"]);',
        "RETURN = ;",
    ]
)
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/0/buckets/{bucket_id}"): st.fixed_dictionaries(
        {"type": texts},
        optional={
            "client": texts,
            "hostname": texts,
            "created": times,
            "data": json_values,
            "extra": json_values,
        },
    ),
    ("PUT", "/api/0/buckets/{bucket_id}"): st.fixed_dictionaries(
        {}, optional={"type": texts, "hostname": texts, "data": json_values}
    ),
    ("POST", "/api/0/buckets/{bucket_id}/events"): events | st.lists(events, max_size=4),
    ("POST", "/api/0/buckets/{bucket_id}/heartbeat"): events,
    ("POST", "/api/0/import"): st.fixed_dictionaries(
        {
            "buckets": st.dictionaries(
                st.sampled_from(BUCKETS) | texts,
                st.fixed_dictionaries(
                    {"type": texts},
                    optional={"created": times, "events": st.lists(events, max_size=3)},
                ),
                max_size=2,
            )
        }
    ),
    ("POST", "/api/0/query"): st.fixed_dictionaries(
        {
            "timeperiods": st.lists(st.tuples(times, times).map("/".join), max_size=2),
            "query": st.lists(statements, min_size=1, max_size=2),
        }
    ),
    ("POST", "/api/0/settings/{key}"): json_values,
    ("POST", "/api/0/tokens"): st.fixed_dictionaries(
        {"scope": st.sampled_from(["read", "write", "admin", "root"])}, optional={"name": texts}
    ),
    ("PUT", "/api/0/categories"): categories,
    ("POST", "/api/0/categories/import"): categories,
    ("POST", "/api/0/categories/preview"): st.fixed_dictionaries(
        {
            "name": st.lists(texts, min_size=1, max_size=2),
            "rule": rules,
            "start": times,
            "end": times,
        }
    ),
    ("POST", "/api/0/categories/items"): st.fixed_dictionaries(
        {"name": st.lists(texts, min_size=1, max_size=2)},
        optional={"rule": rules, "color": texts, "score": numbers},
    ),
    ("PATCH", "/api/0/categories/items/{category_id}"): st.fixed_dictionaries(
        {}, optional={"name": st.lists(texts, min_size=1, max_size=2), "rule": rules}
    ),
}
QUERY_NAMES = ["start", "end", "limit", "pulsetime", "force", "format", "bucket", "day", "week",
               "month", "first", "last", "top", "day_start", "week_start"]  # fmt: skip
query_values = st.one_of(
    times,
    st.sampled_from(["1", "-1", "0", "9" * 30, "1e400", "nan", "%FF", "%ED%A0%80", "aw", "mon"]),
    st.integers(-5, 100).map(str),
)
raw_bodies = st.sampled_from(
    [b"", b"{", b"\xff\xfe", b'{"timestamp": "\xed\xa0\x80"}', b"[" * 300, b"null", b"1e400"]
)


def encode(value: Any) -> bytes:
    """JSON as Python clients write it: lone surrogates leave as \\ud800 escapes."""
    return json.dumps(value).encode()


def path_part(name: str) -> st.SearchStrategy[str]:
    if name == "bucket_id":
        return st.one_of(
            st.sampled_from(BUCKETS).map(lambda b: quote(b, safe="")),
            texts.map(lambda t: quote(t.encode("utf-8", "surrogatepass"), safe="")),
            st.sampled_from(["%ED%A0%80", "%FF", "a" * 600]),
        )
    if name == "key":
        return st.one_of(
            st.sampled_from(["color", "classes", "timelygator.x", "%C0%AF"]),
            texts.map(lambda t: quote(t.encode("utf-8", "surrogatepass"), safe="")),
        )
    return st.one_of(
        st.integers(-2, 40).map(str), st.sampled_from(["9" * 30, "x", "1e5", "%FF"])
    )  # ids


@dataclass
class Expected:
    """What the server acknowledged and nothing acknowledged since has taken away."""

    events: dict[int, str] = field(default_factory=dict)  # event id -> bucket
    buckets: set[str] = field(default_factory=set)
    settings: dict[str, Any] = field(default_factory=dict)
    answers: dict[int, int] = field(default_factory=dict)  # status -> count
    good: int = 0  # heartbeats of the well-behaved client

    def note(self, method: str, template: str, params: dict[str, str], status: int,
             answer: Any) -> None:  # fmt: skip
        self.answers[status] = self.answers.get(status, 0) + 1
        if status != 200:
            return
        bucket = _unquote(params.get("bucket_id", ""))
        if template == "/api/0/buckets/{bucket_id}":
            if method == "POST":
                self.buckets.add(bucket)
            elif method == "DELETE":
                self.buckets.discard(bucket)
                self.events = {i: b for i, b in self.events.items() if b != bucket}
        elif template in WRITES_EVENTS and method == "POST":
            for event in answer if isinstance(answer, list) else [answer]:
                self.events[int(event["id"])] = bucket
        elif template == "/api/0/buckets/{bucket_id}/events/{event_id}" and method == "DELETE":
            self.events.pop(int(params["event_id"]), None)
        elif template == "/api/0/import":
            self.buckets.update(answer["buckets"])
        elif template == "/api/0/settings/{key}":
            key = _unquote(params["key"])
            if method == "POST":
                self.settings[key] = answer
            elif method == "DELETE":
                self.settings.pop(key, None)


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


STALLED_S = 8.0
"""An answer this late means a stall, not a busy machine (the query budget is 1.5 s)."""


@pytest.fixture
def server(dirs: AppDirs) -> Iterator[tuple[Services, ApiServer, str, int]]:
    services = Services.open(dirs, PASS, max_delay=0.05)
    try:
        admin = tokens.create(services.writer, services.user_id, "admin", "prop").result()
        for name in (*BUCKETS[:2], "good"):
            services.ensure_bucket(name, type="currentwindow", client="t", hostname="h")
        config = ApiConfig(
            port=0,
            hostname="h",
            query_timeout_s=1.5,
            auth_failure_burst=10_000,
            query_processes=1,  # as 'timelygator serve' runs queries
        )
        api = ApiServer(services, config)
        api.start()
        try:
            yield services, api, admin.secret, admin.info.id
        finally:
            api.stop()
    finally:
        services.close()


@pytest.mark.slow
def test_no_request_to_the_real_server_is_a_5xx_or_slow_and_nothing_acknowledged_is_lost(
    server: tuple[Services, ApiServer, str, int], dirs: AppDirs
) -> None:
    services, api, secret, admin_id = server
    templates = sorted(
        {
            (method, path.rstrip("/") or "/")
            for path, route in all_routes(api.app.routes)  # type: ignore[union-attr]
            for method in (route.methods or ())
            if method != "HEAD" or path == "/api/0/info"
        },
        key=lambda item: (item[1], item[0]),
    )
    assert len(templates) > 35
    expected = Expected(buckets={*BUCKETS[:2], "good"})
    connection: list[http.client.HTTPConnection] = []

    def conn() -> http.client.HTTPConnection:
        if not connection:
            connection.append(http.client.HTTPConnection("127.0.0.1", api.port, timeout=10))
        return connection[0]

    @st.composite
    def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], str, bytes, dict[str, str]]:
        method, template = draw(st.sampled_from(templates))
        params = {name: draw(path_part(name)) for name in re.findall(r"{(\w+)}", template)}
        if template == "/api/0/tokens/{token_id}" and params["token_id"] == str(admin_id):
            params["token_id"] = "999"  # keep the run's own token
        path = template.format(**params)
        query = draw(st.dictionaries(st.sampled_from(QUERY_NAMES), query_values, max_size=3))
        if template.endswith("/heartbeat") and draw(st.integers(0, 3)) < 3:
            query["pulsetime"] = "10"
        query_string = urlencode(query, errors="surrogatepass").replace("%25", "%")  # raw escapes
        body = b""
        if method in ("POST", "PUT", "PATCH"):
            strategy = BODIES.get((method, template), json_values)
            body = draw(st.one_of(strategy.map(encode), json_values.map(encode), raw_bodies))
        auth = draw(st.sampled_from(["good"] * 8 + ["none", "wrong"]))
        headers = {"Content-Type": "application/json"}
        if auth == "good":
            headers["Authorization"] = f"Bearer {secret}"
        elif auth == "wrong":
            headers["Authorization"] = "Bearer tg_" + "z" * 43
        if draw(st.integers(0, 19)) == 19:
            headers["Origin"] = draw(st.sampled_from(["https://evil.example", "null"]))
        return method, template, params, path + ("?" + query_string if query else ""), body, headers

    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests())
    def one_request(request: tuple[str, str, dict[str, str], str, bytes, dict[str, str]]) -> None:
        method, template, params, target, body, headers = request
        stream = template == "/api/0/events/stream"
        start = time.monotonic()
        try:
            client = conn()
            client.request(method, target, body=body or None, headers=headers)
            resp = client.getresponse()
            raw = b"" if stream and resp.status == 200 else resp.read()
        except (http.client.HTTPException, OSError) as exc:
            connection.clear()
            raise AssertionError(f"{method} {target}: the connection failed ({exc})") from exc
        took = time.monotonic() - start
        if stream or resp.getheader("Connection", "").lower() == "close":
            client.close()
            connection.clear()
        assert resp.status < 500, (method, target, body[:200], resp.status, raw[:300])
        assert took < STALLED_S, (method, target, took)
        answer: Any = None
        if raw and resp.getheader("Content-Type", "").startswith("application/json"):
            answer = json.loads(raw)
            if resp.status >= 400:
                assert answer["message"], (method, target)
        expected.note(method, template, params, resp.status, answer)
        good_write()

    beats = iter(range(10**6))

    def good_write() -> None:
        """A well-behaved watcher between the hostile requests: always acknowledged."""
        n = next(beats)
        event = {"timestamp": f"2024-06-01T10:{n // 60 % 60:02d}:{n % 60:02d}Z", "duration": 1,
                 "data": {"app": f"app{n % 3}"}}  # fmt: skip
        client = conn()
        client.request("POST", "/api/0/buckets/good/heartbeat?pulsetime=2", body=encode(event),
                       headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
        resp = client.getresponse()
        answer = json.loads(resp.read())
        assert resp.status == 200, answer
        expected.events[int(answer["id"])] = "good"
        expected.good += 1

    one_request()
    assert expected.answers.get(200, 0) > 40, expected.answers  # the run did real work
    print(
        "ANSWERS",
        expected.answers,
        len(expected.events),
        len(expected.buckets),
        expected.settings.keys(),
    )
    api.stop()
    services.close()

    check = run_cli(dirs, PASS, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    with Services.open(dirs, PASS) as reopened, reopened.read() as conn_:
        user = reopened.user_id
        names = {b.name for b in reader.list_buckets(conn_, user)}
        assert expected.buckets <= names
        for event_id, bucket in expected.events.items():
            key = reader.bucket_key(conn_, user, bucket)
            assert reader.get_event(conn_, key, event_id).id == event_id
        for setting, value in expected.settings.items():
            assert settings_store.get_setting(conn_, user, setting) == value


def test_a_raw_request_line_that_is_not_utf8_is_refused(
    server: tuple[Services, ApiServer, str, int],
) -> None:
    _, api, secret, _ = server
    with socket.create_connection(("127.0.0.1", api.port), timeout=5) as sock:
        sock.sendall(
            b"GET /api/0/buckets/\xed\xa0\x80 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {secret}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]
