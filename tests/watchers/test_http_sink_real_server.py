"""The HTTP sink against the real ``timelygator serve``, which goes down and comes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from timelygator.core import tokens
from timelygator.core.client import TgClient
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services
from timelygator.watchers.sink import HttpSink

from tests.helpers.serve import ServeProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
PASS = "http sink server passphrase"
S = 1_000_000
T = 1_700_000_000 * S
BUCKET = "aw-watcher-window_sinktest"


@pytest.fixture
def token(dirs: AppDirs) -> str:
    with Services.open(dirs, PASS) as services:
        return (
            tokens.create(services.writer, services.user_id, "write", "sink test").result().secret
        )


@pytest.fixture
def server(dirs: AppDirs, token: str) -> Iterator[ServeProcess]:
    serve = ServeProcess(dirs, free_port(), PASS)
    serve.start()
    yield serve
    serve.stop()


def _titles(server: ServeProcess, token: str) -> list[str]:
    response = httpx.get(
        f"http://127.0.0.1:{server.port}/api/0/buckets/{BUCKET}/events",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    return [e["data"]["title"] for e in reversed(response.json())]


def test_heartbeats_survive_the_server_going_down_and_coming_back(
    server: ServeProcess, token: str, tmp_path: Path
) -> None:
    client = TgClient(
        f"http://127.0.0.1:{server.port}",
        queue_path=tmp_path / "queue.db",
        token=token,
        commit_interval_s=0.0,
        initial_backoff_s=0.05,
        max_backoff_s=0.2,
    )
    sink = HttpSink(client)
    try:
        sink.ensure_bucket(BUCKET, "currentwindow", "sinktest", "sinktest")
        for i in range(5):
            sink.heartbeat(BUCKET, Event(T + i * S, T + i * S, {"app": "a", "title": f"t{i}"}), 2.0)
        assert client.flush(timeout_s=15)
        assert _titles(server, token) == [f"t{i}" for i in range(5)]

        server.stop()
        for i in range(5, 12):
            sink.heartbeat(BUCKET, Event(T + i * S, T + i * S, {"app": "a", "title": f"t{i}"}), 2.0)
        assert not client.flush(timeout_s=0.5)  # nowhere to send: queued on disk
        assert client.pending() > 0

        server.start()
        assert client.flush(timeout_s=20)
        assert client.pending() == 0
        assert _titles(server, token) == [f"t{i}" for i in range(12)]
    finally:
        sink.close()
