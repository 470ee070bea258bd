"""Events: wire shape, time handling, ranges, limits, updates, validation, heartbeats."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from timelygator.core.services import Services

from tests.api.conftest import make_bucket

T0 = "2024-05-01T10:00:00+00:00"


def ev(ts: str, duration: Any = 0, **data: Any) -> dict[str, Any]:  # any: bad input too
    return {"timestamp": ts, "duration": duration, "data": data}


@pytest.fixture
def bucket(client: TestClient) -> str:
    make_bucket(client, "b")
    return "/api/0/buckets/b"


def test_event_has_exactly_four_keys_and_utc_time(client: TestClient, bucket: str) -> None:
    resp = client.post(
        f"{bucket}/events",
        json=[{"id": None, **ev("2024-05-01T12:00:00.123456+02:00", 1.5, app="vim")}],
    )
    assert resp.status_code == 200
    stored = resp.json()
    assert len(stored) == 1
    assert set(stored[0]) == {"id", "timestamp", "duration", "data"}
    listed = client.get(f"{bucket}/events").json()
    assert listed == [
        {
            "id": stored[0]["id"],
            "timestamp": "2024-05-01T10:00:00.123456+00:00",
            "duration": 1.5,
            "data": {"app": "vim"},
        }
    ]
    one = client.get(f"{bucket}/events/{stored[0]['id']}").json()
    assert one == listed[0]


def test_single_event_body_returns_single_event(client: TestClient, bucket: str) -> None:
    resp = client.post(f"{bucket}/events/", json=ev(T0, 2, a=1))
    assert resp.status_code == 200
    assert resp.json()["data"] == {"a": 1}
    assert resp.json()["duration"] == 2.0


def test_naive_and_space_offsets_are_accepted(client: TestClient, bucket: str) -> None:
    client.post(f"{bucket}/events", json=[ev("2024-05-01T10:00:00", 10, n=1)])
    # "+02:00" arriving URL-decoded as a space.
    resp = client.get(
        f"{bucket}/events",
        params={"start": "2024-05-01T12:00:05 02:00", "end": "2024-05-01T10:00:08"},
    )
    assert resp.status_code == 200
    events = resp.json()
    assert [(e["timestamp"], e["duration"]) for e in events] == [
        ("2024-05-01T10:00:05.000000+00:00", 3.0)
    ]


def test_ranges_clip_and_limit_applies_after_range(client: TestClient, bucket: str) -> None:
    client.post(
        f"{bucket}/events",
        json=[ev(f"2024-05-01T10:0{i}:00Z", 60, i=i) for i in range(5)],
    )
    everything = client.get(f"{bucket}/events").json()
    assert [e["data"]["i"] for e in everything] == [4, 3, 2, 1, 0]  # newest first
    assert client.get(f"{bucket}/events?limit=-1").json() == everything
    assert client.get(f"{bucket}/events?limit=0").json() == []
    ranged = client.get(
        f"{bucket}/events",
        params={"start": "2024-05-01T10:01:30Z", "end": "2024-05-01T10:03:30Z", "limit": 2},
    ).json()
    assert [(e["data"]["i"], e["duration"]) for e in ranged] == [(3, 30.0), (2, 60.0)]
    assert ranged[0]["timestamp"] == "2024-05-01T10:03:00.000000+00:00"
    clipped_start = client.get(
        f"{bucket}/events", params={"start": "2024-05-01T10:01:30Z", "end": "2024-05-01T10:03:30Z"}
    ).json()
    assert clipped_start[-1]["timestamp"] == "2024-05-01T10:01:30.000000+00:00"
    assert clipped_start[-1]["duration"] == 30.0
    count = client.get(
        f"{bucket}/events/count",
        params={"start": "2024-05-01T10:01:30Z", "end": "2024-05-01T10:03:30Z"},
    )
    assert count.json() == 3
    assert client.get(f"{bucket}/events/count").text == "5"


def test_microseconds_survive(client: TestClient, bucket: str) -> None:
    client.post(f"{bucket}/events", json=[ev("2024-05-01T10:00:00.000001Z", 0.000001)])
    got = client.get(f"{bucket}/events").json()[0]
    assert got["timestamp"] == "2024-05-01T10:00:00.000001+00:00"
    assert got["duration"] == pytest.approx(0.000001)


def test_update_in_place_by_id(client: TestClient, bucket: str) -> None:
    first = client.post(f"{bucket}/events", json=[ev(T0, 5, file="a.py")]).json()[0]
    edited = {**first, "duration": 9, "data": {"file": "b.py"}}
    resp = client.post(f"{bucket}/events", json=[edited])
    assert resp.json()[0]["id"] == first["id"]
    events = client.get(f"{bucket}/events").json()
    assert events == [{**first, "duration": 9.0, "data": {"file": "b.py"}}]


def test_id_of_another_bucket_inserts_new(client: TestClient, bucket: str) -> None:
    make_bucket(client, "other")
    theirs = client.post("/api/0/buckets/other/events", json=[ev(T0, 1, x=1)]).json()[0]
    mine = client.post(f"{bucket}/events", json=[{**theirs, "data": {"x": 2}}]).json()[0]
    assert mine["id"] != theirs["id"]
    assert client.get("/api/0/buckets/other/events").json()[0]["data"] == {"x": 1}
    assert client.get(f"{bucket}/events/{theirs['id']}").status_code == 404


def test_get_and_delete_event(client: TestClient, bucket: str) -> None:
    stored = client.post(f"{bucket}/events", json=[ev(T0, 1)]).json()[0]
    assert client.get(f"{bucket}/events/999999").status_code == 404
    assert client.get(f"{bucket}/events/notanumber").status_code == 400
    resp = client.request("DELETE", f"{bucket}/events/{stored['id']}", json={})
    assert resp.status_code == 200
    assert client.get(f"{bucket}/events").json() == []
    assert client.delete(f"{bucket}/events/{stored['id']}").status_code == 200  # again: fine


@pytest.mark.parametrize(
    "body",
    [
        [ev("not a time", 1)],
        [ev(T0, -1)],
        [ev(T0, "1")],
        [ev(T0, True)],
        [{"timestamp": T0, "duration": 1, "data": [1, 2]}],
        [{"timestamp": T0, "duration": 1, "data": "x"}],
        [{"duration": 1, "data": {}}],
        [{"timestamp": T0, "duration": 1, "data": {}, "junk": 1}],
        [{"timestamp": T0, "id": "1"}],
        [ev(T0, 1), "not an event"],
        "a string",
        42,
    ],
)
def test_bad_events_are_400_and_nothing_is_stored(
    client: TestClient, bucket: str, body: Any
) -> None:
    resp = client.post(f"{bucket}/events", json=body)
    assert resp.status_code == 400, resp.text
    assert isinstance(resp.json()["message"], str)
    assert client.get(f"{bucket}/events").json() == []


def test_non_json_and_nan_are_400(client: TestClient, bucket: str) -> None:
    for raw in (b"{", b'[{"timestamp": "2024-01-01T00:00:00Z", "duration": NaN}]', b""):
        resp = client.post(
            f"{bucket}/events", content=raw, headers={"Content-Type": "application/json"}
        )
        assert resp.status_code == 400
    assert client.get(f"{bucket}/events").json() == []


def test_data_size_and_depth_limits(make_client: Any, make_token: Any) -> None:
    c = make_client(make_token("write"), max_event_data_bytes=1000, max_data_depth=4)
    make_bucket(c, "b")
    big = c.post("/api/0/buckets/b/events", json=[ev(T0, 1, text="x" * 2000)])
    assert big.status_code == 400
    assert "too large" in big.json()["message"]
    deep = c.post(
        "/api/0/buckets/b/events", json=[{"timestamp": T0, "data": {"a": {"b": {"c": {"d": {}}}}}}]
    )
    assert deep.status_code == 400
    assert "nested" in deep.json()["message"]
    ok = c.post("/api/0/buckets/b/events", json=[{"timestamp": T0, "data": {"a": {"b": {"c": 1}}}}])
    assert ok.status_code == 200


def test_bad_query_params_are_400(client: TestClient, bucket: str) -> None:
    assert client.get(f"{bucket}/events?start=yesterday").status_code == 400
    assert client.get(f"{bucket}/events?limit=abc").status_code == 400
    assert client.get(f"{bucket}/events?limit=-5").status_code == 400


# -- heartbeats ---------------------------------------------------------------------------
def hb(client: TestClient, bucket: str, ts: str, pulsetime: float | None, **data: Any) -> Any:
    url = f"{bucket}/heartbeat" + ("" if pulsetime is None else f"?pulsetime={pulsetime}")
    return client.post(url, json=ev(ts, 1, **data))


def test_heartbeat_merge_example_from_the_spec(client: TestClient, bucket: str) -> None:
    first = hb(client, bucket, "2024-05-01T10:00:00Z", 2, app="a").json()
    merged = hb(client, bucket, "2024-05-01T10:00:02Z", 2, app="a").json()
    assert merged == {**first, "duration": 3.0}
    assert client.get(f"{bucket}/events").json() == [merged]


def test_heartbeat_outside_pulsetime_is_new(client: TestClient, bucket: str) -> None:
    hb(client, bucket, "2024-05-01T10:00:00Z", 0, app="a")
    second = hb(client, bucket, "2024-05-01T10:00:02Z", 0, app="a").json()
    events = client.get(f"{bucket}/events").json()
    assert [e["duration"] for e in events] == [1.0, 1.0]
    assert events[0]["id"] == second["id"]


def test_heartbeat_with_other_data_or_older_is_new(client: TestClient, bucket: str) -> None:
    hb(client, bucket, "2024-05-01T10:00:10Z", 60, app="a")
    hb(client, bucket, "2024-05-01T10:00:11Z", 60, app="b")
    hb(client, bucket, "2024-05-01T10:00:05Z", 60, app="b")  # older than the last: never merged
    events = client.get(f"{bucket}/events").json()
    assert len(events) == 3


def test_heartbeat_data_equality_ignores_key_order(client: TestClient, bucket: str) -> None:
    client.post(
        f"{bucket}/heartbeat?pulsetime=5",
        json={"timestamp": "2024-05-01T10:00:00Z", "duration": 1, "data": {"a": 1, "b": 2}},
    )
    client.post(
        f"{bucket}/heartbeat?pulsetime=5",
        json={"timestamp": "2024-05-01T10:00:01Z", "duration": 1, "data": {"b": 2, "a": 1}},
    )
    assert len(client.get(f"{bucket}/events").json()) == 1


def test_heartbeat_needs_valid_pulsetime(client: TestClient, bucket: str) -> None:
    missing = hb(client, bucket, T0, None, app="a")
    assert missing.status_code == 400
    assert "pulsetime" in missing.json()["message"]
    assert hb(client, bucket, T0, -1, app="a").status_code == 400
    assert client.post(f"{bucket}/heartbeat?pulsetime=abc", json=ev(T0)).status_code == 400
    assert client.post(f"{bucket}/heartbeat?pulsetime=nan", json=ev(T0)).status_code == 400
    assert client.get(f"{bucket}/events").json() == []


def test_heartbeat_after_insert_sees_the_insert(client: TestClient, bucket: str) -> None:
    # The last-event cache must be invalidated by inserts, updates and deletes.
    hb(client, bucket, "2024-05-01T10:00:00Z", 10, app="a")
    client.post(f"{bucket}/events", json=[ev("2024-05-01T10:00:01Z", 1, app="z")])
    hb(client, bucket, "2024-05-01T10:00:02Z", 10, app="z")
    events = client.get(f"{bucket}/events").json()
    assert [(e["data"]["app"], e["duration"]) for e in events] == [("z", 2.0), ("a", 1.0)]
    client.delete(f"{bucket}/events/{events[0]['id']}")
    hb(client, bucket, "2024-05-01T10:00:03Z", 10, app="a")
    events = client.get(f"{bucket}/events").json()
    assert [(e["data"]["app"], e["duration"]) for e in events] == [("a", 4.0)]


def test_writes_are_committed_when_answered(
    client: TestClient, bucket: str, services: Services
) -> None:
    hb(client, bucket, T0, 5, app="a")
    with services.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one() == 1
