"""Where watchers send heartbeats: in-process callbacks or the HTTP client."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from timelygator.core.event import Event

if TYPE_CHECKING:
    from timelygator.core.client import TgClient


class Sink(Protocol):
    """Receives buckets and heartbeats. Implementations must be thread-safe."""

    def ensure_bucket(self, name: str, type: str, client: str, hostname: str) -> None: ...

    def heartbeat(self, bucket: str, event: Event, pulsetime_s: float) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


EnsureBucketFn = Callable[[str, str, str, str], None]
HeartbeatFn = Callable[[str, Event, float], None]


class CallbackSink:
    """In-process sink: hands everything to two callables (the app wires its writer here).

    The writer merges heartbeats itself, so nothing is pre-merged or queued here.
    """

    def __init__(self, ensure_bucket: EnsureBucketFn, heartbeat: HeartbeatFn) -> None:
        self._ensure_bucket = ensure_bucket
        self._heartbeat = heartbeat

    def ensure_bucket(self, name: str, type: str, client: str, hostname: str) -> None:
        self._ensure_bucket(name, type, client, hostname)

    def heartbeat(self, bucket: str, event: Event, pulsetime_s: float) -> None:
        self._heartbeat(bucket, event, pulsetime_s)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None


class HttpSink:
    """Sends to a TimelyGator (or ActivityWatch) server through :class:`core.client.TgClient`.

    Heartbeats are pre-merged client-side and go through a durable offline queue, so they
    survive the server being down and this process restarting.
    """

    def __init__(self, client: TgClient) -> None:
        self.client = client

    def ensure_bucket(self, name: str, type: str, client: str, hostname: str) -> None:
        self.client.ensure_bucket(name, type, client, hostname)

    def heartbeat(self, bucket: str, event: Event, pulsetime_s: float) -> None:
        self.client.heartbeat(bucket, event, pulsetime_s)

    def flush(self) -> None:
        self.client.flush()

    def close(self) -> None:
        self.client.close()
