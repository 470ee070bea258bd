"""One time range on every way in (400, nothing stored); every read survives older rows
stored outside it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, insert, update
from starlette.testclient import TestClient
from timelygator.core import models
from timelygator.core.services import Services
from timelygator.core.timeutil import parse_iso

from tests.api.conftest import make_bucket

RANGE = "(1970-01-01 to 2200-01-01 UTC)"
GOOD = {"timestamp": "2024-05-01T10:00:00Z", "duration": 5, "data": {"app": "a"}}
OUT = [
    ({"timestamp": "9999-12-31T23:59:59Z", "duration": 10}, "'timestamp' is outside"),
    ({"timestamp": "0001-01-01T00:00:00+01:00"}, "'timestamp' is outside"),
    ({"timestamp": "1969-12-31T23:59:59Z"}, "'timestamp' is outside"),
    ({"timestamp": "2199-12-31T23:59:59Z", "duration": 2}, "'duration' ends after"),
]


@pytest.mark.parametrize(("event", "words"), OUT)
@pytest.mark.parametrize("fast", [True, False])
def test_events_outside_the_range_are_400_and_nothing_is_stored(
    make_client: Any, make_token: Any, event: dict[str, Any], words: str, fast: bool
) -> None:
    client = make_client(make_token("write"), fast_routes=fast)
    make_bucket(client, "b")
    for path, body in (
        ("/api/0/buckets/b/events", event),
        ("/api/0/buckets/b/events", [GOOD, event]),
        ("/api/0/buckets/b/heartbeat?pulsetime=5", event),
    ):
        resp = client.post(path, json=body)
        assert resp.status_code == 400, resp.text
        assert words in resp.json()["message"] and RANGE in resp.json()["message"]
    assert client.get("/api/0/buckets/b/events").json() == []


def test_bucket_created_import_and_query_periods_are_checked(client: TestClient) -> None:
    resp = client.post(
        "/api/0/buckets/old",
        json={"client": "c", "type": "t", "hostname": "h", "created": "0001-01-01T00:00:00+01:00"},
    )
    assert resp.status_code == 400
    assert resp.json()["message"] == (
        f"The bucket's 'created' time is outside the supported range {RANGE}."
    )
    assert client.get("/api/0/buckets/old").status_code == 404

    doc = {"buckets": {"imp": {"type": "t", "events": [GOOD, OUT[0][0]]}}}
    resp = client.post("/api/0/import", json=doc)
    assert resp.status_code == 400 and "'timestamp' is outside" in resp.json()["message"]
    doc = {"buckets": {"imp": {"type": "t", "created": "9999-12-31T23:59:59+00:00"}}}
    resp = client.post("/api/0/import", json=doc)
    assert resp.status_code == 400
    assert "'created' time of bucket 'imp' is outside" in resp.json()["message"]
    assert client.get("/api/0/buckets/").json() == {}

    for period in ("0001-01-01T00:00:00+01:00/2024-01-01T00:00:00Z", "2024-01-01/9999-12-31"):
        resp = client.post(
            "/api/0/query/", json={"timeperiods": [period], "query": ["RETURN = 1;"]}
        )
        assert resp.status_code == 400
        assert f"it must lie in the supported range {RANGE}" in resp.json()["message"]
    resp = client.post(
        "/api/0/categories/preview",
        json={
            "name": ["Work"],
            "rule": {"type": "regex", "regex": "a"},
            "start": "1960-01-01T00:00:00Z",
            "end": "2024-01-01T00:00:00Z",
        },
    )
    assert resp.status_code == 400
    assert resp.json()["message"] == (
        f"The preview's 'start' is outside the supported range {RANGE}."
    )


def _old_rows(conn: Connection, bucket: int) -> None:
    for start, end in (
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
        ("0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00+01:00"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:01Z"),
    ):
        conn.execute(
            insert(models.Event).values(
                bucket_id=bucket,
                start_us=parse_iso(start)[0],
                end_us=parse_iso(end)[0] + 10_000_000,
                data='{"app":"x"}',
            )
        )
    created = parse_iso("0001-01-01T00:00:00+01:00")[0]
    conn.execute(update(models.Bucket).where(models.Bucket.id == bucket).values(created_us=created))


@pytest.mark.parametrize("fast", [True, False])
def test_every_read_survives_rows_stored_outside_the_range(
    services: Services, make_client: Any, make_token: Any, fast: bool
) -> None:
    client = make_client(make_token("write"), fast_routes=fast)
    make_bucket(client, "old", "currentwindow")
    key = services.bucket_key("old")
    services.writer.call(lambda conn: _old_rows(conn, key), events=True).result()

    bucket = client.get("/api/0/buckets/old").json()
    assert bucket["created"] == "0001-01-01T00:00:00.000000+00:00"
    assert bucket["metadata"] == {
        "start": "0001-01-01T00:00:00.000000+00:00",
        "end": "9999-12-31T23:59:59.999999+00:00",
    }
    assert client.get("/api/0/buckets/").json()["old"] == bucket
    events = client.get("/api/0/buckets/old/events").json()
    assert [e["timestamp"] for e in events] == [
        "9999-12-31T23:59:59.000000+00:00",
        "2024-05-01T10:00:00.000000+00:00",
        "0001-01-01T00:00:00.000000+00:00",
    ]
    assert client.get(f"/api/0/buckets/old/events/{events[0]['id']}").status_code == 200
    assert client.get("/api/0/buckets/old/events/count").json() == 3
    limited = client.get("/api/0/buckets/old/events?limit=1&start=2024-01-01T00:00:00Z")
    assert limited.status_code == 200 and len(limited.json()) == 1
    for path in ("/api/0/export", "/api/0/buckets/old/export"):
        resp = client.get(path)
        assert resp.status_code == 200
        assert len(resp.json()["buckets"]["old"]["events"]) == 3
    resp = client.post(
        "/api/0/query/",
        json={
            "timeperiods": ["1970-01-01T00:00:00Z/2200-01-01T00:00:00Z"],
            "query": ['RETURN = query_bucket("old");'],
        },
    )
    assert resp.status_code == 200
    assert [e["data"]["app"] for e in resp.json()[0]] == ["x"]
    summary = client.get("/api/0/summary?day=2024-05-01")
    assert summary.status_code == 200, summary.text
    trend = client.get("/api/0/summary/trend?first=2024-04-30&last=2024-05-02")
    assert trend.status_code == 200, trend.text


@pytest.mark.parametrize("fast", [True, False])
def test_a_read_range_that_ends_before_it_begins_is_400(
    make_client: Any, make_token: Any, fast: bool
) -> None:
    """It answered 200 with invalid JSON (a duration of ``0.-00002``) over an event spanning
    both ends."""
    client = make_client(make_token("write"), fast_routes=fast)
    make_bucket(client, "b")
    long = {"timestamp": "2024-05-01T10:00:00Z", "duration": 3600, "data": {"app": "a"}}
    assert client.post("/api/0/buckets/b/events", json=long).status_code == 200
    backwards = "start=2024-05-01T10:30:00Z&end=2024-05-01T10:10:00Z"
    for path in ("/api/0/buckets/b/events", "/api/0/buckets/b/events/count"):
        resp = client.get(f"{path}?{backwards}")
        assert resp.status_code == 400, resp.text
        assert resp.json()["message"] == "'start' is after 'end': the range ends before it begins."
    forwards = "start=2024-05-01T10:10:00Z&end=2024-05-01T10:30:00Z"
    events = client.get(f"/api/0/buckets/b/events?{forwards}").json()
    assert [e["duration"] for e in events] == [1200.0]
    assert client.get(f"/api/0/buckets/b/events/count?{forwards}").json() == 1
