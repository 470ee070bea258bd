"""A tiny in-test ActivityWatch-style server on 127.0.0.1 that can be stopped and restarted.

Its state (buckets, received requests) outlives restarts, like a server's database.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_BUCKET = re.compile(r"^/api/0/buckets/([^/]+)/?$")
_HEARTBEAT = re.compile(r"^/api/0/buckets/([^/]+)/heartbeat/?$")


@dataclass
class Received:
    kind: str
    bucket: str
    body: dict[str, Any]
    pulsetime: float | None
    authorization: str | None


@dataclass
class ServerState:
    token: str | None = None
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def heartbeats(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.kind == "heartbeat"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AwTestServer:
    def __init__(self, state: ServerState | None = None) -> None:
        self.state = state or ServerState()
        self.port = free_port()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, payload: Any = None) -> None:
                body = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                auth = self.headers.get("Authorization")
                if state.token is not None and auth != f"Bearer {state.token}":
                    self._reply(401, {"message": "token required"})
                    return
                if m := _HEARTBEAT.match(parts.path):
                    bucket = unquote(m.group(1))
                    query = parse_qs(parts.query)
                    if "pulsetime" not in query:
                        self._reply(400, {"message": "pulsetime missing"})
                        return
                    with state.lock:
                        if bucket not in state.buckets:
                            self._reply(404, {"message": "no such bucket"})
                            return
                        state.received.append(
                            Received("heartbeat", bucket, body, float(query["pulsetime"][0]), auth)
                        )
                    self._reply(200, {"id": 1, **body})
                elif m := _BUCKET.match(parts.path):
                    bucket = unquote(m.group(1))
                    with state.lock:
                        exists = bucket in state.buckets
                        state.buckets.setdefault(bucket, body)
                        state.received.append(Received("bucket", bucket, body, None, auth))
                    self._reply(304 if exists else 200)
                else:
                    self._reply(404, {"message": "not found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(5)
            self._server = None
