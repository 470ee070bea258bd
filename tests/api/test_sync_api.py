"""``/api/0/sync``: a device replaces a range of its bucket's events (idempotent), and reads
a range back whole, oldest first, in each event's own offset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient
from timelygator.core.sync.protocol import SYNC_KEY

DEVICE = "4a1f0c3e-0000-4000-8000-00000000000a"
OTHER = "9b2e0c3e-0000-4000-8000-00000000000b"
BUCKET = "aw-watcher-window_laptop@4a1f0c3e0000"
PATH = f"/api/0/sync/buckets/{BUCKET}"


def meta(device: str = DEVICE, epoch: str = "e1") -> dict[str, Any]:
    return {
        "type": "currentwindow",
        "client": "timelygator",
        "hostname": "laptop",
        "data": {
            SYNC_KEY: {"device": device, "bucket": "aw-watcher-window_laptop", "epoch": epoch}
        },
    }


def event(minute: int, seconds: float, app: str) -> dict[str, Any]:
    return {
        "timestamp": f"2024-05-01T10:{minute:02d}:00+02:00",
        "duration": seconds,
        "data": {"app": app, "title": f"{app} window"},
    }


def push(
    client: TestClient,
    events: list[dict[str, Any]],
    start: str | None = None,
    end: str | None = None,
    bucket: dict[str, Any] | None = None,
) -> Any:
    body = {"bucket": bucket or meta(), "start": start, "end": end, "events": events}
    return client.post(PATH, json=body)


def stored(client: TestClient) -> list[tuple[int, str, float, str]]:
    rows = client.get(f"/api/0/buckets/{BUCKET}/events").json()
    return sorted((e["id"], e["timestamp"], e["duration"], e["data"]["app"]) for e in rows)


def test_pushing_twice_stores_each_event_once(client: TestClient) -> None:
    first = push(client, [event(0, 60, "editor"), event(1, 30, "mail")])
    assert first.status_code == 200, first.text
    assert first.json() == {
        "created": True,
        "inserted": 2,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
    }
    before = stored(client)
    again = push(client, [event(0, 60, "editor"), event(1, 30, "mail")])
    assert again.json() == {
        "created": False,
        "inserted": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 2,
    }
    assert stored(client) == before
    bucket = client.get(f"/api/0/buckets/{BUCKET}").json()
    assert (bucket["hostname"], bucket["type"]) == ("laptop", "currentwindow")


def test_a_grown_last_event_is_updated_not_added(client: TestClient) -> None:
    push(client, [event(0, 60, "editor"), event(1, 30, "mail")])
    (first_id, *_), (mail_id, *_) = stored(client)
    start = "2024-05-01T08:01:00Z"  # the mail event's start: the watermark
    grown = push(client, [event(1, 95, "mail")], start=start)
    assert grown.json()["updated"] == 1 and grown.json()["inserted"] == 0
    assert stored(client) == [
        (first_id, "2024-05-01T08:00:00.000000+00:00", 60.0, "editor"),
        (mail_id, "2024-05-01T08:01:00.000000+00:00", 95.0, "mail"),
    ]


def test_a_range_sent_without_an_event_removes_it_there(client: TestClient) -> None:
    push(client, [event(0, 60, "editor"), event(1, 30, "secret"), event(2, 5, "shell")])
    answer = push(client, [event(2, 5, "shell")], start="2024-05-01T08:01:00Z")
    assert answer.json()["deleted"] == 1
    assert [row[3] for row in stored(client)] == ["editor", "shell"]


def test_the_bucket_follows_the_push_after_its_events(client: TestClient) -> None:
    push(client, [event(0, 60, "editor")])
    push(client, [event(0, 60, "editor")], bucket=meta(epoch="e2"))
    data = client.get(f"/api/0/buckets/{BUCKET}").json()["data"]
    assert data[SYNC_KEY]["epoch"] == "e2"


def test_bad_pushes_store_nothing(client: TestClient) -> None:
    push(client, [event(0, 60, "editor")])
    outside = push(client, [event(0, 60, "x")], start="2024-05-01T08:30:00Z")
    assert outside.status_code == 400
    assert "start within the range" in outside.json()["message"]
    broken = push(client, [event(0, 60, "x"), {"timestamp": "yesterday", "data": {}}])
    assert broken.status_code == 400
    no_events = client.post(PATH, json={"bucket": meta()})
    assert no_events.status_code == 400 and "'events'" in no_events.json()["message"]
    assert [row[3] for row in stored(client)] == ["editor"]


def test_another_devices_bucket_is_refused(client: TestClient) -> None:
    push(client, [event(0, 60, "editor")])
    answer = push(client, [], bucket=meta(device=OTHER))
    assert answer.status_code == 409
    assert "another device" in answer.json()["message"]
    assert [row[3] for row in stored(client)] == ["editor"]


def test_a_read_token_cannot_push(make_client: Any, make_token: Callable[..., str]) -> None:
    reader = make_client(make_token("read"))
    answer = reader.post(PATH, json={"bucket": meta(), "events": []})
    assert answer.status_code == 403


def test_reading_a_range_gives_whole_events_oldest_first_in_their_offsets(
    client: TestClient,
) -> None:
    push(client, [event(0, 600, "editor"), event(5, 30, "mail"), event(6, 1, "shell")])
    url = f"{PATH}/events"
    every = client.get(url).json()
    assert [(e["timestamp"], e["duration"], e["data"]["app"]) for e in every] == [
        ("2024-05-01T10:00:00.000000+02:00", 600.0, "editor"),
        ("2024-05-01T10:05:00.000000+02:00", 30.0, "mail"),
        ("2024-05-01T10:06:00.000000+02:00", 1.0, "shell"),
    ]
    # Starts in [10:05, 10:06): the long editor event overlaps it but starts before.
    span = client.get(url, params={"start": "2024-05-01T08:05:00Z", "end": "2024-05-01T08:06:00Z"})
    assert [e["data"]["app"] for e in span.json()] == ["mail"]
    assert [e["data"]["app"] for e in client.get(url, params={"limit": 2}).json()] == [
        "editor",
        "mail",
    ]
    assert client.get(url, params={"limit": 0}).status_code == 400
    missing = client.get("/api/0/sync/buckets/nobody/events")
    assert missing.status_code == 404 and "no bucket" in missing.json()["message"]
