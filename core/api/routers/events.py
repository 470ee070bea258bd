"""Events of a bucket: list (range, limit), count, insert/update, get, delete, heartbeat.

The list, count, insert and heartbeat routes are normally answered by ``core.api.fastroutes``
in front of these (same behaviour); these answer whatever it passes on, and document them.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from timelygator.core import reader
from timelygator.core.api.deps import Ctx, ReadAccess, WriteAccess
from timelygator.core.api.routers.buckets import NOT_FOUND, BucketId
from timelygator.core.api.routing import route
from timelygator.core.api.schemas import EventDeleted, EventIn, EventOut, Message
from timelygator.core.api.wire import (
    JSONBytes,
    dumps_events,
    event_out,
    events_json,
    events_out,
    loads,
    parse_event,
    parse_events,
    parse_time_range,
)
from timelygator.core.errors import ValidationError

router = APIRouter(tags=["events"])

EventId = Annotated[int, Path(ge=1, lt=2**62)]
TimeParam = Annotated[str | None, Query(max_length=64, description="ISO 8601")]
MAX_LIMIT = 10**18 - 1  # any larger limit means "all" anyway; SQLite's integers end at 2**63
_PARSE_INLINE_BYTES = 64 * 1024

_EVENT_SCHEMA = EventIn.model_json_schema()
_EVENT_OR_LIST = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"anyOf": [_EVENT_SCHEMA, {"type": "array", "items": _EVENT_SCHEMA}]}
            }
        },
    }
}
_ONE_EVENT = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": _EVENT_SCHEMA}}}
}


async def json_body(request: Request) -> Any:
    """The request's JSON body (a large one parsed off the event loop); a 400 when empty."""
    raw = await request.body()
    if not raw:
        raise ValidationError("A JSON request body is required.")
    if len(raw) > _PARSE_INLINE_BYTES:
        return await run_in_threadpool(loads, raw)
    return loads(raw)


@route(
    router,
    "/api/0/buckets/{bucket_id}/events",
    ["GET"],
    response_model=list[EventOut],
    responses=NOT_FOUND,
)
async def get_events(
    bucket_id: BucketId,
    ctx: Ctx,
    who: ReadAccess,
    start: TimeParam = None,
    end: TimeParam = None,
    limit: Annotated[int | None, Query(ge=-1, le=MAX_LIMIT)] = None,
) -> JSONBytes:
    """Events overlapping [start, end], clipped to it, newest first; limit -1/absent = all."""
    start_us, end_us = parse_time_range(start, end)
    key = await ctx.bucket_key(who.user_id, bucket_id)

    def load(conn: Connection) -> bytes:
        return events_json(conn, key, start_us, end_us, limit)

    return JSONBytes(await ctx.read(load))


@route(
    router,
    "/api/0/buckets/{bucket_id}/events/count",
    ["GET"],
    response_model=int,
    responses=NOT_FOUND,
)
async def count_events(
    bucket_id: BucketId,
    ctx: Ctx,
    who: ReadAccess,
    start: TimeParam = None,
    end: TimeParam = None,
) -> JSONBytes:
    """How many events overlap [start, end] (a bare integer)."""
    start_us, end_us = parse_time_range(start, end)
    key = await ctx.bucket_key(who.user_id, bucket_id)
    count = await ctx.read(lambda conn: reader.count_events(conn, key, start_us, end_us))
    return JSONBytes(count)


@route(
    router,
    "/api/0/buckets/{bucket_id}/events",
    ["POST"],
    response_model=list[EventOut] | EventOut,
    responses=NOT_FOUND,
    openapi_extra=_EVENT_OR_LIST,
)
async def insert_events(
    bucket_id: BucketId, request: Request, ctx: Ctx, who: WriteAccess
) -> JSONBytes:
    """Insert one event or a list; events with an ``id`` of this bucket are updated in place.

    Answers after the commit with the stored events (a list for a list, else one event).
    Nothing is stored when any event is invalid.
    """
    key = await ctx.bucket_key(who.user_id, bucket_id)
    body = await json_body(request)
    events, many = parse_events(body, ctx.limits, ctx.config.max_events_per_request)
    ctx.check_capacity()
    stored = await ctx.wait(ctx.services.writer.insert_events(key, events, adopt=True))
    if not many:
        return JSONBytes(dumps_events(event_out(stored[0])))
    if len(stored) > 1000:
        return JSONBytes(await run_in_threadpool(lambda: dumps_events(events_out(stored))))
    return JSONBytes(dumps_events(events_out(stored)))


@route(
    router,
    "/api/0/buckets/{bucket_id}/events/{event_id}",
    ["GET"],
    response_model=EventOut,
    responses=NOT_FOUND,
)
async def get_event(bucket_id: BucketId, event_id: EventId, ctx: Ctx, who: ReadAccess) -> JSONBytes:
    key = await ctx.bucket_key(who.user_id, bucket_id)
    event = await ctx.read(lambda conn: reader.get_event(conn, key, event_id))
    return JSONBytes(dumps_events(event_out(event)))


@route(
    router,
    "/api/0/buckets/{bucket_id}/events/{event_id}",
    ["DELETE"],
    response_model=EventDeleted,
    responses=NOT_FOUND,
)
async def delete_event(
    bucket_id: BucketId, event_id: EventId, ctx: Ctx, who: WriteAccess
) -> JSONBytes:
    """Delete one event (a missing one is not an error): ``{"success": 1}`` when it existed,
    ``{"success": 0}`` when not, as ActivityWatch's server answers."""
    key = await ctx.bucket_key(who.user_id, bucket_id)
    deleted = await ctx.wait(ctx.services.writer.delete_events(key, [event_id]))
    return JSONBytes({"success": 1 if deleted else 0})


@route(
    router,
    "/api/0/buckets/{bucket_id}/heartbeat",
    ["POST"],
    response_model=EventOut,
    responses={**NOT_FOUND, 400: {"model": Message}},
    openapi_extra=_ONE_EVENT,
)
async def heartbeat(
    bucket_id: BucketId,
    request: Request,
    ctx: Ctx,
    who: WriteAccess,
    pulsetime: Annotated[float | None, Query(description="seconds; required")] = None,
) -> JSONBytes:
    """Merge into the last event when data are equal and it is within pulsetime, else store new."""
    if pulsetime is None:
        raise ValidationError("The 'pulsetime' query parameter (seconds) is required.")
    if not math.isfinite(pulsetime) or pulsetime < 0 or pulsetime > 366 * 86_400:
        raise ValidationError("'pulsetime' must be a non-negative number of seconds.")
    key = await ctx.bucket_key(who.user_id, bucket_id)
    event = parse_event(await json_body(request), ctx.limits)
    event.id = None
    ctx.check_capacity()
    merged = await ctx.wait(ctx.services.writer.heartbeat(key, event, pulsetime))
    return JSONBytes(dumps_events(event_out(merged)))
