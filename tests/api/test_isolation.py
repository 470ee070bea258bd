"""Nobody reads or writes another user's data: every route of the app, by enumeration.

Two users of one server, Alice and Bob, each with buckets, events, categories, settings and
tokens. For EVERY route of the FastAPI app (``app.routes``, both spellings of each path) a
case below fills the path parameters with Bob's ids and names and asks with Alice's token:

* a route about one of Bob's things answers 404 (admin routes: 403 for her write token);
* a route about "my" things (lists, exports, summaries, queries) answers with none of Bob's
  data: no marker string of his (titles, apps, hostnames, setting values, category names,
  token names and prefixes) appears in the body unless Alice sent it herself;
* writes under one of Bob's names (a bucket, a setting key) go to Alice's own namespace;
  afterwards Bob's data, read back by Bob, is exactly what it was.

Before Alice asks, Bob asks the same reading questions and must get his data (200 and his
markers in the body): so every 404 below is about a thing that exists. A route without a case
fails the test, and so does a case whose route is gone: nothing is skipped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from timelygator.core.api import ApiConfig, ApiServer
from timelygator.core.services import Services

from tests.api.test_security import all_routes

DAY = "2024-05-01"
START = f"{DAY}T00:00:00Z"
END = f"{DAY}T23:59:59Z"
# Bob's data: every marker is a string only Bob's data holds ("7q" appears nowhere else).
BOB_BUCKET = "bob-window-7q"
BOB_EVENTS = [
    {"timestamp": f"{DAY}T{hour}:00:00Z", "duration": 300, "data": {"app": "BobApp7q", "title": t}}
    for hour, t in (("10", "bob-title-7q"), ("11", "bob-plans-7q"))
]
BOB_SETTING = ("bob-setting-7q", {"secret": "bob-value-7q"})
BOB_CATEGORY = {"name": ["BobWork7q"], "rule": {"type": "regex", "regex": "bob-title"}}
MARKERS = (
    BOB_BUCKET,
    "bobapp7q",
    "bob-title-7q",
    "bob-plans-7q",
    "bob-host-7q",
    "bob-client-7q",
    "bob-value-7q",
    "bob-setting-7q",
    "bobwork7q",
    "bob-device-7q",
)


@dataclass(frozen=True)
class Bob:
    """What Alice fills the paths with: Bob's ids and names (and one of her own buckets)."""

    bucket: str
    event_id: int
    category_id: int
    token_id: int
    token_prefix: str
    setting: str
    user: str
    alice_bucket: str


@dataclass(frozen=True)
class Probe:
    """One request of a case: path parameters, query, body and what Alice must get.

    ``status``: the allowed answers. ``owner``: Bob asks the same first and must see his
    data (reading probes only): a marker of his in the body, or, given a function, an answer
    it accepts. ``check``: more about Alice's answer.
    """

    fill: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] | None = None
    body: Any = None
    status: frozenset[int] = frozenset({404})
    owner: bool | Callable[[Any], bool] = False
    check: Callable[[Any], bool] | None = None
    content: bytes | None = None  # a raw body instead of JSON
    headers: dict[str, str] | None = None


NOT_FOUND = frozenset({404})
ADMIN_ONLY = frozenset({403})
OK = frozenset({200})
CREATED_OR_THERE = frozenset({200, 304})  # Alice's own bucket (304: asked before)
CREATED_OR_THERE_409 = frozenset({201, 409})  # Alice's own category (409: asked before)


def _bucket(b: Bob, **more: Any) -> Probe:
    return Probe(fill={"bucket_id": b.bucket}, **more)


def _bob_event(b: Bob, **more: Any) -> list[Probe]:
    """Bob's event id, in Bob's bucket and in a bucket of Alice's own."""
    return [
        Probe(fill={"bucket_id": b.bucket, "event_id": b.event_id}, **more),
        Probe(fill={"bucket_id": b.alice_bucket, "event_id": b.event_id}, status=NOT_FOUND),
    ]


