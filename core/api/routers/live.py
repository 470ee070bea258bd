"""``GET /api/0/events/stream``: server-sent events of new, updated and deleted events.

Each message is ``event: <kind>`` with ``data: {"bucket": id, ...}``; kinds are ``event``
(inserted or updated; the full event), ``event_deleted`` (its id), ``bucket`` (created or
changed), ``bucket_deleted`` and ``reset`` (the client fell behind: re-read). A comment line
is sent every ``KEEPALIVE_S`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse
from timelygator.core.api.context import REVOCATION_CHECK_S, ApiContext
from timelygator.core.api.deps import Ctx, ReadAccess
from timelygator.core.api.guard import HEAD_KEY
from timelygator.core.api.routing import route
from timelygator.core.api.stream import Subscriber
from timelygator.core.api.wire import event_out

router = APIRouter(tags=["live"])

KEEPALIVE_S = 15.0


def _message(kind: str, payload: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


def _revoked() -> str:
    return _message("revoked", {"message": "The API token of this stream was revoked."})


async def _nothing() -> AsyncIterator[str]:
    return
    yield  # an async generator that ends at once (a HEAD request)


async def _messages(ctx: ApiContext, sub: Subscriber, only: str | None) -> AsyncIterator[str]:
    try:
        yield "retry: 3000\n: connected\n\n"
        quiet_since = time.monotonic()
        while True:
            try:
                changes = await asyncio.wait_for(sub.queue.get(), REVOCATION_CHECK_S)
            except TimeoutError:
                # Revoked anywhere (the app, the CLI): noticed within about a second.
                if sub.token_id is not None and ctx.token_revoked(sub.token_id):
                    yield _revoked()
                    return
                if time.monotonic() - quiet_since >= KEEPALIVE_S:
                    quiet_since = time.monotonic()
                    yield ": keepalive\n\n"
                continue
            if changes is None:
                if sub.revoked:
                    yield _revoked()
                return
            quiet_since = time.monotonic()
            if sub.overflowed:
                sub.overflowed = False
                yield _message("reset", {})
            parts = []
            for change in changes:
                if change.bucket_key is None:
                    continue
                owner = await ctx.bucket_owner(change.bucket_key)
                if owner is None or owner[0] != sub.user_id:
                    continue
                name = owner[1]
                if only is not None and name != only:
                    continue
                if change.kind == "event" and change.event is not None:
                    parts.append(
                        _message("event", {"bucket": name, "event": event_out(change.event)})
                    )
                elif change.kind == "event_deleted":
                    parts.append(_message("event_deleted", {"bucket": name, "id": change.event_id}))
                else:
                    parts.append(_message(change.kind, {"bucket": name}))
            if parts:
                yield "".join(parts)
    finally:
        ctx.hub.unsubscribe(sub)


@route(
    router,
    "/api/0/events/stream",
    ["GET"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    ctx: Ctx,
    who: ReadAccess,
    bucket: Annotated[str | None, Query(max_length=500, description="only this bucket")] = None,
) -> StreamingResponse:
    """Live changes of this user's buckets as server-sent events."""
    if bucket is not None:
        await ctx.bucket_key(who.user_id, bucket)  # 404 for an unknown bucket
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if request.scope.get(HEAD_KEY):
        return StreamingResponse(_nothing(), media_type="text/event-stream", headers=headers)
    sub = ctx.hub.subscribe(who.user_id, who.token_id)
    return StreamingResponse(
        _messages(ctx, sub, bucket),
        media_type="text/event-stream",
        headers=headers,
    )
