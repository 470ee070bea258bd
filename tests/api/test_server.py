"""A real uvicorn on a free loopback port: ApiServer, the aw-client package, the
aw-watcher-web extension's requests, the live stream, and ``timelygator serve`` + SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from timelygator.core import tokens
from timelygator.core.api import ApiConfig, ApiServer
from timelygator.core.errors import TimelyGatorError
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services


@pytest.fixture
def run_server(services: Services) -> Iterator[Callable[..., ApiServer]]:
    started: list[ApiServer] = []

    def start(**config: Any) -> ApiServer:
        config.setdefault("port", 0)
        config.setdefault("hostname", "testhost")
        config.setdefault("freeze_heap", False)  # not the test process's whole heap
        server = ApiServer(services, ApiConfig(**config))
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def aw_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """aw-client keeps config and its queue under XDG dirs: point them into tmp_path."""
    home = tmp_path / "awhome"
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.setenv("HOME", str(home))
    return home


def test_api_server_starts_listens_and_stops(run_server: Callable[..., ApiServer]) -> None:
    server = run_server()
    assert server.port > 0
    assert httpx.get(f"{server.url}/api/0/info").json()["hostname"] == "testhost"
    server.stop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/api/0/info")


def test_port_in_use_is_a_clear_error(
    run_server: Callable[..., ApiServer], services: Services
) -> None:
    first = run_server()
    second = ApiServer(services, ApiConfig(port=first.port))
    with pytest.raises(TimelyGatorError, match="already in use"):
        second.start()
    assert httpx.get(f"{first.url}/health").status_code == 200  # the first one is unharmed


def test_remote_binding_needs_flag_and_tokens(services: Services) -> None:
    with pytest.raises(TimelyGatorError, match="--allow-remote"):
        ApiServer(services, ApiConfig(host="0.0.0.0", port=0)).start()
    with pytest.raises(TimelyGatorError, match="without API tokens"):
        ApiServer(services, ApiConfig(host="0.0.0.0", port=0, allow_remote=True)).start()
    tokens.create(services.writer, services.user_id, "read").result()
    server = ApiServer(
        services, ApiConfig(host="0.0.0.0", port=0, allow_remote=True, freeze_heap=False)
    )
    server.start()
    try:
        assert httpx.get(f"http://127.0.0.1:{server.port}/api/0/buckets/").status_code == 401
    finally:
        server.stop()


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` with short waits on an Event (no sleeps)."""
    waiter = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        waiter.wait(0.05)
    return predicate()


def _aw_client(server: ApiServer, name: str = "aw-test") -> Any:
    from aw_client import ActivityWatchClient

    return ActivityWatchClient(name, testing=True, host="127.0.0.1", port=server.port)


def test_aw_client_end_to_end(run_server: Callable[..., ApiServer], aw_home: Path) -> None:
    from aw_core.models import Event

    server = run_server(compat_mode=True)
    client = _aw_client(server)
    assert client.get_info()["hostname"] == "testhost"
    bucket = "aw-watcher-test_host"
    client.create_bucket(bucket, "currentwindow")
    client.create_bucket(bucket, "currentwindow")  # 304: fine for aw-client
    assert bucket in client.get_buckets()

    now = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    client.insert_events(
        bucket,
        [
            Event(timestamp=now, duration=timedelta(seconds=10), data={"app": "vim"}),
            Event(timestamp=now + timedelta(seconds=10), duration=5, data={"app": "zsh"}),
        ],
    )
    client.insert_event(bucket, Event(timestamp=now + timedelta(seconds=20), data={"app": "x"}))
    events = client.get_events(bucket)
    assert [e.data["app"] for e in events] == ["x", "zsh", "vim"]
    assert events[2].duration == timedelta(seconds=10)
    assert events[2].timestamp == now
    assert client.get_eventcount(bucket) == 3
    ranged = client.get_events(
        bucket, start=now + timedelta(seconds=5), end=now + timedelta(seconds=12), limit=1
    )
    assert [(e.data["app"], e.duration.total_seconds()) for e in ranged] == [("zsh", 2.0)]
    assert client.get_event(bucket, events[0].id).data == {"app": "x"}
    client.delete_event(bucket, events[0].id)
    assert client.get_eventcount(bucket) == 2

    # Direct heartbeats.
    hb_bucket = "aw-watcher-hb_host"
    client.create_bucket(hb_bucket, "currentwindow")
    for i in range(3):
        client.heartbeat(
            hb_bucket,
            Event(timestamp=now + timedelta(seconds=i), data={"title": "a"}),
            pulsetime=2,
        )
    merged = client.get_events(hb_bucket)
    assert len(merged) == 1
    assert merged[0].duration == timedelta(seconds=2)

    # Query.
    result = client.query(
        f"events = query_bucket('{bucket}'); RETURN = sum_durations(events);",
        [(now - timedelta(hours=1), now + timedelta(hours=1))],
    )
    assert result == [15.0]

    # Export, delete, import.
    exported = client.export_all()
    assert set(exported["buckets"]) == {bucket, hb_bucket}
    client.delete_bucket(bucket, force=True)
    assert bucket not in client.get_buckets()
    client.import_bucket(exported["buckets"][bucket])
    assert client.get_eventcount(bucket) == 2
    client.import_bucket(exported["buckets"][bucket])  # again: nothing doubles
    assert client.get_eventcount(bucket) == 2

    # Settings.
    client.set_setting("startView", "timeline")
    assert client.get_setting("startView") == "timeline"