def _delete_bob_event(b: Bob) -> list[Probe]:
    """Deleting an event her bucket does not hold is no error (ActivityWatch's rule), and
    deletes nothing: ``success`` counts the events deleted."""
    return [
        Probe(fill={"bucket_id": b.bucket, "event_id": b.event_id}),
        Probe(
            fill={"bucket_id": b.alice_bucket, "event_id": b.event_id},
            status=OK,
            check=lambda v: v == {"success": 0},
        ),
    ]


def _query(*statements: str) -> dict[str, Any]:
    return {"timeperiods": [f"{START}/{END}"], "query": list(statements)}


def _import_doc(name: str) -> dict[str, Any]:
    bucket = {"id": name, "type": "currentwindow", "client": "alice", "hostname": "alice-host"}
    return {"buckets": {name: {**bucket, "events": [BOB_EVENTS[0] | {"data": {"app": "Mine"}}]}}}


EVENT = {"timestamp": f"{DAY}T12:00:00Z", "duration": 1, "data": {"app": "alice"}}
# A draft rule matching all of Bob's titles: Bob's preview counts them, Alice's none.
PREVIEW = {"name": ["X"], "rule": {"type": "regex", "regex": "-7q"}, "start": START, "end": END}
READ = frozenset({200})

# (method, path without its trailing slash) -> the probes of that route. Phase 1 (reading and
# refused writes) runs before phase 2 (writes that land in Alice's own namespace).
Cases = dict[tuple[str, str], Callable[[Bob], list[Probe]]]
PHASE_1: Cases = {
    # Public, and the documentation: nothing of anyone's.
    ("GET", "/openapi.json"): lambda b: [Probe(status=OK)],
    ("GET", "/docs"): lambda b: [Probe(status=OK)],
    ("GET", "/docs/oauth2-redirect"): lambda b: [Probe(status=OK)],
    ("GET", "/api/0/info"): lambda b: [Probe(status=OK)],
    ("GET", "/health"): lambda b: [Probe(status=OK)],
    ("GET", "/metrics"): lambda b: [Probe(status=OK)],
    # Buckets and events.
    ("GET", "/api/0/buckets"): lambda b: [Probe(status=OK, owner=True)],
    ("GET", "/api/0/buckets/{bucket_id}"): lambda b: [_bucket(b, owner=True)],
    ("PUT", "/api/0/buckets/{bucket_id}"): lambda b: [_bucket(b, body={"hostname": "x"})],
    ("DELETE", "/api/0/buckets/{bucket_id}"): lambda b: [_bucket(b, params={"force": 1})],
    ("GET", "/api/0/buckets/{bucket_id}/events"): lambda b: [_bucket(b, owner=True)],
    ("GET", "/api/0/buckets/{bucket_id}/events/count"): lambda b: [
        _bucket(b, owner=lambda n: n == 2, params={"start": START})
    ],
    ("POST", "/api/0/buckets/{bucket_id}/events"): lambda b: [_bucket(b, body=[EVENT])],
    ("GET", "/api/0/buckets/{bucket_id}/events/{event_id}"): lambda b: _bob_event(b, owner=True),
    ("DELETE", "/api/0/buckets/{bucket_id}/events/{event_id}"): _delete_bob_event,
    ("POST", "/api/0/buckets/{bucket_id}/heartbeat"): lambda b: [
        _bucket(b, params={"pulsetime": 60}, body=EVENT)
    ],
    ("GET", "/api/0/buckets/{bucket_id}/export"): lambda b: [_bucket(b, owner=True)],
    ("GET", "/api/0/export"): lambda b: [Probe(status=OK, owner=True)],
    ("GET", "/api/0/events/stream"): lambda b: [Probe(params={"bucket": b.bucket})],
    ("GET", "/api/0/sync/buckets/{bucket_id}/events"): lambda b: [_bucket(b, owner=True)],
    # The query language sees only the asker's buckets.
    ("POST", "/api/0/query"): lambda b: [
        Probe(body=_query(f"RETURN = query_bucket('{b.bucket}');"), status=frozenset({400})),
        Probe(body=_query("RETURN = query_bucket(find_bucket('bob'));"), status=frozenset({400})),
        Probe(body=_query("RETURN = query_bucket_names();"), status=OK, owner=True),
        Probe(
            body=_query(f"RETURN = query_bucket_eventcount('{b.bucket}');"),
            status=frozenset({400}),
        ),
    ],
    # Settings: a key Alice does not have reads as null (ActivityWatch's rule).
    ("GET", "/api/0/settings"): lambda b: [Probe(status=OK, owner=True)],
    ("GET", "/api/0/settings/{key}"): lambda b: [
        Probe(fill={"key": b.setting}, status=OK, owner=True, check=lambda v: v is None)
    ],
    ("DELETE", "/api/0/settings/{key}"): lambda b: [Probe(fill={"key": b.setting}, status=OK)],
    # Categories.
    ("GET", "/api/0/categories"): lambda b: [Probe(status=OK, owner=True)],
    ("GET", "/api/0/categories/export"): lambda b: [
        Probe(status=OK, owner=True),
        Probe(status=OK, params={"format": "aw"}, owner=True),
    ],
    ("POST", "/api/0/categories/preview"): lambda b: [
        Probe(body=PREVIEW, status=OK, owner=True, check=lambda v: v["matched_events"] == 0)
    ],
    ("GET", "/api/0/categories/items/{category_id}"): lambda b: [
        Probe(fill={"category_id": b.category_id}, owner=True)
    ],
    ("PATCH", "/api/0/categories/items/{category_id}"): lambda b: [
        Probe(fill={"category_id": b.category_id}, body={"color": "#000000"})
    ],
    ("DELETE", "/api/0/categories/items/{category_id}"): lambda b: [
        Probe(fill={"category_id": b.category_id})
    ],
    # Analytics of "my" days: Bob's day is busy, Alice's has one event.
    ("GET", "/api/0/summary"): lambda b: [Probe(params={"day": DAY}, status=OK, owner=True)],
    ("GET", "/api/0/summary/trend"): lambda b: [
        Probe(params={"first": DAY, "last": DAY}, status=OK, owner=True)
    ],
    ("GET", "/api/0/insights"): lambda b: [Probe(params={"day": DAY}, status=OK, owner=True)],
    ("GET", "/api/0/insights/suggestions"): lambda b: [Probe(params={"day": DAY}, status=OK)],
    ("GET", "/api/0/insights/digest"): lambda b: [
        Probe(params={"day": DAY}, status=OK, owner=True)
    ],
    # The administrator's routes: her write token is refused.
    ("GET", "/api/0/tokens"): lambda b: [
        Probe(status=ADMIN_ONLY),
        Probe(params={"user": b.user}, status=ADMIN_ONLY),
    ],
    ("POST", "/api/0/tokens"): lambda b: [
        Probe(body={"scope": "write", "user": b.user}, status=ADMIN_ONLY)
    ],
    ("DELETE", "/api/0/tokens/{token_id}"): lambda b: [
        Probe(fill={"token_id": b.token_id}, status=ADMIN_ONLY),
        Probe(fill={"token_id": b.token_id}, params={"user": b.user}, status=ADMIN_ONLY),
    ],
    ("GET", "/api/0/users"): lambda b: [Probe(status=ADMIN_ONLY)],
    ("POST", "/api/0/users"): lambda b: [Probe(body={"name": "eve"}, status=ADMIN_ONLY)],
    ("GET", "/api/0/users/{user_name}"): lambda b: [
        Probe(fill={"user_name": b.user}, status=ADMIN_ONLY)
    ],
    ("PATCH", "/api/0/users/{user_name}"): lambda b: [
        Probe(fill={"user_name": b.user}, body={"disabled": True}, status=ADMIN_ONLY)
    ],
    ("POST", "/api/0/users/{user_name}/disable"): lambda b: [
        Probe(fill={"user_name": b.user}, status=ADMIN_ONLY)
    ],
    ("POST", "/api/0/users/{user_name}/enable"): lambda b: [
        Probe(fill={"user_name": b.user}, status=ADMIN_ONLY)
    ],
}
PHASE_2: Cases = {
    # Bob's names are free in Alice's namespace: these create or replace her own things.
    ("POST", "/api/0/buckets/{bucket_id}"): lambda b: [
        _bucket(b, body={"type": "currentwindow", "client": "alice"}, status=CREATED_OR_THERE)
    ],
    ("POST", "/api/0/import"): lambda b: [Probe(body=_import_doc(b.bucket), status=OK)],
    ("POST", "/api/0/sync/buckets/{bucket_id}"): lambda b: [
        _bucket(b, body={"bucket": {"type": "currentwindow"}, "events": [EVENT]}, status=OK)
    ],
    ("POST", "/api/0/settings/{key}"): lambda b: [
        Probe(fill={"key": b.setting}, body="alice's value", status=OK)
    ],
    ("PUT", "/api/0/categories"): lambda b: [
        Probe(body={"categories": [{"name": ["AliceWork"], "rule": {"type": "none"}}]}, status=OK)
    ],
    ("POST", "/api/0/categories/import"): lambda b: [
        Probe(body=[{"name": ["AliceOther"], "rule": {"type": "none"}}], status=OK)
    ],
    ("POST", "/api/0/categories/items"): lambda b: [
        Probe(body={"name": ["BobWork7q"], "rule": {"type": "none"}}, status=CREATED_OR_THERE_409)
    ],
}


