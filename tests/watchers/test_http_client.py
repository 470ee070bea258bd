"""tg-client against a real HTTP server on loopback: pre-merging, offline queue, restarts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from timelygator.core.client import TgClient
from timelygator.core.event import Event
from timelygator.core.timeutil import US_PER_S
from timelygator.watchers.sink import HttpSink
from timelygator.watchers.window_watcher import WindowWatcher

from tests.watchers.aw_test_server import AwTestServer
from tests.watchers.fakes import T0, FakeClock, FakeWindowProbe

BUCKET = "aw-watcher-window_host1"
TOKEN = "s3cret-token-value"


@pytest.fixture
def server() -> Iterator[AwTestServer]:
    srv = AwTestServer()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def queue_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "watcher-queue.sqlite"


def hb(second: int, data: dict[str, Any], duration_s: int = 0) -> Event:
    start = T0 + second * US_PER_S
    return Event(start, start + duration_s * US_PER_S, data)


def summary(server: AwTestServer) -> list[tuple[float, Any, Any, float | None]]:
    """(timestamp seconds after T0, duration, data, pulsetime) of received heartbeats."""
    from timelygator.core.timeutil import parse_iso

    out = []
    for r in server.state.heartbeats():
        start, _ = parse_iso(r.body["timestamp"])
        out.append(((start - T0) / US_PER_S, r.body["duration"], r.body["data"], r.pulsetime))
    return out


def test_heartbeats_are_premerged_and_sent_with_token(
    server: AwTestServer, queue_path: Path
) -> None:
    server.state.token = TOKEN
    client = TgClient(server.url, queue_path=queue_path, token=TOKEN, commit_interval_s=10)
    try:
        client.ensure_bucket(BUCKET, "currentwindow", "tg-test", "host1")
        for s in range(5):
            client.heartbeat(BUCKET, hb(s, {"app": "a"}), 2.0)
        client.heartbeat(BUCKET, hb(5, {"app": "b"}), 2.0)
        assert client.flush(5)
    finally:
        client.close()
    assert server.state.buckets == {
        BUCKET: {"client": "tg-test", "type": "currentwindow", "hostname": "host1"}
    }
    assert summary(server) == [(0, 4.0, {"app": "a"}, 2.0), (5, 0.0, {"app": "b"}, 2.0)]
    assert {r.authorization for r in server.state.received} == {f"Bearer {TOKEN}"}


def test_long_unchanged_activity_is_sent_every_commit_interval(
    server: AwTestServer, queue_path: Path
) -> None:
    client = TgClient(server.url, queue_path=queue_path, commit_interval_s=10)
    try:
        client.ensure_bucket(BUCKET, "currentwindow", "tg-test", "host1")
        for s in range(25):
            client.heartbeat(BUCKET, hb(s, {"app": "a"}), 2.0)
        assert client.flush(5)
    finally:
        client.close()
    assert summary(server) == [
        (0, 10.0, {"app": "a"}, 2.0),
        (10, 10.0, {"app": "a"}, 2.0),
        (20, 4.0, {"app": "a"}, 2.0),
    ]


def test_queued_while_server_down_arrive_in_order_once(
    server: AwTestServer, queue_path: Path
) -> None:
    server.stop()
    client = TgClient(server.url, queue_path=queue_path, initial_backoff_s=0.05)
    try:
        client.ensure_bucket(BUCKET, "currentwindow", "tg-test", "host1")
        for s in range(6):
            client.heartbeat(BUCKET, hb(s, {"n": s}), 2.0)
        assert not client.flush(0.2)  # server down: nothing delivered, all kept
        assert client.pending() == 7
        assert client.last_error is not None
        server.start()
        assert client.flush(10)
        assert client.pending() == 0
    finally:
        client.close()
    assert summary(server) == [(s, 0.0, {"n": s}, 2.0) for s in range(6)]
    assert [r.kind for r in server.state.received] == ["bucket"] + ["heartbeat"] * 6


def test_queue_survives_a_restart_of_the_sink_process(
    server: AwTestServer, queue_path: Path
) -> None:
    server.stop()
    first = TgClient(server.url, queue_path=queue_path)
    first.ensure_bucket(BUCKET, "currentwindow", "tg-test", "host1")
    for s in range(3):
        first.heartbeat(BUCKET, hb(s, {"n": s}), 2.0)
    first.close(timeout_s=0.2)  # server still down: everything stays on disk
    assert queue_path.exists()

    server.start()
    second = TgClient(server.url, queue_path=queue_path)
    try:
        second.heartbeat(BUCKET, hb(3, {"n": 3}), 2.0)
        assert second.flush(10)
    finally:
        second.close()
    assert summary(server) == [(s, 0.0, {"n": s}, 2.0) for s in range(4)]


def test_bucket_lost_by_the_server_is_created_again(server: AwTestServer, queue_path: Path) -> None:
    client = TgClient(server.url, queue_path=queue_path)
    try:
        client.ensure_bucket(BUCKET, "currentwindow", "tg-test", "host1")
        assert client.flush(5)
        server.state.buckets.clear()  # e.g. the server got a fresh database
        client.heartbeat(BUCKET, hb(0, {"n": 0}), 2.0, queued=False)
        assert client.flush(5)
    finally:
        client.close()
    assert BUCKET in server.state.buckets
    assert summary(server) == [(0, 0.0, {"n": 0}, 2.0)]


def test_wrong_token_keeps_requests_and_never_logs_the_token(
    server: AwTestServer, queue_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.state.token = "the-right-one"
    caplog.set_level(logging.DEBUG)
    client = TgClient(server.url, queue_path=queue_path, token=TOKEN)
    try:
        client.ensure_bucket(BUCKET, "currentwindow", "tg-test", "host1")
        assert not client.flush(0.3)
        assert client.pending() == 1
        assert "401" in (client.last_error or "")
        assert TOKEN not in repr(client)
    finally:
        client.close(timeout_s=0.1)
    assert TOKEN not in caplog.text


def test_window_watcher_over_http_sink(server: AwTestServer, queue_path: Path) -> None:
    clock = FakeClock()
    sink = HttpSink(TgClient(server.url, queue_path=queue_path))
    watcher = WindowWatcher(sink, FakeWindowProbe("code", "a.py"), hostname="host1", clock=clock)
    watcher.ensure_setup()
    for _ in range(3):
        watcher.poll_once(clock.now_us())
        clock.advance(1)
    sink.flush()
    sink.close()
    assert server.state.buckets[BUCKET]["type"] == "currentwindow"
    assert summary(server) == [(0, 2.0, {"app": "code", "title": "a.py"}, 2.0)]
    ts = server.state.heartbeats()[0].body["timestamp"]
    assert ts.startswith("2023-11-1")  # ISO 8601 with the capture's offset
