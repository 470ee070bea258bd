"""``/api/0/users`` and tokens for other users: an administrator manages users, each user's
devices get their own tokens, a disabled user's tokens stop working at once (data kept)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from timelygator.core import tokens
from timelygator.core.services import LOCAL_USER, Services

from tests.api.conftest import make_bucket

EVENT = {"timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {"app": "bob's"}}


@pytest.fixture
def root(app: FastAPI, make_token: Any, make_client: Any) -> TestClient:
    """The administrator: an admin token of the store's own user."""
    tc: TestClient = make_client(make_token("admin"), app=app)
    return tc


def _device_of(root: TestClient, make_client: Any, user: str, scope: str = "write") -> TestClient:
    """A client with a new token for ``user``, made by the administrator over the API."""
    made = root.post("/api/0/tokens", json={"user": user, "scope": scope, "name": "laptop"})
    assert made.status_code == 201, made.text
    tc: TestClient = make_client(made.json()["token"], app=root.app)
    return tc


def test_admin_creates_lists_and_reads_users(root: TestClient) -> None:
    assert [u["name"] for u in root.get("/api/0/users").json()] == [LOCAL_USER]
    made = root.post("/api/0/users", json={"name": "bob"})
    assert made.status_code == 201
    bob = made.json()
    assert set(bob) == {"id", "name", "created", "disabled", "disabled_at", "active_tokens"}
    assert (bob["name"], bob["disabled"], bob["disabled_at"], bob["active_tokens"]) == (
        "bob",
        False,
        None,
        0,
    )
    assert root.get("/api/0/users/bob/").json() == bob
    assert [u["name"] for u in root.get("/api/0/users/").json()] == [LOCAL_USER, "bob"]
    taken = root.post("/api/0/users", json={"name": "BOB"})
    assert taken.status_code == 409
    assert taken.json() == {"message": "There is already a user 'bob'."}
    bad = root.post("/api/0/users", json={"name": "bob smith"})
    assert bad.status_code == 400
    assert "cannot be a user name" in bad.json()["message"]
    assert root.post("/api/0/users", json={"name": "x", "password": "no"}).status_code == 400
    missing = root.get("/api/0/users/carol")
    assert missing.status_code == 404
    assert "no user 'carol'" in missing.json()["message"]


@pytest.mark.parametrize("scope", ["read", "write"])
def test_only_admin_tokens_manage_users(
    root: TestClient, make_client: Any, make_token: Any, scope: str
) -> None:
    root.post("/api/0/users", json={"name": "bob"})
    other = make_client(make_token(scope), app=root.app)
    for method, path, body in [
        ("GET", "/api/0/users", None),
        ("POST", "/api/0/users", {"name": "eve"}),
        ("GET", "/api/0/users/bob", None),
        ("PATCH", "/api/0/users/bob", {"disabled": True}),
        ("POST", "/api/0/users/bob/disable", None),
        ("POST", "/api/0/users/bob/enable", None),
    ]:
        resp = other.request(method, path, json=body)
        assert resp.status_code == 403, (method, path)
        assert resp.json() == {"message": "This token does not have the 'admin' scope."}
    assert not root.get("/api/0/users/bob").json()["disabled"]
    assert [u["name"] for u in root.get("/api/0/users").json()] == [LOCAL_USER, "bob"]


def test_each_device_gets_its_own_token(
    root: TestClient, make_client: Any, services: Services
) -> None:
    root.post("/api/0/users", json={"name": "bob"})
    laptop = _device_of(root, make_client, "bob")
    make_bucket(laptop, "bob-window")
    assert laptop.post("/api/0/buckets/bob-window/heartbeat?pulsetime=1", json=EVENT).is_success
    assert list(laptop.get("/api/0/buckets/").json()) == ["bob-window"]
    assert root.get("/api/0/buckets/").json() == {}  # the admin reads only their own data
    listed = root.get("/api/0/tokens", params={"user": "bob"}).json()
    assert [(t["name"], t["scope"], t["revoked"]) for t in listed] == [("laptop", "write", False)]
    assert [t["scope"] for t in root.get("/api/0/tokens").json()] == ["admin"]  # own ones
    assert root.get("/api/0/users/bob").json()["active_tokens"] == 1
    # Revoking another user's token names the user; without it the id is not found.
    token_id = listed[0]["id"]
    assert root.delete(f"/api/0/tokens/{token_id}").status_code == 404
    revoked = root.delete(f"/api/0/tokens/{token_id}", params={"user": "bob"})
    assert (revoked.status_code, revoked.json()["revoked"]) == (200, True)
    assert laptop.get("/api/0/buckets/").status_code == 401
    unknown = root.post("/api/0/tokens", json={"user": "carol", "scope": "write"})
    assert unknown.status_code == 404
    assert root.get("/api/0/tokens", params={"user": "carol"}).status_code == 404
    # The bucket and its event stayed bob's.
    with services.read() as conn:
        found = conn.exec_driver_sql(
            "SELECT users.name, count(events.id) FROM buckets JOIN users ON users.id = "
            "buckets.user_id JOIN events ON events.bucket_id = buckets.id GROUP BY users.name"
        ).all()
    assert [tuple(r) for r in found] == [("bob", 1)]


