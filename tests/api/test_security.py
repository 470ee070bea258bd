"""Security: every route needs a token with the right scope, host check, CORS, limits."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route
from starlette.testclient import TestClient
from timelygator.core import settings_store, tokens
from timelygator.core.services import Services

from tests.api.conftest import make_bucket

PUBLIC = {"/api/0/info", "/api/0/info/", "/health", "/health/"}
# Interactive documentation (no user data); browsers cannot send a bearer token to it.
DOCS = {"/docs", "/docs/oauth2-redirect", "/openapi.json"}
ADMIN_ROUTES = re.compile(r"^/api/0/(tokens|users)")
WRITE_METHODS = {"POST", "PUT", "DELETE"}
# POSTs that only read (the body is a question, nothing is stored).
READ_POSTS = {
    "/api/0/query/",
    "/api/0/query",
    "/api/0/categories/preview",
    "/api/0/categories/preview/",
}


def _concrete(path: str) -> str:
    return (
        path.replace("{bucket_id}", "b")
        .replace("{event_id}", "1")
        .replace("{key}", "k")
        .replace("{token_id}", "1")
        .replace("{user_name}", "u")
    )


def all_routes(routes: Any, prefix: str = "") -> list[tuple[str, Route]]:
    """Every HTTP route with its full path, through included routers (any FastAPI version)."""
    flat: list[tuple[str, Route]] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            flat.extend(
                all_routes(included.routes, prefix + (getattr(context, "prefix", "") or ""))
            )
        else:
            assert isinstance(route, Route), route  # no websocket or mounted apps
            flat.append((prefix + route.path, route))
    return flat


def _routes(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, concrete path, needed scope) for every route of the app."""
    found = []
    for path, route in all_routes(app.routes):
        if path in DOCS:
            continue
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            if path in PUBLIC:
                scope = "public"
            elif ADMIN_ROUTES.match(path):
                scope = "admin"
            elif method in WRITE_METHODS and path not in READ_POSTS:
                scope = "write"
            else:
                scope = "read"
            found.append((method, _concrete(path), scope))
    return found


def test_every_route_is_either_public_or_needs_a_token(
    make_app: Any, make_client: Any, make_token: Any
) -> None:
    app = make_app(auth_failure_burst=10_000)  # hundreds of refusals from one address
    routes = _routes(app)
    assert len(routes) > 40  # both spellings of every path
    assert {p for p, r in all_routes(app.routes) if isinstance(r, APIRoute)} >= {
        "/api/0/buckets/",
        "/api/0/buckets/{bucket_id}/heartbeat",
        "/api/0/export",
        "/api/0/import",
        "/api/0/query/",
        "/api/0/settings/{key}",
        "/api/0/tokens",
        "/api/0/users",
        "/api/0/users/{user_name}/disable",
        "/api/0/events/stream",
        "/metrics",
        "/api/0/categories",
        "/api/0/categories/preview",
        "/api/0/summary",
        "/api/0/summary/trend",
    }
    anonymous = make_client(app=app)
    wrong = make_client("tg_" + "x" * 43, app=app)
    not_bearer = TestClient(
        app,
        base_url="http://127.0.0.1:5600",
        headers={"Authorization": "Basic dXNlcjpwYXNz"},
        client=("127.0.0.1", 1),
    )
    revoked_secret = make_token("admin")
    with anonymous.app.state.ctx.services.read() as conn:
        token_id = tokens.list_tokens(conn)[-1].id
    services: Services = app.state.ctx.services
    tokens.revoke(services.writer, token_id).result()
    revoked = make_client(revoked_secret, app=app)
    by_scope = {s: make_client(make_token(s), app=app) for s in tokens.SCOPES}
    checked = 0
    for method, path, needed in routes:
        if needed == "public":
            assert anonymous.request(method, path).status_code == 200, (method, path)
            continue
        for who in (anonymous, wrong, not_bearer, revoked):
            resp = who.request(method, path, json={})
            assert resp.status_code == 401, (method, path, resp.status_code)
            assert resp.json()["message"]
            assert resp.headers["WWW-Authenticate"] == "Bearer"
        for scope, tc in by_scope.items():
            if needed not in tokens._IMPLIED[scope]:
                resp = tc.request(method, path, json={})
                assert resp.status_code == 403, (scope, method, path, resp.status_code)
        checked += 1
    assert checked > 40


