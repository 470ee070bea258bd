"""Lean handlers for the four hottest routes, in front of FastAPI.

Watchers send a heartbeat every second or so, importers post thousands of events, dashboards
read ranges and counts. For these, FastAPI's middleware, routing, dependency injection and
parameter models cost more than the work itself, so ``FastRoutes`` answers them directly. It
sits just inside the security layer: the Host check, CORS, body limits and metrics apply to
every request as before. Errors are answered as FastAPI's exception handlers would (and
unexpected ones as its server-error middleware would). Its handlers take the steps of the
FastAPI endpoints in the same order, with the same functions and the same messages:

    token and scope (401/403), rate limit (429) -> start/end (400) -> bucket (404)
    -> body (413, 400: nothing stored) -> the writer -> answered after the commit

Whatever it does not recognise as plainly well-formed *before any side effect* (an odd or
repeated query parameter, a pulsetime or limit that is not a plain number in range, a bucket
id over 500 characters, another method, a root path) goes untouched to the FastAPI route,
which answers it exactly as before. Those routes stay registered: they describe these
endpoints in OpenAPI and are the reference the tests compare this layer with
(``ApiConfig(fast_routes=False)`` turns it off).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send
from timelygator.core import reader
from timelygator.core.api.context import ApiContext
from timelygator.core.api.deps import Principal, authorize
from timelygator.core.api.errors import (
    core_error_response,
    http_error_response,
    unexpected_error_response,
)
from timelygator.core.api.wire import (
    ParsedEvents,
    dumps_events,
    event_out,
    events_json,
    inserted_out,
    parse_event_body,
    parse_insert_body,
    parse_time_range,
)
from timelygator.core.errors import TimelyGatorError, ValidationError
from timelygator.core.event import Event

PREFIX = "/api/0/buckets/"
MAX_BUCKET_ID = 500  # BucketId's max_length
MAX_PULSETIME_S = 366 * 86_400
MAX_TIME_PARAM = 64  # TimeParam's max_length
PARSE_INLINE_BYTES = 64 * 1024  # larger bodies are parsed on a worker thread
SERIALISE_INLINE_EVENTS = 1000  # longer answers are serialised on a worker thread

# What pydantic reads as the same number: no sign, exponent, spaces or leading zeros.
_PLAIN_FLOAT = re.compile(r"(?:0|[1-9]\d{0,9})(?:\.\d{1,9})?")
_PLAIN_LIMIT = re.compile(r"-1|0|[1-9]\d{0,17}")

# (method, path after the bucket id) -> the FastAPI route template it stands for.
TEMPLATES = {
    ("POST", "heartbeat"): "/api/0/buckets/{bucket_id}/heartbeat",
    ("POST", "events"): "/api/0/buckets/{bucket_id}/events",
    ("GET", "events"): "/api/0/buckets/{bucket_id}/events",
    ("GET", "events/count"): "/api/0/buckets/{bucket_id}/events/count",
}

Handler = Callable[[], Awaitable[bytes]]


def find_routes(routes: list[Any]) -> dict[tuple[str, str, bool], APIRoute]:
    """(method, tail, trailing slash) -> the APIRoute the request would have matched."""
    found: dict[tuple[str, str, bool], APIRoute] = {}
    for (method, tail), template in TEMPLATES.items():
        for slash in (False, True):
            path = template + "/" if slash else template
            for route in routes:
                if (
                    isinstance(route, APIRoute)
                    and route.path == path
                    and method in (route.methods or ())
                ):
                    found[(method, tail, slash)] = route
                    break
            else:
                raise LookupError(f"no route {method} {path}")
    return found


def _query(scope: Scope) -> dict[str, str] | None:
    """The query parameters, or None when one is repeated (left to FastAPI's rule)."""
    raw: bytes = scope["query_string"]
    if not raw:
        return {}
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if name in params:
            return None
        params[name] = value
    return params


def _time_params_plain(params: dict[str, str]) -> bool:
    return all(len(params.get(name, "")) <= MAX_TIME_PARAM for name in ("start", "end"))


async def _read_body(receive: Receive) -> bytes:
    """The whole request body (as ``Request.body``; the guard's size limit raises 413)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


async def _required_body(receive: Receive) -> bytes:
    raw = await _read_body(receive)
    if not raw:
        raise ValidationError("A JSON request body is required.")
    return raw


def _serialise(parsed: ParsedEvents, stored: list[Event]) -> bytes:
    return dumps_events(inserted_out(parsed, stored))


class FastRoutes:
    """ASGI middleware: heartbeat, insert, list and count of events, answered directly."""

    def __init__(self, app: ASGIApp, ctx: ApiContext, routes: list[Any]) -> None:
        self.app = app
        self.ctx = ctx
        self.routes = find_routes(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            handler = self._match(scope, receive)
            if handler is not None:
                await self._answer(scope, receive, send, handler)
                return
        await self.app(scope, receive, send)

    # -- matching (no side effects: anything unusual is FastAPI's) --------------------------
    def _match(self, scope: Scope, receive: Receive) -> Handler | None:
        if scope.get("root_path"):
            return None
        rest: str = scope["path"][len(PREFIX) :]
        slash = rest.endswith("/")
        if slash:
            rest = rest[:-1]
        name, sep, tail = rest.partition("/")
        if not sep or not name or len(name) > MAX_BUCKET_ID:
            return None
        method: str = scope["method"]
        route = self.routes.get((method, tail, slash))
        if route is None:
            return None
        if tail == "heartbeat":
            pulsetime = self._pulsetime(scope)
            if pulsetime is None:
                return None
            handler: Handler = lambda: self._heartbeat(scope, receive, name, pulsetime)  # noqa: E731
        elif method == "POST":
            handler = lambda: self._insert(scope, receive, name)  # noqa: E731
        else:
            params = _query(scope)
            if params is None or not _time_params_plain(params):
                return None
            start, end = params.get("start"), params.get("end")
            if tail == "events/count":
                handler = lambda: self._count(scope, name, start, end)  # noqa: E731
            else:
                limit_text = params.get("limit")
                limit = None
                if limit_text is not None:
                    if _PLAIN_LIMIT.fullmatch(limit_text) is None:
                        return None
                    limit = int(limit_text)
                handler = lambda: self._list(scope, name, start, end, limit)  # noqa: E731
        scope["route"] = route  # for the metrics (by route template), as FastAPI sets it
        return handler

    @staticmethod
    def _pulsetime(scope: Scope) -> float | None:
        raw: bytes = scope["query_string"]
        if raw.startswith(b"pulsetime=") and not any(c in raw for c in b"&%+"):
            text: str | None = raw[10:].decode("latin-1")
        else:
            params = _query(scope)
            text = None if params is None else params.get("pulsetime")
        if text is None or _PLAIN_FLOAT.fullmatch(text) is None:
            return None
        value = float(text)
        return value if value <= MAX_PULSETIME_S else None

    # -- answering ------------------------------------------------------------------------
    async def _answer(self, scope: Scope, receive: Receive, send: Send, handler: Handler) -> None:
        try:
            body = await handler()
        except HTTPException as exc:
            await http_error_response(exc)(scope, receive, send)
            return
        except TimelyGatorError as exc:
            await core_error_response(exc)(scope, receive, send)
            return
        except Exception as exc:  # as Starlette's ServerErrorMiddleware: answer, then re-raise
            await unexpected_error_response(exc)(scope, receive, send)
            raise
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(body)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _who(self, scope: Scope, needed: str) -> Principal:
        header = host = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                header = value.decode("latin-1")
            elif key == b"host":
                host = value.decode("latin-1")
        return await authorize(self.ctx, header, scope.get("client"), needed, host)

    async def _bucket(self, who: Principal, name: str) -> int:
        key = self.ctx.cached_bucket_key(who.user_id, name)
        return key if key is not None else await self.ctx.bucket_key(who.user_id, name)

    async def _heartbeat(
        self, scope: Scope, receive: Receive, name: str, pulsetime: float
    ) -> bytes:
        ctx = self.ctx
        key = await self._bucket(await self._who(scope, "write"), name)
        raw = await _required_body(receive)
        if len(raw) > PARSE_INLINE_BYTES:
            event = await run_in_threadpool(parse_event_body, raw, ctx.limits)
        else:
            event = parse_event_body(raw, ctx.limits)
        event.id = None
        ctx.check_capacity()
        merged = await ctx.wait(ctx.services.writer.heartbeat(key, event, pulsetime))
        return dumps_events(event_out(merged))

    async def _insert(self, scope: Scope, receive: Receive, name: str) -> bytes:
        ctx = self.ctx
        key = await self._bucket(await self._who(scope, "write"), name)
        raw = await _required_body(receive)
        limits, most = ctx.limits, ctx.config.max_events_per_request
        if len(raw) > PARSE_INLINE_BYTES:
            parsed = await run_in_threadpool(parse_insert_body, raw, limits, most)
        else:
            parsed = parse_insert_body(raw, limits, most)
        ctx.check_capacity()
        stored = await ctx.wait(ctx.services.writer.insert_events(key, parsed.events, adopt=True))
        if not parsed.many:
            return dumps_events(event_out(stored[0]))
        if len(stored) > SERIALISE_INLINE_EVENTS:
            return await run_in_threadpool(_serialise, parsed, stored)
        return _serialise(parsed, stored)

    async def _list(
        self, scope: Scope, name: str, start: str | None, end: str | None, limit: int | None
    ) -> bytes:
        who = await self._who(scope, "read")
        start_us, end_us = parse_time_range(start, end)
        key = await self._bucket(who, name)
        return await self.ctx.read(lambda conn: events_json(conn, key, start_us, end_us, limit))

    async def _count(self, scope: Scope, name: str, start: str | None, end: str | None) -> bytes:
        who = await self._who(scope, "read")
        start_us, end_us = parse_time_range(start, end)
        key = await self._bucket(who, name)
        count = await self.ctx.read(lambda conn: reader.count_events(conn, key, start_us, end_us))
        return str(count).encode()