def test_a_disabled_users_tokens_stop_at_once_and_their_data_stays(
    root: TestClient, make_client: Any
) -> None:
    root.post("/api/0/users", json={"name": "bob"})
    laptop = _device_of(root, make_client, "bob")
    phone = _device_of(root, make_client, "bob", scope="read")
    make_bucket(laptop, "bob-window")
    heartbeat = "/api/0/buckets/bob-window/heartbeat?pulsetime=1"
    assert laptop.post(heartbeat, json=EVENT).status_code == 200  # the token is cached now
    assert phone.get("/api/0/buckets/bob-window/events").status_code == 200

    off = root.patch("/api/0/users/bob", json={"disabled": True})
    assert off.status_code == 200
    assert off.json()["disabled"] is True and off.json()["disabled_at"] is not None
    for tc, method, path in [
        (laptop, "POST", heartbeat),  # a fast route
        (laptop, "GET", "/api/0/buckets/"),
        (phone, "GET", "/api/0/buckets/bob-window/events"),
    ]:
        resp = tc.request(method, path, json=EVENT if method == "POST" else None)
        assert resp.status_code == 403, (method, path)
        text = resp.json()["message"]
        assert "'bob'" in text and "disabled" in text and "data is kept" in text
        assert "user enable bob" in text
    # A disabled user gets no new token; the administrator still works.
    refused = root.post("/api/0/tokens", json={"user": "bob", "scope": "write"})
    assert refused.status_code == 400
    assert "is disabled" in refused.json()["message"]

    on = root.post("/api/0/users/bob/enable")
    assert (on.status_code, on.json()["disabled"]) == (200, False)
    for _ in range(3):  # at once and from then on, the same tokens, the same data
        events = phone.get("/api/0/buckets/bob-window/events")
        assert events.status_code == 200
        assert [e["data"] for e in events.json()] == [{"app": "bob's"}]
        assert laptop.post(heartbeat, json=EVENT).status_code == 200
    # POST .../disable does what PATCH does.
    assert root.post("/api/0/users/bob/disable").json()["disabled"] is True
    assert laptop.get("/api/0/buckets/").status_code == 403


def test_the_administrator_cannot_lock_themselves_out(root: TestClient, make_client: Any) -> None:
    own = root.patch(f"/api/0/users/{LOCAL_USER}", json={"disabled": True})
    assert own.status_code == 400
    assert "cannot be disabled" in own.json()["message"]
    root.post("/api/0/users", json={"name": "bob"})
    bob_admin = _device_of(root, make_client, "bob", scope="admin")
    himself = bob_admin.post("/api/0/users/bob/disable")
    assert himself.status_code == 400
    assert "token you are using" in himself.json()["message"]
    assert root.get("/api/0/users/bob").json()["disabled"] is False
    assert bob_admin.get("/api/0/users").status_code == 200
    assert root.patch("/api/0/users/nobody", json={"disabled": True}).status_code == 404
    assert root.patch("/api/0/users/bob", json={"disabled": "yes"}).status_code == 400


def test_the_desktop_store_keeps_its_one_user(services: Services, root: TestClient) -> None:
    """Without any user management the app's store has one user, id 1, as before."""
    assert [(u["id"], u["name"]) for u in root.get("/api/0/users").json()] == [(1, LOCAL_USER)]
    assert services.user_id == 1
    with services.read() as conn:
        assert tokens.list_tokens(conn)[0].user_id == 1
