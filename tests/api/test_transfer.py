"""Export, import (JSON and multipart, duplicates skipped), settings and query."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import make_bucket


def _fill(client: TestClient) -> None:
    make_bucket(client, "win", "currentwindow")
    client.post(
        "/api/0/buckets/win/events",
        json=[
            {"timestamp": "2024-05-01T10:00:00Z", "duration": 60, "data": {"app": "vim"}},
            {"timestamp": "2024-05-01T10:01:00Z", "duration": 30, "data": {"app": "firefox"}},
        ],
    )


def test_export_all_and_one_bucket(client: TestClient) -> None:
    _fill(client)
    resp = client.get("/api/0/export")
    assert resp.status_code == 200
    assert resp.headers["content-disposition"].startswith("attachment; filename=")
    assert resp.headers["content-disposition"].endswith('.json"')
    doc = resp.json()
    assert set(doc["buckets"]) == {"win"}
    bucket = doc["buckets"]["win"]
    assert bucket["type"] == "currentwindow"
    assert [e["data"]["app"] for e in bucket["events"]] == ["firefox", "vim"]
    one = client.get("/api/0/buckets/win/export/")
    assert one.status_code == 200
    assert "win" in one.headers["content-disposition"]
    assert one.json() == doc
    assert client.get("/api/0/buckets/nope/export").status_code == 404


def test_import_round_trip_and_twice_changes_nothing(
    client: TestClient, make_client: Any, make_token: Any, make_app: Any
) -> None:
    _fill(client)
    doc = client.get("/api/0/export").json()
    client.delete("/api/0/buckets/win?force=1")
    first = client.post("/api/0/import", json=doc)
    assert first.status_code == 200
    assert first.json()["buckets"]["win"] == {"created": True, "imported": 2, "skipped": 0}
    second = client.post("/api/0/import/", json=doc)
    assert second.json()["buckets"]["win"] == {"created": False, "imported": 0, "skipped": 2}
    events = client.get("/api/0/buckets/win/events").json()
    assert [(e["data"]["app"], e["duration"]) for e in events] == [("firefox", 30.0), ("vim", 60.0)]
    # Incoming ids are dropped: a third import with changed data adds just that event.
    doc["buckets"]["win"]["events"][0]["data"] = {"app": "emacs"}
    third = client.post("/api/0/import", json=doc).json()
    assert third["buckets"]["win"]["imported"] == 1
    assert len(client.get("/api/0/buckets/win/events").json()) == 3


def test_import_multipart_file(client: TestClient) -> None:
    doc = {
        "buckets": {
            "aw-watcher-afk_host": {
                "id": "aw-watcher-afk_host",
                "type": "afkstatus",
                "client": "aw-watcher-afk",
                "hostname": "host",
                "created": "2023-01-01T00:00:00+00:00",
                "events": [
                    {
                        "id": 77,
                        "timestamp": "2023-01-01T08:00:00+01:00",
                        "duration": 120.5,
                        "data": {"status": "not-afk"},
                    }
                ],
            }
        }
    }
    files = {"anyname": ("export.json", json.dumps(doc).encode(), "application/json")}
    resp = client.post("/api/0/import", files=files)
    assert resp.status_code == 200, resp.text
    events = client.get("/api/0/buckets/aw-watcher-afk_host/events").json()
    assert len(events) == 1
    assert events[0]["timestamp"] == "2023-01-01T07:00:00.000000+00:00"
    assert events[0]["duration"] == 120.5
    bucket = client.get("/api/0/buckets/aw-watcher-afk_host").json()
    assert bucket["created"] == "2023-01-01T00:00:00.000000+00:00"


def test_bad_import_stores_nothing(client: TestClient) -> None:
    bad = {
        "buckets": {
            "good": {"type": "t", "events": [{"timestamp": "2024-01-01T00:00:00Z"}]},
            "bad": {"type": "t", "events": [{"timestamp": "garbage"}]},
        }
    }
    assert client.post("/api/0/import", json=bad).status_code == 400
    assert client.post("/api/0/import", json={"nope": 1}).status_code == 400
    assert client.post("/api/0/import", content=b"{{{").status_code == 400
    assert client.get("/api/0/buckets/").json() == {}


def test_settings(client: TestClient) -> None:
    assert client.get("/api/0/settings").json() == {}
    assert client.get("/api/0/settings/missing").json() is None
    for key, value in [("a", False), ("b", 0), ("c", ""), ("d", {"x": [1, 2]}), ("e", "text")]:
        assert client.post(f"/api/0/settings/{key}", json=value).status_code == 200
        assert client.get(f"/api/0/settings/{key}/").json() == value
    assert client.get("/api/0/settings/").json() == {
        "a": False,
        "b": 0,
        "c": "",
        "d": {"x": [1, 2]},
        "e": "text",
    }
    client.post("/api/0/settings/a", json=True)
    assert client.get("/api/0/settings/a").json() is True
    assert client.delete("/api/0/settings/a").status_code == 200
    assert client.get("/api/0/settings/a").json() is None
    assert client.post("/api/0/settings/x", content=b"").status_code == 400
    assert client.post("/api/0/settings/x", content=b"{bad").status_code == 400


def test_query(client: TestClient) -> None:
    _fill(client)
    resp = client.post(
        "/api/0/query/",
        json={
            "timeperiods": [
                "2024-05-01T00:00:00+00:00/2024-05-02T00:00:00+00:00",
                "2024-05-02T00:00:00+00:00/2024-05-03T00:00:00+00:00",
            ],
            "query": [
                "events = query_bucket(find_bucket('win'));",
                "events = merge_events_by_keys(events, ['app']);",
                "RETURN = sort_by_duration(events);",
            ],
        },
    )
    assert resp.status_code == 200, resp.text
    day1, day2 = resp.json()
    assert [(e["data"]["app"], e["duration"]) for e in day1] == [("vim", 60.0), ("firefox", 30.0)]
    assert day2 == []
    assert (
        client.post("/api/0/query", json={"timeperiods": [], "query": ["RETURN = 1;"]}).json() == []
    )


def test_query_errors_are_400(client: TestClient) -> None:
    period = ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"]
    for body in (
        {"timeperiods": period, "query": ["RETURN = ;"]},
        {"timeperiods": period, "query": ["RETURN = query_bucket('nope');"]},
        {"timeperiods": ["not a period"], "query": ["RETURN = 1;"]},
        {"timeperiods": period, "query": ["RETURN = no_such_function();"]},
        {"timeperiods": period},
    ):
        resp = client.post("/api/0/query/", json=body)
        assert resp.status_code == 400, (body, resp.text)
        assert resp.json()["message"]
