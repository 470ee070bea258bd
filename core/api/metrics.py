"""Prometheus metrics of one app (its own CollectorRegistry, never the global one).

In one process (the desktop app's API, ``serve``) the values live in memory and ``render``
reports them. Under ``serve --workers N`` a scrape reaches one worker, yet must count the
whole server, so there prometheus_client runs in its multiprocess mode: the supervisor makes
a private directory and names it to every worker in ``PROMETHEUS_MULTIPROC_DIR`` (set in the
worker's environment when it starts: prometheus_client chooses where values live when it is
imported), each worker keeps its values in files of its own there, and ``render``, in
whichever worker answers, adds up the files:

- requests and latencies of every worker that ever ran, including ones that exited (their
  files stay until the server stops, so a counter never goes back when the supervisor
  replaces a worker that crashed);
- the writer queues of the workers alive: each worker writes its depth every
  ``PUBLISH_INTERVAL_S`` (and before it answers a scrape), and the supervisor removes a
  dead worker's (``mark_process_dead``);
- the events stored, once: a database-wide number, read by the answering worker.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import values as prometheus_values
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from timelygator.core.errors import TimelyGatorError

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

# prometheus_client's switch to its multiprocess mode: the directory of the values' files.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# How often a worker writes its writer queue depth for the others' scrapes.
PUBLISH_INTERVAL_S = 1.0


def shared_directory() -> Path | None:
    """The directory this process keeps its metric values in beside the other workers'
    (``MULTIPROCESS_ENV``, set by the supervisor of ``serve --workers N``); None when the
    values live in this process's memory."""
    path = os.environ.get(MULTIPROCESS_ENV)
    if not path:
        return None
    if not Path(path).is_dir():
        raise TimelyGatorError(
            f"{MULTIPROCESS_ENV} names {path!r}, which is not a directory: make it, or unset "
            "the variable (TimelyGator sets it for its own workers)."
        )
    return Path(path)


class _DatabaseGauge:
    """A gauge read when scraped (``Gauge.set_function`` without a value of its own, so it
    is reported once even in multiprocess mode)."""

    def __init__(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        self.name = name
        self.documentation = documentation
        self.read = read

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(self.name, self.documentation)]

    def collect(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(self.name, self.documentation, value=self.read())]


class ApiMetrics:
    """Requests by route and status, latency histogram, writer queue, events stored.

    ``shared_dir``: the workers' directory (``shared_directory()``): the values go to files
    there and ``render`` reports all the workers'; None: this process's memory only.
    """

    def __init__(
        self,
        queue_depth: Callable[[], float],
        events_stored: Callable[[], float],
        shared_dir: Path | None = None,
    ) -> None:
        self.shared_dir = shared_dir
        self._queue_depth = queue_depth
        self._closed = threading.Event()
        self._publisher: threading.Thread | None = None
        if shared_dir is None:
            self.registry = CollectorRegistry(auto_describe=True)
            own: CollectorRegistry | None = self.registry
        else:
            if not getattr(prometheus_values.ValueClass, "_multiprocess", False):
                raise RuntimeError(
                    f"{MULTIPROCESS_ENV} must be set before prometheus_client is imported "
                    "(in the environment the process starts with)."
                )
            # The metrics themselves are registered nowhere: their values are in this
            # process's files, which the collector reads with every other worker's (a
            # registry of their own would report this worker twice).
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry, str(shared_dir))  # type: ignore[no-untyped-call]
            own = None
        self.requests = Counter(
            "timelygator_http_requests",
            "HTTP requests by route template, method and status",
            ("route", "method", "status"),
            registry=own,
        )
        self.latency = Histogram(
            "timelygator_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ("route",),
            buckets=_BUCKETS,
            registry=own,
        )
        self.writer_queue = Gauge(
            "timelygator_writer_queue_depth",
            "Write operations waiting for the writer thread",
            registry=own,
            multiprocess_mode="livesum",  # the workers alive, added up
        )
        self.registry.register(
            _DatabaseGauge("timelygator_events_stored", "Events in the database", events_stored)
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        if shared_dir is None:
            self.writer_queue.set_function(queue_depth)
        else:
            self.publish()
            self._publisher = threading.Thread(
                target=self._publish_until_closed, name="timelygator-metrics", daemon=True
            )
            self._publisher.start()

    def publish(self) -> None:
        """Write this process's writer queue depth where every worker's scrape reads it
        (multiprocess mode; in memory it is read when scraped)."""
        if self.shared_dir is not None:
            self.writer_queue.set(self._queue_depth())

    def _publish_until_closed(self) -> None:
        while not self._closed.wait(PUBLISH_INTERVAL_S):
            self.publish()

    def close(self) -> None:
        """Stop writing the queue depth (the server is stopping)."""
        self._closed.set()
        if self._publisher is not None:
            self._publisher.join()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        self.publish()
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every HTTP request and counts it under its route template (not the raw path)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(template, scope["method"], status, time.perf_counter() - started)