def test_info_and_health_need_no_token(make_client: Any, services: Services) -> None:
    c = make_client()
    info = c.get("/api/0/info").json()
    assert set(info) == {"hostname", "version", "testing", "device_id"}
    assert info["device_id"] == c.get("/api/0/info/").json()["device_id"]
    health = c.get("/health").json()
    assert health == {"status": "ok", "database": "ok", "writer": "running"}


def test_device_id_is_persisted_once(make_client: Any) -> None:
    first = make_client().get("/api/0/info").json()["device_id"]
    second = make_client().get("/api/0/info").json()["device_id"]  # a new app, same data dir
    assert first == second


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("localhost", True),
        ("localhost:5600", True),
        ("127.0.0.1:1234", True),
        ("[::1]:5600", True),
        ("LOCALHOST", True),
        ("evil.example:5600", False),
        ("127.0.0.1.evil.example", False),
        ("192.168.1.2:5600", False),
    ],
)
def test_host_header_check(client: TestClient, host: str, ok: bool) -> None:
    resp = client.get("/api/0/buckets/", headers={"Host": host})
    if ok:
        assert resp.status_code == 200
    else:
        assert resp.status_code == 400
        assert "Host" in resp.json()["message"]


def test_host_check_stays_on_when_remote_allowed(make_client: Any, make_token: Any) -> None:
    """Remote clients name the machine or an IP address; a rebinding page's name is refused."""
    c = make_client(
        make_token("read"), allow_remote=True, host="0.0.0.0", allowed_hosts=("myserver.lan",)
    )
    for host, status in [
        ("myserver.lan:5600", 200),
        ("192.168.1.5:5600", 200),
        ("[fe80::1]:5600", 200),
        ("localhost:5600", 200),
        ("evil.example", 400),
        ("myserver.lan.evil.example:5600", 400),
    ]:
        resp = c.get("/api/0/buckets/", headers={"Host": host})
        assert resp.status_code == status, host
    assert resp.json()["message"] == "Invalid Host header: use this computer's name or IP address."


def test_token_less_access_needs_a_loopback_client_and_a_loopback_host(
    make_client: Any, make_token: Any
) -> None:
    """Compatibility mode never reaches past this computer, whatever else is configured."""
    config = {"compat_mode": True, "allow_remote": True, "host": "0.0.0.0"}
    local = make_client(**config)
    assert local.get("/api/0/buckets/").status_code == 200
    for host in ("192.168.1.5:5600", "127.0.0.2:5600"):
        resp = local.get("/api/0/export", headers={"Host": host})
        assert resp.status_code == 401, host
        assert "An API token is required" in resp.json()["message"]
    remote = make_client(client=("192.168.1.9", 5000), **config)
    assert remote.get("/api/0/export").status_code == 401


@pytest.mark.parametrize(
    "origin",
    [
        "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi",
        "moz-extension://5a3c9b2e-0000-4000-8000-123456789abc",
        "chrome-extension://timelygatorownextensionid",
        "http://127.0.0.1:5600",
    ],
)
def test_cors_for_extensions_and_own_origin(make_client: Any, make_token: Any, origin: str) -> None:
    c = make_client(
        make_token("write"), extension_origins=("chrome-extension://timelygatorownextensionid",)
    )
    pre = c.options(
        "/api/0/buckets/b/heartbeat",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == origin
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "authorization" in pre.headers["access-control-allow-headers"]
    resp = c.get("/api/0/buckets/", headers={"Origin": origin})
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == origin
    # Errors carry CORS headers too, so the extension can read the message.
    missing = c.get("/api/0/buckets/nope", headers={"Origin": origin})
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "chrome-extension://someotherextension"]
)
def test_other_origins_are_refused(client: TestClient, origin: str) -> None:
    pre = client.options(
        "/api/0/buckets/", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
    )
    assert pre.status_code == 403
    assert "access-control-allow-origin" not in pre.headers
    post = client.post(
        "/api/0/buckets/x",
        content=b'{"type": "t", "client": "c", "hostname": "h"}',
        headers={"Origin": origin, "Content-Type": "text/plain"},
    )
    assert post.status_code == 403
    assert client.get("/api/0/buckets/").json() == {}


