"""Buckets as ActivityWatch clients use them."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import make_bucket

BODY = {"client": "aw-watcher-window", "type": "currentwindow", "hostname": "laptop"}


def test_create_returns_200_then_304(client: TestClient) -> None:
    first = client.post("/api/0/buckets/win", json=BODY)
    assert first.status_code == 200
    again = client.post("/api/0/buckets/win/", json={**BODY, "type": "other"})
    assert again.status_code == 304
    bucket = client.get("/api/0/buckets/win").json()
    assert bucket["type"] == "currentwindow"  # the 304 changed nothing


def test_bucket_shape_has_both_last_updated_and_metadata(client: TestClient) -> None:
    client.post("/api/0/buckets/win", json=BODY)
    client.post(
        "/api/0/buckets/win/events",
        json=[{"timestamp": "2024-03-01T10:00:00Z", "duration": 60, "data": {"app": "vim"}}],
    )
    listing = client.get("/api/0/buckets/").json()
    assert set(listing) == {"win"}
    bucket = listing["win"]
    assert set(bucket) == {
        "id",
        "name",
        "type",
        "client",
        "hostname",
        "created",
        "data",
        "last_updated",
        "metadata",
    }
    assert bucket["id"] == "win"
    assert bucket["client"] == "aw-watcher-window"
    assert bucket["hostname"] == "laptop"
    assert bucket["metadata"] == {
        "start": "2024-03-01T10:00:00.000000+00:00",
        "end": "2024-03-01T10:01:00.000000+00:00",
    }
    assert bucket["last_updated"] == "2024-03-01T10:01:00.000000+00:00"
    assert client.get("/api/0/buckets").json() == listing


def test_local_hostname_and_created(client: TestClient) -> None:
    resp = client.post(
        "/api/0/buckets/x",
        json={
            **BODY,
            "hostname": "!local",
            "created": "2020-01-01T00:00:00+02:00",
            "data": {"k": 1},
        },
    )
    assert resp.status_code == 200
    bucket = client.get("/api/0/buckets/x").json()
    assert bucket["hostname"] == "testhost"
    assert bucket["created"] == "2019-12-31T22:00:00.000000+00:00"
    assert bucket["data"] == {"k": 1}


def test_unknown_bucket_is_404_with_message(client: TestClient) -> None:
    resp = client.get("/api/0/buckets/nope")
    assert resp.status_code == 404
    assert "nope" in resp.json()["message"]
    assert client.get("/api/0/buckets/nope/events").status_code == 404
    assert client.post("/api/0/buckets/nope/heartbeat?pulsetime=1", json={}).status_code in (
        400,
        404,
    )


def test_update_is_partial(client: TestClient) -> None:
    client.post("/api/0/buckets/x", json=BODY)
    resp = client.put("/api/0/buckets/x", json={"data": {"color": "red"}})
    assert resp.status_code == 200
    bucket = client.get("/api/0/buckets/x").json()
    assert bucket["data"] == {"color": "red"}
    assert bucket["type"] == "currentwindow"
    client.put("/api/0/buckets/x/", json={"type": "t2", "hostname": "h2"})
    bucket = client.get("/api/0/buckets/x").json()
    assert (bucket["type"], bucket["hostname"], bucket["client"]) == ("t2", "h2", BODY["client"])
    assert client.put("/api/0/buckets/missing", json={"type": "t"}).status_code == 404


def test_delete_needs_force_and_removes_events(client: TestClient) -> None:
    make_bucket(client, "x")
    client.post("/api/0/buckets/x/events", json=[{"timestamp": "2024-01-01T00:00:00Z"}])
    refused = client.delete("/api/0/buckets/x")
    assert refused.status_code == 401
    assert "force=1" in refused.json()["message"]
    assert client.get("/api/0/buckets/x/events").json() != []
    assert client.request("DELETE", "/api/0/buckets/x?force=1", json={}).status_code == 200
    assert client.get("/api/0/buckets/x").status_code == 404
    # Re-created bucket starts empty (no events of the old one, no stale cache).
    make_bucket(client, "x")
    assert client.get("/api/0/buckets/x/events").json() == []
    hb = client.post(
        "/api/0/buckets/x/heartbeat?pulsetime=5",
        json={"timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {}},
    )
    assert hb.status_code == 200


def test_bad_bucket_bodies_are_400(client: TestClient) -> None:
    assert client.post("/api/0/buckets/x", json={"client": "c"}).status_code == 400
    assert client.post("/api/0/buckets/x", content=b"not json").status_code == 400
    assert client.post("/api/0/buckets/x", json={**BODY, "data": [1]}).status_code == 400
    assert client.post("/api/0/buckets/x", json={**BODY, "created": "yesterday"}).status_code == 400
    assert client.get("/api/0/buckets/").json() == {}
