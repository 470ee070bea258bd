"""A sink that writes straight into this process's store, through the core writer."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.watchers.sink import CallbackSink

log = logging.getLogger(__name__)

CLIENT_NAME = "timelygator"


class ServicesSink(CallbackSink):
    """In-process sink: bucket creation and heartbeats go to ``services.writer``.

    Heartbeats are not waited for (the writer commits within a second); a failed write is
    logged once per failure streak, and ``flush`` waits until everything was committed.
    """

    def __init__(self, services: Services) -> None:
        super().__init__(self._ensure, self._beat)
        self._services = services
        self._keys: dict[str, int] = {}
        self._lock = threading.Lock()
        self._failing = False

    def _ensure(self, name: str, type_: str, client: str, hostname: str) -> None:
        key = self._services.ensure_bucket(name, type=type_, client=client, hostname=hostname)
        with self._lock:
            self._keys[name] = key

    def _beat(self, bucket: str, event: Event, pulsetime_s: float) -> None:
        with self._lock:
            key = self._keys.get(bucket)
        if key is None:
            key = self._services.bucket_key(bucket)
            with self._lock:
                self._keys[bucket] = key
        future = self._services.writer.heartbeat(key, event, pulsetime_s)
        future.add_done_callback(self._check)

    def _check(self, future: Future[Event]) -> None:
        error = future.exception()
        if error is None:
            self._failing = False
        elif not self._failing:
            self._failing = True
            log.error("Heartbeats are not being saved: %s", error)

    def flush(self) -> None:
        self._services.writer.flush()
