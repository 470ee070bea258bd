"""``/api/0/summary``: the analytics of a range as JSON, and daily totals for trend charts.

The summary is the document ``timelygator report --format json`` prints
(``core.analytics.report.report_document``), computed by ``core.analytics.service`` with
the user's stored categories. The analytics read the store and can take a while on long
ranges, so they run on a worker thread, never on the event loop.

Ranges are local days (the app's day start, 04:00 unless ``day_start`` says otherwise): one
``day``, the ``week`` or ``month`` containing a date, or the days covering ``start``..``end``
(ISO 8601 timestamps); today when none is given.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from timelygator.core.analytics.localdays import (
    US_PER_DAY,
    AnalyticsSettings,
    day_number,
    local_today,
    range_of,
)
from timelygator.core.analytics.report import report_document
from timelygator.core.analytics.service import days_of
from timelygator.core.analytics.summary import Summary
from timelygator.core.api.deps import Ctx, ReadAccess
from timelygator.core.api.own_schemas import SummaryOut, TrendOut
from timelygator.core.api.routing import route
from timelygator.core.api.wire import JSONBytes
from timelygator.core.categories.colors import category_color
from timelygator.core.errors import ValidationError
from timelygator.core.preferences import stored_day_and_week_start
from timelygator.core.services import Services
from timelygator.core.timeutil import EARLIEST_US, LATEST_US, from_us, parse_iso

router = APIRouter(tags=["summaries"])

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Local days whose every moment, at any UTC offset, lies in core's time range (timeutil).
FIRST_DATE = from_us(EARLIEST_US).date() + timedelta(days=1)
LAST_DATE = from_us(LATEST_US).date() - timedelta(days=2)
MAX_DAYS = 3660  # ten years per request
TREND_DAYS = 30  # the default trend: the last 30 days

DateText = Annotated[
    str | None, Query(max_length=40, description="YYYY-MM-DD, 'today' or 'yesterday'")
]
Timestamp = Annotated[str | None, Query(max_length=64, description="ISO 8601")]
DayStart = Annotated[
    str | None, Query(max_length=10, description="HH:MM, when local days begin (default: settings)")
]
WeekStart = Annotated[
    str | None, Query(max_length=10, description="mon ... sun or 0-6 (default: settings)")
]


# -- parameters ------------------------------------------------------------------------------
def today(settings: AnalyticsSettings) -> date:
    """The local day it is now, with the user's day start (at 02:00 it may be yesterday)."""
    return local_today(time.time_ns() // 1000, settings.day_start_s)


def parse_date(text: str, what: str, settings: AnalyticsSettings | None = None) -> date:
    """A date parameter (``YYYY-MM-DD``, ``today``, ``yesterday``); 400 otherwise."""
    if text in ("today", "yesterday"):
        now = today(settings or AnalyticsSettings())
        return now if text == "today" else now - timedelta(days=1)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"'{what}' must be a date like 2024-03-04 (or 'today'), not {text[:40]!r}."
        ) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValidationError(f"'{what}' must lie between {FIRST_DATE} and {LAST_DATE}.")
    return day


def parse_settings(
    day_start: str | None, week_start: str | None, stored: tuple[int, int] = (4 * 3600, 0)
) -> AnalyticsSettings:
    """The request's day and week start; what is not given comes from ``stored`` (the
    user's preferences, as the app and ``timelygator report`` use them)."""
    day_start_s, week = stored
    if day_start is not None:
        try:
            moment = datetime.strptime(day_start, "%H:%M")
        except ValueError:
            raise ValidationError(
                f"'day_start' must be a time of day like 04:00, not {day_start[:10]!r}."
            ) from None
        day_start_s = moment.hour * 3600 + moment.minute * 60
    if week_start is not None:
        weekday = week_start.strip().lower()[:3]
        if weekday in WEEKDAYS:
            week = WEEKDAYS.index(weekday)
        elif weekday in tuple("0123456"):
            week = int(weekday)
        else:
            raise ValidationError(f"'week_start' must be one of {', '.join(WEEKDAYS)} (or 0-6).")
    return AnalyticsSettings(day_start_s=day_start_s, week_start=week)


def stored_settings(services: Services, user: int) -> tuple[int, int]:
    """The user's day start (seconds) and week start from their preferences."""
    with services.read() as conn:
        return stored_day_and_week_start(conn, user)


def _timestamp(text: str, what: str) -> int:
    us = parse_iso(text)[0]
    low = day_number(FIRST_DATE) * US_PER_DAY
    high = (day_number(LAST_DATE) + 1) * US_PER_DAY
    if not low <= us < high:
        raise ValidationError(f"'{what}' must lie between {FIRST_DATE} and {LAST_DATE}.")
    return us


