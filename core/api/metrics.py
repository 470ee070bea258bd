"""Prometheus metrics of one app (its own CollectorRegistry, never the global one)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class ApiMetrics:
    """Requests by route and status, latency histogram, writer queue, events stored."""

    def __init__(self, queue_depth: Callable[[], float], events_stored: Callable[[], float]):
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "timelygator_http_requests",
            "HTTP requests by route template, method and status",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "timelygator_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ("route",),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        writer_queue = Gauge(
            "timelygator_writer_queue_depth",
            "Write operations waiting for the writer thread",
            registry=self.registry,
        )
        writer_queue.set_function(queue_depth)
        stored = Gauge(
            "timelygator_events_stored",
            "Events in the database",
            registry=self.registry,
        )
        stored.set_function(events_stored)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

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
