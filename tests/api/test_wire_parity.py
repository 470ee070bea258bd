"""Where ActivityWatch's server and ours used to differ on the wire (checked against
aw-server 0.12 in --testing mode: empty buckets, delete without force, HEAD, extra keys on
bucket creation, the event DELETE answer, the version string)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import make_bucket


def test_an_empty_bucket_has_no_last_updated(client: TestClient) -> None:
    make_bucket(client, "empty")
    bucket = client.get("/api/0/buckets/empty").json()
    assert bucket["last_updated"] is None
    assert bucket["metadata"] == {"start": None, "end": None}
    assert client.get("/api/0/buckets/").json()["empty"]["last_updated"] is None


def test_unknown_keys_on_bucket_creation_are_ignored(client: TestClient) -> None:
    resp = client.post(
        "/api/0/buckets/x",
        json={"client": "c", "type": "t", "hostname": "h", "extra": 1, "foo": {"bar": []}},
    )
    assert resp.status_code == 200
    bucket = client.get("/api/0/buckets/x").json()
    assert (bucket["type"], bucket["data"]) == ("t", {})
    assert "extra" not in bucket and "foo" not in bucket


def test_testing_servers_delete_buckets_without_force(make_client: Any, make_token: Any) -> None:
    testing = make_client(make_token("write"), testing=True)
    make_bucket(testing, "t1")
    assert testing.delete("/api/0/buckets/t1").status_code == 200
    assert testing.get("/api/0/buckets/t1").status_code == 404
    normal = make_client(make_token("write"))
    make_bucket(normal, "t2")
    assert normal.delete("/api/0/buckets/t2").status_code == 401
    assert normal.get("/api/0/buckets/t2").status_code == 200


def test_deleting_an_event_answers_as_activitywatch(client: TestClient) -> None:
    make_bucket(client, "b")
    [event] = client.post(
        "/api/0/buckets/b/events", json=[{"timestamp": "2024-01-01T00:00:00Z"}]
    ).json()
    first = client.delete(f"/api/0/buckets/b/events/{event['id']}")
    assert (first.status_code, first.json()) == (200, {"success": 1})
    again = client.delete(f"/api/0/buckets/b/events/{event['id']}")
    assert (again.status_code, again.json()) == (200, {"success": 0})
    assert client.delete("/api/0/buckets/nope/events/1").status_code == 404


@pytest.mark.parametrize("fast", [True, False])
def test_head_is_get_without_a_body(make_client: Any, make_token: Any, fast: bool) -> None:
    client = make_client(make_token("read"), fast_routes=fast)
    for path in ("/api/0/info", "/api/0/buckets/", "/api/0/export", "/health"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == get.headers["content-length"]
    assert client.head("/api/0/buckets/nope").status_code == 404
    assert client.head("/api/0/buckets/nope/events").status_code == 404
    stream = client.head("/api/0/events/stream")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    anonymous = make_client(fast_routes=fast)
    assert anonymous.head("/api/0/buckets/").status_code == 401
    assert anonymous.head("/api/0/info").status_code == 200


def test_the_version_says_timelygator_and_the_api_level(client: TestClient) -> None:
    version = client.get("/api/0/info").json()["version"]
    assert re.fullmatch(r"v0\.13\.\d+ \(TimelyGator \d+\.\d+\.\d+.*\)", version), version


def test_json_bodies_are_read_as_json_whatever_the_content_type(client: TestClient) -> None:
    """curl -d sends a form type, some scripts none: the body is JSON all the same."""
    body = b'{"client": "curl", "type": "t", "hostname": "h"}'
    for headers in ({}, {"Content-Type": "application/x-www-form-urlencoded"},
                    {"Content-Type": "text/plain"}):  # fmt: skip
        name = f"b{len(headers)}{headers.get('Content-Type', '')[:4]}"
        resp = client.post(f"/api/0/buckets/{name}", content=body, headers=headers)
        assert resp.status_code == 200, (headers, resp.text)
    query = client.post(
        "/api/0/query/",
        content=b'{"timeperiods": ["2024-01-01/2024-01-02"], "query": ["RETURN = 1;"]}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert query.json() == [1]
