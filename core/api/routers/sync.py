"""``/api/0/sync``: TimelyGator's extension of ``/api/0`` for devices that sync through a
server (``timelygator sync``, the app's Settings → Sync; the rules: ``core.sync``).

- ``POST /api/0/sync/buckets/{id}`` (write scope) replaces a range of the bucket's events
  with the ones sent (``core.sync.ranges``): after it, the events that start in
  ``[start, end)`` are exactly those. Sending it again changes nothing; a last event that
  grew since is updated, not added again. The bucket is created when missing; a bucket
  another device pushes (its data's ``"timelygator.sync"`` marker names another device) is
  a 409 and nothing is stored. The bucket's type, client, hostname and data follow the
  push, changed after its events (so the epoch in the marker changes last).
- ``GET /api/0/sync/buckets/{id}/events?start=&end=&limit=`` (read scope): the events that
  start in ``[start, end)``, oldest first and whole (not clipped to the range, unlike
  ``/events``), each with its own UTC offset.

Both only reach the asking token's user's buckets, like every route.
"""

from __future__ import annotations

from concurrent.futures import Future
from functools import partial
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import Connection
from timelygator.core import reader
from timelygator.core.api.context import ApiContext
from timelygator.core.api.deps import Ctx, Principal, ReadAccess, WriteAccess
from timelygator.core.api.errors import ApiError
from timelygator.core.api.routers.buckets import NOT_FOUND, BucketId
from timelygator.core.api.routers.events import TimeParam, json_body
from timelygator.core.api.routing import route
from timelygator.core.api.schemas import Message
from timelygator.core.api.wire import JSONBytes, dumps_events, parse_time_range
from timelygator.core.errors import NotFoundError
from timelygator.core.event import BucketInfo
from timelygator.core.sync import protocol
from timelygator.core.sync.ranges import Range, plan_replace
from timelygator.core.write_ops import BucketFields

router = APIRouter(tags=["sync"])


class PushResult(BaseModel):
    created: bool
    inserted: int
    updated: int
    deleted: int
    unchanged: int


class SyncEvent(BaseModel):
    timestamp: str
    duration: float
    data: dict[str, Any]


_PUSH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["bucket", "events"],
                    "properties": {
                        "bucket": {"type": "object"},
                        "start": {"type": ["string", "null"]},
                        "end": {"type": ["string", "null"]},
                        "events": {"type": "array", "items": SyncEvent.model_json_schema()},
                    },
                }
            }
        },
    }
}


def _meta(bucket: BucketInfo) -> protocol.BucketMeta:
    return protocol.BucketMeta(bucket.type, bucket.client, bucket.hostname, bucket.data)


async def _bucket(ctx: ApiContext, who: Principal, name: str) -> BucketInfo | None:
    try:
        return await ctx.read(lambda conn: reader.get_bucket(conn, who.user_id, name))
    except NotFoundError:
        return None


@route(
    router,
    "/api/0/sync/buckets/{bucket_id}",
    ["POST"],
    response_model=PushResult,
    responses={409: {"model": Message}},
    openapi_extra=_PUSH_BODY,
)
async def push_range(
    bucket_id: BucketId, request: Request, ctx: Ctx, who: WriteAccess
) -> JSONBytes:
    """Replace the events that start in [start, end) with the ones sent (idempotent)."""
    push = protocol.parse_push(
        await json_body(request), ctx.limits, ctx.config.max_events_per_request
    )
    ctx.check_capacity()
    writer = ctx.services.writer
    meta = push.bucket
    existing = await _bucket(ctx, who, bucket_id)
    created = False
    if existing is None:
        made = await ctx.wait(
            writer.create_bucket(
                who.user_id,
                bucket_id,
                type=meta.type,
                client=meta.client,
                hostname=meta.hostname,
                data=meta.data,
            )
        )
        created = made is not None
        if not created:  # created meanwhile by another request
            existing = await _bucket(ctx, who, bucket_id)
    if existing is not None and protocol.device_of(existing.data) != protocol.device_of(meta.data):
        raise ApiError(
            409,
            f"The bucket {bucket_id!r} is another device's (or not a synced one); nothing was "
            "stored. Each device pushes its buckets under ids of its own.",
        )
    key = await ctx.bucket_key(who.user_id, bucket_id)
    span = push.span
    stored = await ctx.read(partial(_starting, key=key, span=span))
    plan = plan_replace(stored, push.events)
    futures: list[Future[Any]] = []
    if plan.updates or plan.inserts:
        futures.append(writer.insert_events(key, [*plan.updates, *plan.inserts]))
    if plan.deletes:
        futures.append(writer.delete_events(key, plan.deletes))
    if existing is not None:
        fields = meta.differences(_meta(existing))
        if fields:
            futures.append(writer.update_bucket(key, cast(BucketFields, fields)))
    for future in futures:
        await ctx.wait(future)
    return JSONBytes(
        {
            "created": created,
            "inserted": len(plan.inserts),
            "updated": len(plan.updates),
            "deleted": len(plan.deletes),
            "unchanged": plan.unchanged,
        }
    )


def _starting(conn: Connection, *, key: int, span: Range, limit: int | None = None) -> list[Any]:
    return reader.events_starting(conn, key, span.start_us, span.end_us, limit)


@route(
    router,
    "/api/0/sync/buckets/{bucket_id}/events",
    ["GET"],
    response_model=list[SyncEvent],
    responses=NOT_FOUND,
)
async def pull_range(
    bucket_id: BucketId,
    ctx: Ctx,
    who: ReadAccess,
    start: TimeParam = None,
    end: TimeParam = None,
    limit: Annotated[int, Query(ge=1, le=protocol.MAX_PULL_LIMIT)] = 1000,
) -> JSONBytes:
    """The events that start in [start, end), oldest first, whole, in their own offsets."""
    start_us, end_us = parse_time_range(start, end)
    key = await ctx.bucket_key(who.user_id, bucket_id)
    events = await ctx.read(partial(_starting, key=key, span=Range(start_us, end_us), limit=limit))
    return JSONBytes(dumps_events([protocol.event_wire(e) for e in events]))
