"""``POST /api/0/query/``: the ActivityWatch query language over this user's buckets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from timelygator.core.api.deps import Ctx, ReadAccess
from timelygator.core.api.query_worker import run_query_json
from timelygator.core.api.routing import route
from timelygator.core.api.schemas import Message, QueryIn
from timelygator.core.api.wire import JSONBytes
from timelygator.core.query.budget import QueryBudget

router = APIRouter(tags=["query"])


@route(
    router,
    "/api/0/query/",
    ["POST"],
    response_model=list[Any],
    responses={400: {"model": Message}},
)
async def query(body: QueryIn, ctx: Ctx, who: ReadAccess) -> JSONBytes:
    """One result per timeperiod, in order; errors are 400 with a message.

    Queries run in worker processes (``timelygator serve``) or on worker threads, a few at a
    time, each within its budget of time, events, items and answer bytes
    (``core.query.budget``; a 400 names the limit it met).
    """
    config = ctx.config
    async with ctx.query_slots:
        budget = QueryBudget(
            timeout_s=config.query_timeout_s,
            max_events=config.query_max_events,
            max_items=config.query_max_items,
            max_answer_bytes=config.query_max_answer_bytes,
        ).start()
        workers = ctx.query_workers
        if workers is not None:
            data = await run_in_threadpool(
                workers.run, who.user_id, body.query, body.timeperiods, budget
            )
        else:
            data = await ctx.read(
                lambda conn: run_query_json(conn, who.user_id, body.query, body.timeperiods, budget)
            )
    return JSONBytes(data)
