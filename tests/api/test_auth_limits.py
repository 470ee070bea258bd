"""Tokens and connections under pressure: revocation reaches open streams and a running
server within a second, failed authentication is rate-limited per address, --rate-limit
sets the burst, slow bodies time out, idle keep-alive connections outlive the AFK cadence."""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from timelygator.core import tokens
from timelygator.core.api import ApiConfig, ApiServer
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

PASS = "auth limits passphrase"
EVENT = {"timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {}}


@pytest.fixture
def served(dirs: AppDirs) -> Iterator[tuple[Services, ApiServer]]:
    with Services.open(dirs, PASS, max_delay=0.05) as services:
        server = ApiServer(services, ApiConfig(port=0, hostname="h", body_timeout_s=1.0))
        server.start()
        try:
            yield services, server
        finally:
            server.stop()


def connect(server: ApiServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    secret: str | None = None,
    body: Any = None,
) -> tuple[int, Any, http.client.HTTPResponse]:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    conn.request(method, path, None if body is None else json.dumps(body), headers)
    resp = conn.getresponse()
    raw = resp.read()
    return resp.status, json.loads(raw) if raw else None, resp


def wait_until(condition: Any, timeout: float, step: float = 0.02) -> float:
    """Seconds until ``condition()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "condition not met in time"
        select.select([], [], [], step)
    return time.monotonic() - start


class Stream:
    """An open /api/0/events/stream read line by line on a raw socket."""

    def __init__(self, server: ApiServer, secret: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        self.sock.sendall(
            f"GET /api/0/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {secret}\r\n\r\n".encode()
        )
        self.buffer = b""
        self.closed = False

    def read_until(self, marker: bytes, timeout: float) -> float:
        """Seconds until ``marker`` arrived (the stream may close right after)."""
        start = time.monotonic()
        while marker not in self.buffer:
            left = timeout - (time.monotonic() - start)
            assert left > 0, f"no {marker!r} within {timeout} s: {self.buffer[-300:]!r}"
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.closed = True
                    assert marker in self.buffer, self.buffer[-300:]
                    break
                self.buffer += chunk
        return time.monotonic() - start

    def close(self) -> None:
        self.sock.close()


def test_revoking_through_the_api_ends_streams_and_refuses_the_token_at_once(
    served: tuple[Services, ApiServer],
) -> None:
    services, server = served
    admin = tokens.create(services.writer, services.user_id, "admin").result().secret
    reader = tokens.create(services.writer, services.user_id, "read", "dashboard").result()
    stream = Stream(server, reader.secret)
    try:
        stream.read_until(b": connected", 5)
        conn = connect(server)
        assert call(conn, "GET", "/api/0/buckets/", reader.secret)[0] == 200
        status, body, _ = call(conn, "DELETE", f"/api/0/tokens/{reader.info.id}", admin)
        assert (status, body["revoked"]) == (200, True)
        assert stream.read_until(b"event: revoked", 1.0) < 1.0
        stream.read_until(b"\r\n0\r\n\r\n", 2)  # the last chunk: the stream has ended
        assert call(conn, "GET", "/api/0/buckets/", reader.secret)[0] == 401
    finally:
        stream.close()


def test_a_cli_revocation_reaches_the_running_server_within_a_second(
    served: tuple[Services, ApiServer], dirs: AppDirs
) -> None:
    services, server = served
    new = tokens.create(services.writer, services.user_id, "write", "watcher").result()
    conn = connect(server)
    assert call(conn, "POST", "/api/0/buckets/b", new.secret, {"type": "t"})[0] == 200
    stream = Stream(server, new.secret)
    try:
        stream.read_until(b": connected", 5)
        revoke = subprocess.run(
            [sys.executable, "-m", "timelygator", "token", "revoke", str(new.info.id),
             "--data-dir", str(dirs.data)],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS},
        )  # fmt: skip
        assert revoke.returncode == 0, revoke.stderr
        assert new.secret not in revoke.stdout + revoke.stderr
        # Committed when the command returned: refused from here on within a second.
        took = wait_until(
            lambda: call(conn, "POST", "/api/0/buckets/b/heartbeat?pulsetime=1", new.secret,
                         EVENT)[0] == 401,
            timeout=1.0,
        )  # fmt: skip
        assert took < 1.0
        assert stream.read_until(b"event: revoked", 1.0) < 1.0
    finally:
        stream.close()


def test_failed_authentication_is_limited_per_address(make_client: Any, make_token: Any) -> None:
    good = make_token("read")
    flood = make_client("tg_" + "x" * 43, auth_failure_burst=5, auth_failures_per_s=0.5)
    app = flood.app
    friend = make_client(good, app=app)  # the same address as the flood
    other = make_client("tg_" + "y" * 43, app=app, client=("127.0.0.7", 1))
    assert friend.get("/api/0/buckets/").status_code == 200
    statuses = [flood.get("/api/0/buckets/").status_code for _ in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    limited = flood.get("/api/0/export")
    assert limited.headers["Retry-After"] == "2"
    assert "Too many failed authentication attempts" in limited.json()["message"]
    # Token-less requests count as failures too; a real token still gets in.
    anonymous = make_client(app=app)
    assert anonymous.get("/api/0/buckets/").status_code == 429
    assert friend.get("/api/0/buckets/").status_code == 200
    # A token created during the flood gets in as soon as the server has seen it exist (its
    # public prefix, read with the revocations at most every half second).
    fresh = make_client(make_token("read"), app=app)
    assert wait_until(lambda: fresh.get("/api/0/buckets/").status_code == 200, 1.0) < 1.0
    # Another address has its own allowance.
    assert other.get("/api/0/buckets/").status_code == 401


def test_the_401_names_both_ways_in_for_activitywatch_tools(make_client: Any) -> None:
    text = make_client().get("/api/0/buckets/").json()["message"]
    assert "timelygator token create --for-activitywatch" in text
    assert "--compat" in text and "Settings > Local API" in text


@pytest.mark.parametrize(("rate", "burst", "allowed"), [(2.0, None, 40), (2.0, 5, 5)])
def test_rate_limit_sets_the_burst_too(
    make_client: Any, make_token: Any, rate: float, burst: int | None, allowed: int
) -> None:
    config: dict[str, Any] = {"rate_limit_per_s": rate}
    if burst is not None:
        config["rate_limit_burst"] = burst
    client = make_client(make_token("read"), **config)
    statuses = [client.get("/api/0/buckets/").status_code for _ in range(allowed + 2)]
    assert statuses[:allowed] == [200] * allowed
    assert statuses[allowed:] == [429, 429]


def test_serve_rate_limit_option_sets_rate_and_burst(dirs: AppDirs) -> None:
    from timelygator.core.cli import build_parser

    args = build_parser().parse_args(["serve", "--rate-limit", "3"])
    assert (args.rate_limit, args.rate_burst) == (3.0, None)
    assert ApiConfig(rate_limit_per_s=3).burst == 60
    assert ApiConfig().burst == 20_000


def test_a_body_shorter_than_its_content_length_times_out(
    served: tuple[Services, ApiServer],
) -> None:
    services, server = served
    secret = tokens.create(services.writer, services.user_id, "write").result().secret
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/0/buckets/b HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {secret}\r\n".encode()
            + b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"type":'
        )
        start = time.monotonic()
        answer = b""
        while chunk := sock.recv(65536):  # the server answers, then closes
            answer += chunk
        took = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"did not arrive within 1 s" in answer
    assert 0.9 < took < 5
    assert services.buckets() == []


@pytest.mark.slow
def test_an_idle_keep_alive_connection_is_still_open_after_6_s(
    served: tuple[Services, ApiServer],
) -> None:
    """Watchers poll every 5 s; uvicorn's default closed idle connections after exactly 5 s."""
    _, server = served
    conn = connect(server)
    assert call(conn, "GET", "/api/0/info")[0] == 200
    sock = conn.sock
    assert sock is not None
    start = time.monotonic()
    # Wait 6 s, failing at once if the server closes the connection meanwhile.
    while (left := 6.0 - (time.monotonic() - start)) > 0:
        readable, _, _ = select.select([sock], [], [], left)
        assert not readable, "the server closed the idle connection"
    conn.request("GET", "/api/0/info")
    resp = conn.getresponse()
    assert resp.status == 200 and json.loads(resp.read())["hostname"] == "h"
    assert conn.sock is sock  # the same connection, reused