def _key(method: str, path: str) -> tuple[str, str]:
    return method, path.rstrip("/") or "/"


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route, both spellings, HEAD left out (answered as GET)."""
    return sorted(
        (method, path)
        for path, route in all_routes(app.routes)
        for method in (route.methods or ())
        if method != "HEAD"
    )


def uncovered(app: FastAPI) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Routes of ``app`` without a case, and cases without a route."""
    routes = {_key(m, p) for m, p in _routes(app)}
    cases = {*PHASE_1, *PHASE_2}
    return sorted(routes - cases), sorted(cases - routes)


def _ask(tc: TestClient, method: str, path: str, probe: Probe) -> Any:
    url = path.format(**probe.fill)
    if probe.content is not None:
        return tc.request(method, url, params=probe.params, content=probe.content)
    body = probe.body if probe.body is not None or method in ("GET", "DELETE") else {}
    return tc.request(method, url, params=probe.params, json=body)


def _sent(method: str, path: str, probe: Probe) -> str:
    """Everything Alice put in the request (markers in it may come back, e.g. in a 404)."""
    return json.dumps([path.format(**probe.fill), probe.params, probe.body]).lower()


def _leaks(text: str, sent: str) -> list[str]:
    low = text.lower()
    return [m for m in MARKERS if m.lower() in low and m.lower() not in sent]


