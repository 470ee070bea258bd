"""tg-client: a small client for the ActivityWatch-compatible ``/api/0`` API.

Watchers running outside the app (``timelygator watch``, another machine) send through it.
Bucket creations and heartbeats go into a durable :class:`OfflineQueue` first and a sender
thread delivers them in order, retrying with exponential backoff while the server is down;
nothing is lost and nothing is sent twice in normal operation. Heartbeats are pre-merged
(:class:`HeartbeatPreMerger`) so that a 1-second poll costs one request per change or per
``commit_interval_s``. The token is sent as ``Authorization: Bearer`` and never logged.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any
from urllib.parse import quote

import httpx
from timelygator.core.client.offline_queue import OfflineQueue, QueuedRequest
from timelygator.core.client.premerge import HeartbeatPreMerger, OutgoingHeartbeat
from timelygator.core.client.wire import event_to_wire
from timelygator.core.event import Event
from timelygator.core.keys import DataKey

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:5600"

# Answers after which a request is dropped (retrying cannot help); it is logged.
_PERMANENT = {400, 405, 413, 422}


def http_client(
    base_url: str,
    token: str | None,
    timeout_s: float,
    transport: httpx.BaseTransport | None = None,
    *,
    proxies: bool,
) -> httpx.Client:
    """An HTTP client for a TimelyGator server, sending ``token`` as a bearer credential;
    ``proxies``: follow the environment's proxy and certificate settings."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        base_url=base_url,
        headers=headers,
        timeout=timeout_s,
        transport=transport,
        trust_env=proxies,
    )


class _Retry(Exception):
    """The server could not take the request now; try again later."""


class TgClient:
    """Queued, pre-merging client. Thread-safe; call :meth:`close` when done."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        queue_path: str | os.PathLike[str],
        queue_key: DataKey | None = None,
        token: str | None = None,
        commit_interval_s: float = 10.0,
        request_timeout_s: float = 10.0,
        initial_backoff_s: float = 0.5,
        max_backoff_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        start: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        # loopback: never through a proxy
        self._http = http_client(self.base_url, token, request_timeout_s, transport, proxies=False)
        self.queue = OfflineQueue(queue_path, queue_key)
        self._premerge = HeartbeatPreMerger(commit_interval_s)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._progress = threading.Condition()
        self._known_buckets: set[str] = set()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.last_error: str | None = None
        if start:
            self.start()

    def __repr__(self) -> str:  # no token in reprs
        return f"TgClient({self.base_url!r}, queue={str(self.queue.path)!r})"

    # -- public API ----------------------------------------------------------------------
    def start(self) -> None:
        """Start the sender thread (done by the constructor unless ``start=False``)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._send_loop, name="tg-client", daemon=True)
            self._thread.start()

    def ensure_bucket(self, bucket_id: str, event_type: str, client: str, hostname: str) -> None:
        """Create the bucket on the server (queued; an existing bucket is fine)."""
        body = {"client": client, "type": event_type, "hostname": hostname}
        if bucket_id in self._known_buckets:
            return
        self._known_buckets.add(bucket_id)
        self.queue.remember_bucket(bucket_id, body)
        self._put("bucket", bucket_id, body)

    def heartbeat(
        self, bucket_id: str, event: Event, pulsetime_s: float, *, queued: bool = True
    ) -> None:
        """Send a heartbeat; with ``queued`` (default) it is pre-merged first."""
        if queued:
            self._enqueue(self._premerge.add(bucket_id, event, pulsetime_s))
        else:
            self._enqueue([OutgoingHeartbeat(bucket_id, event, pulsetime_s)])

    def pending(self) -> int:
        """Requests waiting in the offline queue."""
        return len(self.queue)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Queue held heartbeats and wait until everything is delivered (True) or timeout."""
        self._enqueue(self._premerge.drain())
        self._wake.set()  # retry now rather than after the backoff
        if self._thread is None:
            return len(self.queue) == 0
        with self._progress:
            return self._progress.wait_for(lambda: len(self.queue) == 0, timeout_s)

    def close(self, timeout_s: float = 2.0) -> None:
        """Try to deliver for up to ``timeout_s``; what is left stays queued on disk."""
        if self._closed:
            return
        self.flush(timeout_s)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s + 15)
        self._closed = True
        self._http.close()
        self.queue.close()

    def info(self) -> dict[str, Any]:
        """``GET /api/0/info`` (direct, not queued)."""
        response = self._http.get("/api/0/info")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    # -- internals -----------------------------------------------------------------------
    def _put(
        self, kind: str, bucket: str, body: dict[str, Any], pulse: float | None = None
    ) -> None:
        self.queue.put(kind, bucket, body, pulse)
        self._wake.set()

    def _enqueue(self, outgoing: list[OutgoingHeartbeat]) -> None:
        for item in outgoing:
            self._put("heartbeat", item.bucket, event_to_wire(item.event), item.pulsetime_s)

    def _send_loop(self) -> None:
        backoff = self.initial_backoff_s
        while not self._stopping.is_set():
            self._wake.clear()
            item = self.queue.peek()
            if item is None:
                self._wake.wait(5.0)
                continue
            try:
                self._deliver(item)
            except _Retry as exc:
                if self.last_error != str(exc):
                    log.warning(
                        "server unavailable (%s); %d request(s) queued", exc, self.pending()
                    )
                self.last_error = str(exc)
                self._wake.wait(backoff)
                backoff = min(self.max_backoff_s, backoff * 2)
                continue
            except Exception:
                log.exception("unexpected error sending a queued request; will retry")
                self._wake.wait(backoff)
                backoff = min(self.max_backoff_s, backoff * 2)
                continue
            self.queue.remove(item.seq)
            self.last_error = None
            backoff = self.initial_backoff_s
            with self._progress:
                self._progress.notify_all()

    def _path(self, bucket: str) -> str:
        return f"/api/0/buckets/{quote(bucket, safe='')}"

    def _post(self, path: str, body: dict[str, Any], params: dict[str, Any] | None = None) -> int:
        try:
            response = self._http.post(path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise _Retry(type(exc).__name__) from None
        return response.status_code

    def _deliver(self, item: QueuedRequest) -> None:
        if item.kind == "bucket":
            status = self._post(self._path(item.bucket), item.body)
            self._check(status, f"creating bucket {item.bucket}", ok={200, 201, 304})
            return
        params = {"pulsetime": item.pulsetime if item.pulsetime is not None else 0}
        path = self._path(item.bucket) + "/heartbeat"
        status = self._post(path, item.body, params)
        if status == 404:
            # The server lost the bucket (new database...): create it again, then retry.
            body = self.queue.bucket_body(item.bucket)
            if body is not None:
                self._check(
                    self._post(self._path(item.bucket), body), "re-creating bucket", {200, 304}
                )
                status = self._post(path, item.body, params)
        self._check(status, f"heartbeat to {item.bucket}", ok={200, 201})

    def _check(self, status: int, what: str, ok: set[int]) -> None:
        if status in ok:
            return
        if status in _PERMANENT:
            log.error("server refused %s (HTTP %d); request dropped", what, status)
            return
        if status in (401, 403):
            raise _Retry(f"HTTP {status}: check the API token")
        raise _Retry(f"HTTP {status}")