def test_body_size_limit_is_413(make_client: Any, make_token: Any) -> None:
    c = make_client(make_token("write"), max_body_bytes=2000)
    make_bucket(c, "b")
    big = [{"timestamp": "2024-01-01T00:00:00Z", "data": {"t": "x" * 100}}] * 40
    resp = c.post("/api/0/buckets/b/events", json=big)
    assert resp.status_code == 413
    assert "too large" in resp.json()["message"]

    def chunks() -> Any:  # no Content-Length: counted while streaming
        for _ in range(10):
            yield b" " * 500

    streamed = c.post(
        "/api/0/buckets/b/events", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert c.get("/api/0/buckets/b/events").json() == []


def test_rate_limit_is_429_with_retry_after(make_client: Any, make_token: Any) -> None:
    c = make_client(make_token("read"), rate_limit_per_s=0.5, rate_limit_burst=3)
    codes = [c.get("/api/0/buckets/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = c.get("/api/0/buckets/")
    assert int(limited.headers["Retry-After"]) >= 1
    assert "slow down" in limited.json()["message"]
    # Another token has its own budget.
    other = make_client(make_token("read"), app=c.app)
    assert other.get("/api/0/buckets/").status_code == 200


def test_users_cannot_see_each_other(
    app: FastAPI, services: Services, make_client: Any, make_token: Any
) -> None:
    bob_id = services.writer.call(lambda c: tokens.ensure_user(c, "bob", 1)).result()
    alice = make_client(make_token("write"), app=app)
    bob = make_client(make_token("admin", user_id=bob_id), app=app)
    make_bucket(alice, "private")
    stored = alice.post(
        "/api/0/buckets/private/events", json=[{"timestamp": "2024-01-01T00:00:00Z"}]
    ).json()[0]
    alice.post("/api/0/settings/theme", json="dark")
    assert bob.get("/api/0/buckets/").json() == {}
    assert bob.get("/api/0/buckets/private").status_code == 404
    assert bob.get("/api/0/buckets/private/events").status_code == 404
    assert bob.get(f"/api/0/buckets/private/events/{stored['id']}").status_code == 404
    assert (
        bob.post(
            "/api/0/buckets/private/heartbeat?pulsetime=1",
            json={"timestamp": "2024-01-01T00:00:01Z", "data": {}},
        ).status_code
        == 404
    )
    assert bob.delete("/api/0/buckets/private?force=1").status_code == 404
    assert bob.get("/api/0/buckets/private/export").status_code == 404
    assert bob.get("/api/0/export").json() == {"buckets": {}}
    assert bob.get("/api/0/settings/theme").json() is None
    query = bob.post(
        "/api/0/query/",
        json={
            "timeperiods": ["2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"],
            "query": ["RETURN = query_bucket('private');"],
        },
    )
    assert query.status_code == 400
    # Bob may use the same bucket name for his own bucket without touching Alice's.
    make_bucket(bob, "private")
    assert bob.get("/api/0/buckets/private/events").json() == []
    assert len(alice.get("/api/0/buckets/private/events").json()) == 1
    assert [t["scope"] for t in bob.get("/api/0/tokens").json()] == ["admin"]  # only his


def test_compat_mode_lets_loopback_in_without_token(
    services: Services, make_client: Any, make_token: Any, make_app: Any
) -> None:
    app = make_app()
    assert make_client(app=app).get("/api/0/buckets/").status_code == 401  # off by default
    admin = make_client(make_token("admin"), app=app)
    writer = make_client(make_token("write"), app=app)
    assert (
        writer.post(f"/api/0/settings/{settings_store.COMPAT_MODE_KEY}", json=True).status_code
        == 403
    )
    assert (
        admin.post(f"/api/0/settings/{settings_store.COMPAT_MODE_KEY}", json=True).status_code
        == 200
    )
    local = make_client(app=app, client=("127.0.0.1", 5555))
    assert local.get("/api/0/buckets/").status_code == 200
    make_bucket(local, "aw")
    assert local.get("/api/0/tokens").status_code == 403  # compat is write scope, not admin
    remote = make_client(app=app, client=("192.168.1.9", 5555))
    assert remote.get("/api/0/buckets/").status_code == 401
    # A wrong token is still rejected in compat mode.
    assert make_client("tg_wrong", app=app).get("/api/0/buckets/").status_code == 401
    # The setting persists: a new app starts in compat mode.
    assert make_client(client=("::1", 1)).get("/api/0/buckets/").status_code == 200
    admin.delete(f"/api/0/settings/{settings_store.COMPAT_MODE_KEY}")
    assert local.get("/api/0/buckets/").status_code == 401


def test_token_endpoints(admin: TestClient, make_client: Any) -> None:
    created = admin.post("/api/0/tokens", json={"scope": "read", "name": "grafana"})
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("tg_")
    assert body["scope"] == "read"
    listed = admin.get("/api/0/tokens").json()
    assert all("token" not in t for t in listed)
    assert body["token"] not in str(listed)
    reader = make_client(body["token"], app=admin.app)
    assert reader.get("/api/0/buckets/").status_code == 200
    assert reader.post("/api/0/buckets/x", json={"type": "t"}).status_code == 403
    assert admin.delete(f"/api/0/tokens/{body['id']}").json()["revoked"] is True
    assert reader.get("/api/0/buckets/").status_code == 401
    assert admin.delete("/api/0/tokens/99999").status_code == 404
    assert admin.post("/api/0/tokens", json={"scope": "root"}).status_code == 400


def test_secrets_never_reach_logs(
    app: FastAPI, make_client: Any, make_token: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = make_token("admin")
    c = make_client(secret, app=app)
    c.post("/api/0/tokens", json={"scope": "read"})
    c.get("/api/0/buckets/nope")
    make_client(secret + "x", app=app).get("/api/0/buckets/")
    assert secret not in caplog.text
    assert "tg_" not in caplog.text


def test_validation_errors_are_400_messages(client: TestClient) -> None:
    resp = client.post("/api/0/query/", json={"query": 1})
    assert resp.status_code == 400
    assert set(resp.json()) == {"message"}
    assert client.get("/api/0/nowhere").status_code == 404
    assert client.get("/api/0/nowhere").json()["message"]
    assert client.patch("/api/0/buckets/").status_code == 405


def test_no_redirects_for_trailing_slashes(client: TestClient) -> None:
    for path in ("/api/0/buckets", "/api/0/buckets/", "/api/0/export", "/api/0/export/"):
        resp = client.get(path, follow_redirects=False)
        assert resp.status_code == 200, path


def test_metrics_report_requests_queue_and_events(client: TestClient) -> None:
    make_bucket(client, "b")
    client.post(
        "/api/0/buckets/b/heartbeat?pulsetime=1",
        json={"timestamp": "2024-01-01T00:00:00Z", "data": {}},
    )
    text = client.get("/metrics").text
    assert (
        'timelygator_http_requests_total{method="POST",'
        'route="/api/0/buckets/{bucket_id}/heartbeat",status="200"} 1.0' in text
    )
    assert "timelygator_http_request_duration_seconds_bucket" in text
    assert "timelygator_writer_queue_depth 0.0" in text
    assert "timelygator_events_stored 1.0" in text