def _snapshot(bob: TestClient, root: TestClient) -> dict[str, Any]:
    """All of Bob's data as Bob (and the administrator, for his tokens) reads it."""
    return {
        "export": bob.get("/api/0/export").json(),
        "settings": bob.get("/api/0/settings").json(),
        "categories": bob.get("/api/0/categories").json(),
        "tokens": [
            {k: v for k, v in t.items() if k != "last_used"}
            for t in root.get("/api/0/tokens", params={"user": "bob"}).json()
        ],
        "user": root.get("/api/0/users/bob").json(),
    }


def _populate(root: TestClient, make_client: Any) -> tuple[TestClient, dict[str, Any], Bob]:
    """Users Alice and Bob with data of their own; Bob's client, Alice's tokens, Bob's ids."""
    secrets: dict[str, Any] = {}
    for name in ("alice", "bob"):
        assert root.post("/api/0/users", json={"name": name}).status_code == 201
    for user, scope, device in [
        ("alice", "write", "alice-laptop"),
        ("alice", "read", "alice-phone"),
        ("alice", "admin", "alice-admin"),
        ("bob", "write", "bob-device-7q"),
    ]:
        made = root.post("/api/0/tokens", json={"user": user, "scope": scope, "name": device})
        assert made.status_code == 201, made.text
        secrets[device] = made.json()
    bob = make_client(secrets["bob-device-7q"]["token"], app=root.app)
    alice = make_client(secrets["alice-laptop"]["token"], app=root.app)
    # Bob's data.
    bucket = {"type": "currentwindow", "client": "bob-client-7q", "hostname": "bob-host-7q"}
    assert bob.post(f"/api/0/buckets/{BOB_BUCKET}", json=bucket).status_code == 200
    stored = bob.post(f"/api/0/buckets/{BOB_BUCKET}/events", json=BOB_EVENTS).json()
    beat = {"timestamp": f"{DAY}T11:05:00Z", "duration": 5, "data": BOB_EVENTS[1]["data"]}
    assert bob.post(f"/api/0/buckets/{BOB_BUCKET}/heartbeat?pulsetime=600", json=beat).is_success
    assert bob.post(f"/api/0/settings/{BOB_SETTING[0]}", json=BOB_SETTING[1]).is_success
    category = bob.post("/api/0/categories/items", json=BOB_CATEGORY)
    assert category.status_code == 201, category.text
    # Alice's own bucket, so she has data too (and a bucket to try Bob's event id in).
    assert alice.post("/api/0/buckets/alice-bucket", json={"type": "currentwindow"}).is_success
    assert alice.post("/api/0/buckets/alice-bucket/events", json=[EVENT]).is_success
    ids = Bob(
        bucket=BOB_BUCKET,
        event_id=stored[0]["id"],
        category_id=category.json()["id"],
        token_id=secrets["bob-device-7q"]["id"],
        token_prefix=secrets["bob-device-7q"]["prefix"],
        setting=BOB_SETTING[0],
        user="bob",
        alice_bucket="alice-bucket",
    )
    return bob, secrets, ids