def _check_span(first: date, last: date) -> tuple[date, date]:
    if last < first:
        raise ValidationError("The range ends before it starts.")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError(f"A range covers at most {MAX_DAYS} days.")
    return first, last


def summary_days(
    settings: AnalyticsSettings,
    *,
    start: str | None = None,
    end: str | None = None,
    day: str | None = None,
    week: str | None = None,
    month: str | None = None,
) -> tuple[date, date]:
    """The first and last local day a summary request asks for (400 when it is unclear)."""
    given = [v is not None for v in (start or end, day, week, month)]
    if sum(given) > 1:
        raise ValidationError("Give only one of 'start'/'end', 'day', 'week' or 'month'.")
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValidationError("'start' and 'end' go together.")
        start_us, end_us = _timestamp(start, "start"), _timestamp(end, "end")
        if end_us <= start_us:
            raise ValidationError("'end' must be after 'start'.")
        return _check_span(*days_of(start_us, end_us, settings))
    if week is not None:
        return range_of("week", parse_date(week, "week", settings), settings.week_start)
    if month is not None:
        return range_of("month", parse_date(month, "month", settings))
    return range_of("day", today(settings) if day is None else parse_date(day, "day", settings))


# -- the documents (worker threads) ---------------------------------------------------------
def summary_document(
    services: Services, user: int, first: date, last: date, settings: AnalyticsSettings, top: int
) -> dict[str, Any]:
    """Worker thread: ``user``'s report document of local days ``first..last``."""
    analytics = services.analytics
    cats = analytics.category_set(user)
    summary = analytics.summary_for_days(user, first, last, settings, categories=cats.categories)
    return report_document(
        summary,
        first,
        last,
        settings,
        color_of=cats.classifier.color,
        limit=top,
        offset_s=time.localtime().tm_gmtoff,
    )


def trend_document(
    services: Services, user: int, first: date, last: date, settings: AnalyticsSettings
) -> dict[str, Any]:
    """Worker thread: ``user``'s active time per local day by top-level category."""
    analytics = services.analytics
    cats = analytics.category_set(user)
    trend = analytics.daily_trend(user, first, last, settings, categories=cats.categories)
    doc = report_document(Summary(daily=trend), first, last, settings)
    return {
        "range": doc["range"],
        "categories": [
            {
                "name": name,
                "seconds": round(sum(trend.totals[name]) / 1_000_000, 3),
                "color": category_color((name,), cats.classifier),
            }
            for name in trend.categories
        ],
        "daily": doc["daily"],
    }


# -- routes ----------------------------------------------------------------------------------
@route(router, "/api/0/summary", ["GET"], response_model=SummaryOut)
async def get_summary(
    ctx: Ctx,
    who: ReadAccess,
    start: Timestamp = None,
    end: Timestamp = None,
    day: DateText = None,
    week: DateText = None,
    month: DateText = None,
    day_start: DayStart = None,
    week_start: WeekStart = None,
    top: Annotated[int, Query(ge=1, le=1000, description="rows per list")] = 25,
) -> JSONBytes:
    """Where the time went (``timelygator report --format json``) for a day, week, month or
    the local days covering ``start``..``end``; today by default. Days and weeks start as
    the user's preferences say unless ``day_start``/``week_start`` are given."""
    services, user = ctx.services, who.user_id
    stored = await run_in_threadpool(stored_settings, services, user)
    settings = parse_settings(day_start, week_start, stored)
    first, last = summary_days(settings, start=start, end=end, day=day, week=week, month=month)
    async with ctx.query_slots:
        doc = await run_in_threadpool(summary_document, services, user, first, last, settings, top)
    return JSONBytes(doc)


@route(router, "/api/0/summary/trend", ["GET"], response_model=TrendOut)
async def get_trend(
    ctx: Ctx,
    who: ReadAccess,
    first: DateText = None,
    last: DateText = None,
    day_start: DayStart = None,
    week_start: WeekStart = None,
) -> JSONBytes:
    """Daily active time by top-level category for local days ``first..last`` (default: the
    last 30 days up to today)."""
    services, user = ctx.services, who.user_id
    settings = parse_settings(
        day_start, week_start, await run_in_threadpool(stored_settings, services, user)
    )
    last_day = today(settings) if last is None else parse_date(last, "last", settings)
    first_day = (
        last_day - timedelta(days=TREND_DAYS - 1)
        if first is None
        else parse_date(first, "first", settings)
    )
    _check_span(first_day, last_day)
    async with ctx.query_slots:
        doc = await run_in_threadpool(trend_document, services, user, first_day, last_day, settings)
    return JSONBytes(doc)
