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

router = APIRouter(tags=["query"])


def run(conn: Connection, user_id: int, statements: list[str] | str, periods: list[str]) -> bytes:
    from core.query import run_query  # imported on first use: keeps app start-up light

    source = StoreDataSource(conn, user_id)
    try:
        result: list[Any] = run_query(statements, periods, source)
        return dumps(result)
    except StorageError:
        raise
    except TimelyGatorError as exc:  # unknown bucket, bad query, bad period: the caller's input
        raise ValidationError(str(exc)) from None
    except RecursionError:
        raise ValidationError("The query is nested too deeply.") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationError(f"The query could not be run: {type(exc).__name__}.") from None


@route(
    router,
    "/api/0/query/",
    ["POST"],
    response_model=list[Any],
    responses={400: {"model": Message}},
)
async def query(body: QueryIn, ctx: Ctx, who: ReadAccess) -> JSONBytes:
    """One result per timeperiod, in order; errors are 400 with a message."""
    data = await ctx.read(lambda conn: run(conn, who.user_id, body.query, body.timeperiods))
    return JSONBytes(data)