@pytest.mark.parametrize("fast_routes", [True, False], ids=["fast-routes", "fastapi-only"])
def test_no_route_gives_one_user_anothers_data(
    make_app: Any, make_client: Any, make_token: Any, services: Services, fast_routes: bool
) -> None:
    app = make_app(fast_routes=fast_routes, rate_limit_per_s=10_000, rate_limit_burst=10_000)
    root = make_client(make_token("admin"), app=app)
    bob, secrets, ids = _populate(root, make_client)
    markers = (*MARKERS, ids.token_prefix.lower())
    routes = _routes(app)
    assert set(PHASE_1).isdisjoint(PHASE_2)
    # Every route has a case, every case a route: a new route fails here until it has one.
    missing, stale = uncovered(app)
    assert missing == [], f"routes without an isolation case: {missing}"
    assert stale == [], f"cases without a route: {stale}"
    assert len(routes) > 90  # both spellings of about fifty paths

    before = _snapshot(bob, root)
    assert "bob-title-7q" in json.dumps(before) and "bobwork7q" in json.dumps(before).lower()
    intruders = {
        "write": make_client(secrets["alice-laptop"]["token"], app=app),
        "admin": make_client(secrets["alice-admin"]["token"], app=app),
    }
    asked = 0
    seen: dict[tuple[str, str], set[int]] = {}
    for phase in (PHASE_1, PHASE_2):
        for method, path in routes:
            make = phase.get(_key(method, path))
            if make is None:
                continue
            for probe in make(ids):
                sent = _sent(method, path, probe)
                if probe.owner:
                    mine = _ask(bob, method, path, probe)
                    assert mine.status_code == 200, (method, path, mine.text[:300])
                    shown = (
                        probe.owner(mine.json())
                        if callable(probe.owner)
                        else _leaks(mine.text, sent) or ids.bucket in mine.text
                    )
                    assert shown, (
                        f"{method} {path}: Bob's own answer holds none of his data, so this "
                        "probe proves nothing"
                    )
                for who, alice in intruders.items():
                    if who == "admin" and probe.status == ADMIN_ONLY:
                        continue  # the administrator's own business (tests/api/test_users_api)
                    resp = _ask(alice, method, path, probe)
                    seen.setdefault(_key(method, path), set()).add(resp.status_code)
                    where = (who, method, path, probe.fill, probe.params)
                    assert resp.status_code in probe.status, (*where, resp.text[:300])
                    leaked = [m for m in markers if m in resp.text.lower() and m not in sent]
                    assert leaked == [], (*where, leaked)
                    if probe.check is not None:
                        assert probe.check(resp.json()), (*where, resp.text[:300])
                    asked += 1
    assert asked > 150
    # Bob's data is exactly as it was, and his device still works.
    assert _snapshot(bob, root) == before
    assert bob.get(f"/api/0/buckets/{BOB_BUCKET}/events").status_code == 200
    # Alice's writes under Bob's names landed with her.
    alice = intruders["write"]
    assert set(alice.get("/api/0/buckets/").json()) == {"alice-bucket", BOB_BUCKET}
    assert alice.get(f"/api/0/settings/{BOB_SETTING[0]}").json() == "alice's value"
    # Bob's bucket name and category path were free for her: made at the first try.
    assert 200 in seen[("POST", "/api/0/buckets/{bucket_id}")]
    assert 201 in seen[("POST", "/api/0/categories/items")]


