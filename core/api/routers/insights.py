"""``/api/0/insights``: suggestions for uncategorized time, the range in words, unusual days.

The same document as ``timelygator insights --format json`` (``core.insights``),
for one ``day`` or the ``week`` containing a date (today by default). Read scope. The model is
trained on the first request of a day (seconds, on a worker thread, never on the event loop)
and kept in memory. When the user turned Insights off (Settings → General) every route
answers 409 saying so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.api.deps import Ctx, ReadAccess
from timelygator.core.api.routers.summaries import (
    DateText,
    DayStart,
    WeekStart,
    parse_settings,
    stored_settings,
    summary_days,
)
from timelygator.core.api.routing import route
from timelygator.core.api.wire import JSONBytes
from timelygator.core.errors import ConflictError
from timelygator.core.insights.engine import OFF_MESSAGE, insights
from timelygator.core.preferences import insights_enabled
from timelygator.core.services import Services

router = APIRouter(tags=["insights"])


def _document(
    services: Services,
    user: int,
    first: date,
    last: date,
    settings: AnalyticsSettings,
    part: str,
) -> dict[str, Any]:
    """Worker thread: ``user``'s insights document, or one part of it."""
    with services.read() as conn:
        if not insights_enabled(conn, user):
            raise ConflictError(OFF_MESSAGE)
    doc = insights(services, first, last, settings, words=part != "suggestions", user=user)
    doc_json = doc.as_json()
    if part == "suggestions":
        return {
            k: doc_json[k] for k in ("first", "last", "uncategorized_s", "suggestions", "model")
        }
    if part == "digest":
        return {"first": doc_json["first"], "last": doc_json["last"], **doc_json["digest"]}
    return doc_json


async def _answer(
    ctx: Ctx,
    user_id: int,
    part: str,
    day: str | None,
    week: str | None,
    day_start: str | None,
    week_start: str | None,
) -> JSONBytes:
    services = ctx.services
    settings = parse_settings(
        day_start, week_start, await run_in_threadpool(stored_settings, services, user_id)
    )
    first, last = summary_days(settings, day=day, week=week)
    async with ctx.query_slots:
        doc = await run_in_threadpool(_document, services, user_id, first, last, settings, part)
    return JSONBytes(doc)


@route(router, "/api/0/insights", ["GET"])
async def get_insights(
    ctx: Ctx,
    who: ReadAccess,
    day: DateText = None,
    week: DateText = None,
    day_start: DayStart = None,
    week_start: WeekStart = None,
) -> JSONBytes:
    """Suggestions for the uncategorized time of a ``day`` or ``week`` (today by default),
    with confidence, time and evidence; the range in words; its unusual days."""
    return await _answer(ctx, who.user_id, "all", day, week, day_start, week_start)


@route(router, "/api/0/insights/suggestions", ["GET"])
async def get_suggestions(
    ctx: Ctx,
    who: ReadAccess,
    day: DateText = None,
    week: DateText = None,
    day_start: DayStart = None,
    week_start: WeekStart = None,
) -> JSONBytes:
    """Only the suggestions (and the model's held-out figures)."""
    return await _answer(ctx, who.user_id, "suggestions", day, week, day_start, week_start)


@route(router, "/api/0/insights/digest", ["GET"])
async def get_digest(
    ctx: Ctx,
    who: ReadAccess,
    day: DateText = None,
    week: DateText = None,
    day_start: DayStart = None,
    week_start: WeekStart = None,
) -> JSONBytes:
    """Only the range in words, with the figures every number in it comes from."""
    return await _answer(ctx, who.user_id, "digest", day, week, day_start, week_start)
