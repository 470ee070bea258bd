"""The fast routes answer exactly as the FastAPI routes they stand in front of.

Every request here goes to two apps over two fresh stores, one with ``fast_routes`` (the
default) and one without; status, body bytes and the headers that matter must be equal,
and so must what ends up stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from timelygator.core import tokens
from timelygator.core.api import ApiConfig, create_app
from timelygator.core.api.fastroutes import FastRoutes
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services

from tests.api.conftest import BASE_URL, DictKeyring

T0 = "2024-05-01T10:00:00+00:00"
HEADERS = ("content-type", "www-authenticate", "retry-after", "access-control-allow-origin")
LONG_ID = "x" * 501


class Pair:
    """The same requests to a fast and a plain app; every answer compared."""

    def __init__(self, fast: TestClient, plain: TestClient) -> None:
        self.fast = fast
        self.plain = plain
        self.seen = 0

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        a = self.fast.request(method, url, **kwargs)
        b = self.plain.request(method, url, **kwargs)
        where = (method, url, kwargs.get("content", kwargs.get("json")))
        assert a.status_code == b.status_code, (where, a.text, b.text)
        assert a.content == b.content, where
        for name in HEADERS:
            assert a.headers.get(name) == b.headers.get(name), (where, name)
        self.seen += 1
        return a

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)


@pytest.fixture
def make_pair(tmp_path: Path, fake_keyring: DictKeyring) -> Iterator[Callable[..., Pair]]:
    opened: list[Any] = []

    def make(scope: str = "write", token: str | None = "valid", **config: Any) -> Pair:
        clients = []
        for fast in (True, False):
            data = tmp_path / f"data-{len(opened)}"
            services = Services.open(resolve_dirs(data), create=True, max_delay=0.05)
            opened.append(services)
            secret = tokens.create(services.writer, services.user_id, scope, "").result().secret
            app = create_app(services, ApiConfig(hostname="testhost", fast_routes=fast, **config))
            headers = {}
            if token == "valid":
                headers["Authorization"] = f"Bearer {secret}"
            elif token is not None:
                headers["Authorization"] = token
            tc = TestClient(
                app,
                base_url=BASE_URL,
                headers=headers,
                client=("127.0.0.1", 40000),
                raise_server_exceptions=False,
            )
            tc.__enter__()
            opened.append(tc)
            clients.append(tc)
        return Pair(clients[0], clients[1])

    yield make
    for item in reversed(opened):
        if isinstance(item, TestClient):
            item.__exit__(None, None, None)
        else:
            item.close()


def ev(ts: str = T0, duration: float = 1, **data: Any) -> dict[str, Any]:
    return {"timestamp": ts, "duration": duration, "data": data}


def bucket(pair: Pair, name: str = "b") -> str:
    body = {"type": "t", "client": "c", "hostname": "h", "created": "2024-01-01T00:00:00Z"}
    resp = pair.post(f"/api/0/buckets/{name}", json=body)
    assert resp.status_code == 200
    return f"/api/0/buckets/{name}"


def all_events(pair: Pair, url: str) -> list[Any]:
    resp = pair.get(f"{url}/events", params={"limit": "-1"})
    assert resp.status_code == 200
    result: list[Any] = resp.json()
    return result


def test_fast_routes_are_installed(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    url = bucket(pair)
    pair.post(f"{url}/heartbeat?pulsetime=1", json=ev())
    stacks = []
    for tc in (pair.fast, pair.plain):
        layer: Any = tc.app.front  # type: ignore[attr-defined]
        found = False
        while layer is not None:
            found = found or isinstance(layer, FastRoutes)
            layer = getattr(layer, "app", None)
        stacks.append(found)
    assert stacks == [True, False]


PULSETIMES = [
    "pulsetime=2",
    "pulsetime=2.0",
    "pulsetime=0",
    "pulsetime=0.5",
    "pulsetime=31622400",
    "pulsetime=31622401",
    "pulsetime=1e3",
    "pulsetime=%202",
    "pulsetime=02",
    "pulsetime=+2",
    "pulsetime=-1",
    "pulsetime=abc",
    "pulsetime=nan",
    "pulsetime=inf",
    "pulsetime=",
    "",
    "pulse=2",
    "pulsetime=1&pulsetime=60",
    "pulsetime=60&other=x",
    "other=x&pulsetime=60",
    "pulsetime=60&other=1&other=2",
]


@pytest.mark.parametrize("query", PULSETIMES)
def test_heartbeat_query_strings(make_pair: Callable[..., Pair], query: str) -> None:
    pair = make_pair()
    url = bucket(pair)
    for second in range(3):
        pair.post(f"{url}/heartbeat?{query}", json=ev(f"2024-05-01T10:00:0{second}Z", app="a"))
    pair.post(f"{url}/heartbeat/?{query}", json=ev("2024-05-01T10:00:05Z", app="a"))
    all_events(pair, url)


BAD_BODIES: list[bytes] = [
    b"",
    b"{",
    b"[]",
    b"null",
    b"42",
    b'"x"',
    b"[" + json.dumps(ev()).encode() + b"]",
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": NaN, "data": {}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": 1e400, "data": {}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": -1, "data": {}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": true, "data": {}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": 1' + b"0" * 400 + b', "data": {}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": "1", "data": {}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": 1, "data": []}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": 1, "data": "x"}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": 1, "data": {}, "junk": 1}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "id": "1"}',
    b'{"timestamp": "yesterday", "duration": 1, "data": {}}',
    b'{"timestamp": "2024-13-01T10:00:00Z", "duration": 1, "data": {}}',
    b'{"timestamp": 17, "duration": 1, "data": {}}',
    b'{"duration": 1, "data": {}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": 1, "data": {"a": 1e400}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "data": {"s": "\\ud800 lone"}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "data": {"\\udfff": 1}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "data": {"a": {"b": ["\\ud83d"]}}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "duration": 1, "data": {"a": [' * 40
    + b"]" * 40
    + b"}}",
]
GOOD_BODIES: list[bytes] = [
    json.dumps(ev("2024-05-01T12:00:00.123456+02:00", 1.5, app="vim")).encode(),
    json.dumps(ev("2024-05-01T10:00:00", 2, app="naive")).encode(),
    json.dumps(ev("2024-05-01T10:00:00.1234567Z", 0, app="long fraction")).encode(),
    json.dumps(ev(" 2024-05-01T10:00:00Z ", 0, app="spaces")).encode(),
    json.dumps(ev("2024-05-01 10:00:00+00:00", 0, app="space separator")).encode(),
    json.dumps({"timestamp": T0}).encode(),
    json.dumps({"timestamp": T0, "duration": None, "data": None, "id": None}).encode(),
    json.dumps({"timestamp": T0, "duration": 3, "id": 12345}).encode(),
    b'{"timestamp": "2024-05-01T10:00:00Z", "data": {"big": 123456789012345678901234567890}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "data": {"neg": -9223372036854775809}}',
    b'{"timestamp": "2024-05-01T10:00:00Z", "data": {"e": 1E5, "f": -0.0, "g": 1e-7}}',
    '{"timestamp": "2024-05-01T10:00:00Z", "data": {"ü": "日本 \\n\\t\\u0001"}}'.encode(),
    b'\xef\xbb\xbf{"timestamp": "2024-05-01T10:00:00Z", "data": {"bom": 1}}',
    json.dumps({"timestamp": T0, "data": {"nested": {"a": [1, {"b": None}]}}}).encode("utf-16"),
    b'{"timestamp": "2024-05-01T10:00:00Z", "data": {"a": 1, "a": 2}}',
]


@pytest.mark.parametrize("body", BAD_BODIES + GOOD_BODIES)
def test_heartbeat_bodies(make_pair: Callable[..., Pair], body: bytes) -> None:
    pair = make_pair()
    url = bucket(pair)
    pair.post(f"{url}/heartbeat?pulsetime=5", content=body)
    pair.post(f"{url}/heartbeat?pulsetime=5", content=body)  # the merge path
    all_events(pair, url)


@pytest.mark.parametrize("body", BAD_BODIES + GOOD_BODIES)
def test_insert_bodies(make_pair: Callable[..., Pair], body: bytes) -> None:
    pair = make_pair()
    url = bucket(pair)
    pair.post(f"{url}/events", content=body)
    if body.startswith(b"{"):
        pair.post(f"{url}/events/", content=b"[" + body + b"]")
        pair.post(f"{url}/events", content=b"[" + body + b"," + GOOD_BODIES[0] + b"]")
    all_events(pair, url)


def test_inserts_updates_and_large_lists(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(max_events_per_request=3000)
    url = bucket(pair)
    other = bucket(pair, "other")
    first = pair.post(f"{url}/events", json=[ev(T0, 1, n=1), ev(T0, 2, n=2)]).json()
    pair.post(f"{url}/events", json=[{**ev(T0, 5, n=3), "id": first[0]["id"]}])
    pair.post(f"{other}/events", json={**ev(T0, 5, n=4), "id": first[1]["id"]})
    many = [
        ev(f"2024-05-02T10:{i // 60:02d}:{i % 60:02d}.{i:06d}{('Z', '+00:00')[i % 2]}", 0.25, i=i)
        for i in range(2500)
    ]
    body = json.dumps(many).encode()
    assert len(body) > 64 * 1024  # parsed and answered on worker threads
    pair.post(f"{url}/events", content=body)
    pair.post(f"{url}/events", json=many + many)  # more than 3000: 400, nothing stored
    pair.post(f"{url}/events", json=[])
    assert len(all_events(pair, url)) == 2502
    all_events(pair, other)


READS = [
    "",
    "limit=-1",
    "limit=0",
    "limit=3",
    "limit=007",
    "limit=-5",
    "limit=abc",
    "limit=",
    "limit=1&limit=2",
    "limit=99999999999999999999",
    "start=2024-05-01T10:00:30Z",
    "start=2024-05-01T10:00:30%2B00:00&end=2024-05-01T10:01:00Z",
    "start=2024-05-01T12:00:30+02:00",
    "start=2024-05-01T12:00:30 02:00&end=2024-05-01T10:00:40",
    "start=yesterday",
    "end=2024-05-01T10:00:30.1234567Z&limit=2",
    "start=&end=",
    "start=" + "2" * 65,
    "start=2024-05-01T10:00:00Z&start=2024-05-01T11:00:00Z",
    "unknown=1",
]


@pytest.mark.parametrize("query", READS)
def test_reads_and_counts(make_pair: Callable[..., Pair], query: str) -> None:
    pair = make_pair()
    url = bucket(pair)
    pair.post(
        f"{url}/events",
        json=[ev(f"2024-05-01T10:00:{s:02d}.{s:06d}Z", s / 7, s=s) for s in range(0, 60, 5)]
        + [ev("1969-12-31T23:59:59.5Z", 0.25, old=True), ev("2024-05-01T10:00:10Z", 3, tie=1)],
    )
    for path in ("events", "events/", "events/count", "events/count/"):
        pair.get(f"{url}/{path}?{query}")


def test_missing_buckets_methods_and_odd_paths(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    bucket(pair)
    bucket(pair, "events")
    for url in (
        "/api/0/buckets/nope/events",
        "/api/0/buckets/nope/events/count",
        "/api/0/buckets/events/events/count",
        f"/api/0/buckets/{LONG_ID}/events",
        f"/api/0/buckets/{LONG_ID}/events/count",
        "/api/0/buckets/b//events",
        "/api/0/buckets/b/events//",
        "/api/0/buckets/b/events/count/x",
    ):
        pair.get(url)
    for url in (
        "/api/0/buckets/nope/events",
        "/api/0/buckets/nope/heartbeat?pulsetime=1",
        f"/api/0/buckets/{LONG_ID}/heartbeat?pulsetime=1",
        f"/api/0/buckets/{LONG_ID}/events",
    ):
        pair.post(url, json=ev())
    for method in ("PUT", "DELETE", "PATCH", "HEAD"):
        pair.request(method, "/api/0/buckets/b/events", json=ev())
        pair.request(method, "/api/0/buckets/b/heartbeat?pulsetime=1", json=ev())
    pair.get("/api/0/buckets/b/heartbeat?pulsetime=1")


@pytest.mark.parametrize(
    "token", [None, "Bearer tg_" + "x" * 43, "Basic dXNlcjpwYXNz", "Bearer", "bearer  "]
)
def test_unauthorised_requests(make_pair: Callable[..., Pair], token: str | None) -> None:
    pair = make_pair(token=token)
    for query in ("pulsetime=1", "pulsetime=abc", ""):
        pair.post(f"/api/0/buckets/b/heartbeat?{query}", json=ev())
    pair.post("/api/0/buckets/b/events", content=b"{")
    pair.get("/api/0/buckets/b/events?limit=abc")
    pair.get("/api/0/buckets/b/events/count?start=yesterday")


def test_read_token_cannot_write(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(scope="read")
    pair.post("/api/0/buckets/b/heartbeat?pulsetime=1", json=ev())
    pair.post("/api/0/buckets/b/events", json=[ev()])
    pair.get("/api/0/buckets/b/events")
    pair.get("/api/0/buckets/b/events/count")


def test_compat_mode_and_rate_limit(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(token=None, compat_mode=True, rate_limit_per_s=0.5, rate_limit_burst=4)
    url = bucket(pair)
    pair.post(f"{url}/heartbeat?pulsetime=1", json=ev())
    pair.post(f"{url}/heartbeat?pulsetime=abc", json=ev())
    pair.get(f"{url}/events")
    resp = pair.get(f"{url}/events/count")
    assert resp.status_code == 429
    assert resp.headers["retry-after"]


def test_limits(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(max_event_data_bytes=1000, max_data_depth=4, max_body_bytes=4000)
    url = bucket(pair)
    data: dict[str, Any]
    for data in (
        {"text": "x" * 2000},
        {"text": "x" * 990},
        {"text": "\n" * 400},
        {"text": "é" * 990},
        {"a": {"b": {"c": {"d": {}}}}},
        {"a": {"b": {"c": 1}}},
    ):
        pair.post(f"{url}/heartbeat?pulsetime=1", json={"timestamp": T0, "data": data})
        pair.post(f"{url}/events", json=[{"timestamp": T0, "data": data}])
    pair.post(f"{url}/events", content=b"[" + b" " * 5000 + b"]")  # 413 by Content-Length

    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(50):
            yield b" " * 100
        yield b"]"

    answers = [tc.post(f"{url}/events", content=chunks()) for tc in (pair.fast, pair.plain)]
    assert [a.status_code for a in answers] == [413, 413]  # while streaming
    assert answers[0].content == answers[1].content
    all_events(pair, url)


def test_cors_preflight_and_origins(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    url = bucket(pair)
    for origin in ("moz-extension://abc", "https://evil.example"):
        pair.post(f"{url}/heartbeat?pulsetime=1", json=ev(), headers={"Origin": origin})
        pair.get(f"{url}/events", headers={"Origin": origin})
        pair.request(
            "OPTIONS",
            f"{url}/heartbeat",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
    pair.get(f"{url}/events", headers={"Host": "evil.example"})


def test_metrics_count_fast_routes_under_their_templates(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(scope="admin")
    url = bucket(pair)
    pair.post(f"{url}/heartbeat?pulsetime=1", json=ev())
    pair.post(f"{url}/events/", json=[ev()])
    pair.get(f"{url}/events/count")
    pair.get(f"{url}/events?limit=abc")
    pair.get("/api/0/buckets/nope/events")
    texts = []
    for tc in (pair.fast, pair.plain):
        lines = tc.get("/metrics").text.splitlines()
        texts.append(sorted(x for x in lines if x.startswith("timelygator_http_requests_total")))
    assert texts[0] == texts[1]
    assert any('route="/api/0/buckets/{bucket_id}/heartbeat"' in x for x in texts[0])
    assert any('route="/api/0/buckets/{bucket_id}/events/"' in x for x in texts[0])


def test_answered_after_commit(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    url = bucket(pair)
    resp = pair.post(f"{url}/heartbeat?pulsetime=1", json=ev())
    services = pair.fast.app.state.ctx.services  # type: ignore[attr-defined]
    with services.read() as conn:
        row = conn.exec_driver_sql("SELECT id FROM events").one()
    assert row[0] == resp.json()["id"]


def test_lone_surrogates_are_400_and_the_writer_lives_on(make_pair: Callable[..., Pair]) -> None:
    # Valid JSON, but not storable as UTF-8: once, it stopped the writer thread for good.
    pair = make_pair()
    url = bucket(pair)
    body = b'[{"timestamp": "2024-05-01T10:00:00Z", "data": {"title": "\\ud800"}}]'
    resp = pair.post(f"{url}/events", content=body)
    assert resp.status_code == 400
    assert "lone surrogate" in resp.json()["message"]
    bad_bucket = b'{"type": "t", "created": "2024-01-01T00:00:00Z", "data": {"k": "\\ud800"}}'
    assert pair.post("/api/0/buckets/x", content=bad_bucket).status_code == 400
    ok = pair.post(f"{url}/events", json=[ev(app="\U0001f600 fine")])
    assert ok.status_code == 200
    assert len(all_events(pair, url)) == 1


def test_unexpected_errors_are_a_logged_500(
    make_pair: Callable[..., Pair], monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    pair = make_pair()
    url = bucket(pair)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    for tc in (pair.fast, pair.plain):
        writer = tc.app.state.ctx.services.writer  # type: ignore[attr-defined]
        monkeypatch.setattr(writer, "heartbeat", broken)
        monkeypatch.setattr(writer, "insert_events", broken)
    with caplog.at_level("ERROR", logger="timelygator.core.api.errors"):
        resp = pair.post(f"{url}/heartbeat?pulsetime=1", json=ev())
        pair.post(f"{url}/events", json=[ev()])
    assert resp.status_code == 500
    assert "Internal error" in resp.json()["message"]
    assert sum("RuntimeError" in r.getMessage() for r in caplog.records) == 4


def test_a_huge_integer_duration_is_a_400_not_a_500(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    url = bucket(pair)
    body = b'[{"timestamp": "2024-05-01T10:00:00Z", "duration": 1' + b"0" * 400 + b"}]"
    resp = pair.post(f"{url}/events", content=body)
    assert resp.status_code == 400
    assert "duration" in resp.json()["message"]