def test_a_new_route_without_a_case_fails(make_app: Any) -> None:
    """The enumeration above refuses an app with a route it has no case for."""
    app = make_app()

    async def newcomer() -> dict[str, str]:
        return {}

    app.add_api_route("/api/0/newcomer/{thing_id}", newcomer, methods=["GET", "DELETE"])
    missing, stale = uncovered(app)
    assert missing == [
        ("DELETE", "/api/0/newcomer/{thing_id}"),
        ("GET", "/api/0/newcomer/{thing_id}"),
    ]
    assert stale == []


def test_a_live_stream_shows_only_the_askers_changes(
    services: Services, make_token: Any, make_client: Any, make_app: Any
) -> None:
    """Alice's unfiltered event stream, while Bob writes: her own change arrives, none of his
    (changes reach a stream in commit order, so his, committed first, would come first)."""
    root = make_client(make_token("admin"), app=make_app())
    bob, secrets, ids = _populate(root, make_client)
    server = ApiServer(services, ApiConfig(port=0, hostname="h", freeze_heap=False))
    server.start()
    try:
        alice_auth = {"Authorization": f"Bearer {secrets['alice-phone']['token']}"}
        bob_auth = {"Authorization": f"Bearer {secrets['bob-device-7q']['token']}"}
        with (
            httpx.Client(base_url=server.url, headers=alice_auth, timeout=10) as alice,
            httpx.Client(base_url=server.url, headers=bob_auth, timeout=10) as bobs,
            alice.stream("GET", "/api/0/events/stream") as stream,
        ):
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            beat = {"timestamp": f"{DAY}T12:00:00Z", "duration": 1, "data": BOB_EVENTS[0]["data"]}
            bob_beat = f"/api/0/buckets/{BOB_BUCKET}/heartbeat?pulsetime=5"
            assert bobs.post(bob_beat, json=beat).is_success
            assert bobs.delete(f"/api/0/buckets/{BOB_BUCKET}/events/{ids.event_id}").is_success
            writer = {"Authorization": f"Bearer {secrets['alice-laptop']['token']}"}
            mine = {"timestamp": f"{DAY}T13:00:00Z", "duration": 1, "data": {"app": "alice-end"}}
            posted = httpx.post(
                f"{server.url}/api/0/buckets/alice-bucket/heartbeat?pulsetime=5",
                json=mine,
                headers=writer,
                timeout=10,
            )
            assert posted.is_success
            received = []
            for line in lines:
                received.append(line)
                if "alice-end" in line:
                    break
    finally:
        server.stop()
    text = "\n".join(received).lower()
    assert "alice-bucket" in text
    assert [m for m in MARKERS if m.lower() in text] == []
    assert bob.get(f"/api/0/buckets/{BOB_BUCKET}/events").status_code == 200