def test_aw_client_queued_heartbeats(
    run_server: Callable[..., ApiServer], aw_home: Path, services: Services
) -> None:
    from aw_core.models import Event

    server = run_server(compat_mode=True)
    client = _aw_client(server, "aw-queued")
    bucket = "aw-watcher-queued_host"
    client.create_bucket(bucket, "currentwindow", queued=True)
    now = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    with client:  # connect(): starts the request queue thread
        # aw-client pre-merges and sends a merged event when the data changes, so the
        # eleventh beat (title "2") flushes the second group; the third stays client-side.
        for i in range(11):
            client.heartbeat(
                bucket,
                Event(timestamp=now + timedelta(seconds=i), data={"title": str(i // 5)}),
                pulsetime=2,
                queued=True,
                commit_interval=0,
            )

        def delivered() -> bool:
            events = httpx.get(f"{server.url}/api/0/buckets/{bucket}/events")
            return events.status_code == 200 and len(events.json()) == 2

        assert _wait_for(delivered)
    events = httpx.get(f"{server.url}/api/0/buckets/{bucket}/events").json()
    assert [(e["data"]["title"], e["duration"]) for e in events] == [("1", 4.0), ("0", 4.0)]


def test_aw_client_with_a_token(
    run_server: Callable[..., ApiServer],
    aw_home: Path,
    make_token: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = run_server()  # compatibility mode off: a token is needed
    client = _aw_client(server)
    with pytest.raises(Exception, match="401"):
        client.get_buckets()
    secret = make_token("write")
    for verb in ("get", "post", "delete"):
        original = getattr(requests, verb)

        def with_token(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            headers = dict(kwargs.pop("headers", None) or {})
            headers["Authorization"] = f"Bearer {secret}"
            return _original(*args, headers=headers, **kwargs)

        monkeypatch.setattr(requests, verb, with_token)  # aw-client calls requests.<verb>
    client.create_bucket("tokened", "test")
    assert "tokened" in client.get_buckets()


def test_aw_watcher_web_extension_replay(run_server: Callable[..., ApiServer]) -> None:
    """The requests aw-watcher-web makes, with its origin, CORS preflights and data keys."""
    server = run_server(compat_mode=True)
    origin = "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi"
    bucket = "aw-watcher-web-chrome_testhost"
    with httpx.Client(base_url=server.url, headers={"Origin": origin}) as http:
        pre = http.options(
            f"/api/0/buckets/{bucket}",
            headers={
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == origin
        info = http.get("/api/0/info")
        assert info.headers["access-control-allow-origin"] == origin
        created = http.post(
            f"/api/0/buckets/{bucket}",
            json={"client": "aw-client-web", "type": "web.tab.current", "hostname": "testhost"},
        )
        assert created.status_code in (200, 304)
        data = {
            "url": "https://example.org/page",
            "title": "Example",
            "audible": False,
            "incognito": False,
            "tabCount": 3,
        }
        start = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
        for i in range(3):
            pre = http.options(
                f"/api/0/buckets/{bucket}/heartbeat?pulsetime=80",
                headers={"Access-Control-Request-Method": "POST"},
            )
            assert pre.status_code == 200
            beat = http.post(
                f"/api/0/buckets/{bucket}/heartbeat?pulsetime=80",
                json={
                    "timestamp": (start + timedelta(seconds=10 * i)).isoformat(),
                    "duration": 0,
                    "data": data,
                },
            )
            assert beat.status_code == 200
            assert beat.headers["access-control-allow-origin"] == origin
        events = http.get(f"/api/0/buckets/{bucket}/events").json()
    assert len(events) == 1
    assert events[0]["duration"] == 20.0
    assert events[0]["data"] == data


def test_live_stream_sends_new_and_updated_events(
    run_server: Callable[..., ApiServer], make_token: Callable[..., str]
) -> None:
    server = run_server()
    headers = {"Authorization": f"Bearer {make_token('write')}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
        http.post("/api/0/buckets/live", json={"type": "t", "client": "c", "hostname": "h"})
        received: list[tuple[str, Any]] = []
        with http.stream("GET", "/api/0/events/stream?bucket=live") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")

            def beat(second: int) -> None:
                ts = f"2024-05-01T10:00:0{second}Z"
                body = {"timestamp": ts, "duration": 1, "data": {"a": 1}}
                assert http.post("/api/0/buckets/live/heartbeat?pulsetime=5", json=body).is_success

            beat(0)
            beat(1)
            kind = None
            for line in lines:
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    received.append((kind or "", json.loads(line[5:])))
                    if len(received) == 2:
                        break
    assert [k for k, _ in received] == ["event", "event"]
    first, second = (payload for _, payload in received)
    assert first["bucket"] == "live"
    assert first["event"]["duration"] == 1.0
    assert second["event"]["id"] == first["event"]["id"]
    assert second["event"]["duration"] == 2.0
    assert set(second["event"]) == {"id", "timestamp", "duration", "data"}


def test_stop_ends_open_streams(
    run_server: Callable[..., ApiServer], make_token: Callable[..., str]
) -> None:
    server = run_server()
    headers = {"Authorization": f"Bearer {make_token('read')}"}
    with httpx.stream("GET", f"{server.url}/api/0/events/stream", headers=headers) as stream:
        lines = stream.iter_lines()
        next(lines)
        server.stop()  # returns although a stream is open
        assert not server.running


def test_serve_sigterm_loses_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "served"
    env = {
        **os.environ,
        "TIMELYGATOR_PASSPHRASE": "correct horse battery",
        "TIMELYGATOR_DATA_DIR": str(data_dir),
    }
    code = (
        "import sys; from timelygator.core.cli import build_parser, run; "
        "sys.exit(run(build_parser().parse_args(sys.argv[1:])))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", "0", "--compat"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "listening on" in line, line
        url = line.strip().rsplit(" ", 1)[1]
        acknowledged: list[int] = []
        stop_sending = threading.Event()
        sent_some = threading.Event()

        def send() -> None:
            with httpx.Client(base_url=url, timeout=10) as http:
                http.post("/api/0/buckets/sig", json={"type": "t", "client": "c", "hostname": "h"})
                i = 0
                while not stop_sending.is_set():
                    body = [{"timestamp": "2024-05-01T10:00:00Z", "duration": i, "data": {"i": i}}]
                    try:
                        resp = http.post("/api/0/buckets/sig/events", json=body)
                    except httpx.HTTPError:
                        return  # the server went away: everything before was acknowledged
                    if resp.status_code != 200:
                        return
                    acknowledged.append(i)
                    i += 1
                    if i == 50:
                        sent_some.set()

        sender = threading.Thread(target=send)
        sender.start()
        assert sent_some.wait(30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        stop_sending.set()
        sender.join(30)
        rest = proc.stderr.read()
        assert "all writes are saved" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Services.open(resolve_dirs(data_dir), "correct horse battery", create=False) as svc:
        stored = [e.data["i"] for e in svc.events("sig")]
    assert len(acknowledged) >= 50
    assert set(acknowledged) <= set(stored)


@pytest.mark.parametrize(
    ("setting", "gui_loaded", "frozen"),
    [(None, False, True), (None, True, False), (True, True, True), (False, False, False)],
)
def test_start_up_heap_is_frozen_only_for_a_serving_process(
    monkeypatch: pytest.MonkeyPatch, setting: bool | None, gui_loaded: bool, frozen: bool
) -> None:
    import gc

    from timelygator.core.api import server as server_module

    calls: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(True))  # as core.api.server calls it
    if gui_loaded:
        monkeypatch.setitem(sys.modules, "PySide6", sys.modules.get("PySide6") or object())
    else:
        monkeypatch.delitem(sys.modules, "PySide6", raising=False)
    assert server_module.freeze_heap(ApiConfig(freeze_heap=setting)) is frozen
    assert calls == ([True] if frozen else [])
