"""``POST /api/0/query/``: the ActivityWatch query language over this user's buckets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import Connection

from core.api.deps import Ctx, ReadAccess
from core.api.query_source import StoreDataSource
from core.api.routing import route
from core.api.schemas import Message, QueryIn
from core.api.wire import JSONBytes, dumps
from core.errors import StorageError, TimelyGatorError, ValidationError
from core.query.budget import QueryBudget, run_with_deadline

router = APIRouter(tags=["query"])


def run(
    conn: Connection,
    user_id: int,
    statements: list[str] | str,
    periods: list[str],
    budget: QueryBudget,
) -> bytes:
    """The query's answer (JSON), within ``budget`` (a 400 naming the limit beyond it)."""
    from core.query import run_query  # imported on first use: keeps app start-up light

    source = StoreDataSource(conn, user_id)

    def answer() -> bytes:
        body = dumps(run_query(statements, periods, source, budget))
        budget.check_answer(len(body))
        return body

    try:
        return run_with_deadline(answer, budget)
    except StorageError:
        raise
    except TimelyGatorError as exc:  # unknown bucket, bad query, bad period, a limit
        raise ValidationError(str(exc)) from None
    except RecursionError:
        raise ValidationError("The query is nested too deeply.") from None
    except (ValueError, TypeError, OverflowError):
        raise ValidationError(
            "The query's answer cannot be written as JSON (a number that is infinite or "
            "out of range, or text that is not valid Unicode)."
        ) from None


@route(
    router,
    "/api/0/query/",
    ["POST"],
    response_model=list[Any],
    responses={400: {"model": Message}},
)
async def query(body: QueryIn, ctx: Ctx, who: ReadAccess) -> JSONBytes:
    """One result per timeperiod, in order; errors are 400 with a message.

    Queries run on worker threads, a few at a time, each within its budget of time, events,
    items and answer bytes (``core.query.budget``; a 400 names the limit it met).
    """
    config = ctx.config
    async with ctx.query_slots:
        budget = QueryBudget(
            timeout_s=config.query_timeout_s,
            max_events=config.query_max_events,
            max_items=config.query_max_items,
            max_answer_bytes=config.query_max_answer_bytes,
        ).start()
        data = await ctx.read(
            lambda conn: run(conn, who.user_id, body.query, body.timeperiods, budget)
        )
    return JSONBytes(data)
