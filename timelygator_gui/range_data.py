"""Everything the views show for one date range, loaded and computed on a worker thread.

Totals come from the analytics engine (``core.analytics.service``): per-day statistics,
cached in memory and stored for past days, so a month or a year shows at once
(``load_summary``: what the Activity view needs, about 0.2 s for a month). A day's timeline
reads the day's events to draw one lane per watcher and host; a week's or month's timeline
draws one row per day from the active pieces the totals are computed from (``load_range``),
so it reads no events at all. The category lane and the day rows add up to the totals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection

from core import reader
from core.analytics.classifier import CategoryClassifier
from core.analytics.localdays import AnalyticsSettings
from core.analytics.service import categorized_pieces, summary_for_days
from core.analytics.summary import Summary
from core.categories.model import Category
from core.event import BucketInfo, Event
from core.services import Services
from timelygator_gui.category_classifier import classifier_for
from timelygator_gui.date_range import DateRange, RangeMode
from timelygator_gui.timeline_model import MANUAL_PREFIX, Lane, build_day_rows, build_lanes

KIND_BY_TYPE = {
    "currentwindow": "window",
    "afkstatus": "afk",
    "web.tab.current": "web",
    "app.editor.activity": "editor",
}


def bucket_kind(bucket: BucketInfo) -> str:
    if bucket.name.startswith(MANUAL_PREFIX):
        return "manual"
    if bucket.type in KIND_BY_TYPE:
        return KIND_BY_TYPE[bucket.type]
    if bucket.type.startswith("web."):
        return "web"
    if "editor" in bucket.type or "editor" in bucket.client:
        return "editor"
    return "other"


@dataclass(slots=True)
class RangeData:
    """Buckets, events (oldest first, clipped to the range), the summary and timeline lanes."""

    range: DateRange
    start_us: int
    end_us: int
    buckets: list[BucketInfo] = field(default_factory=list)
    by_bucket: dict[str, list[Event]] = field(default_factory=dict)
    summary: Summary = field(default_factory=Summary)
    lanes: list[Lane] = field(default_factory=list)
    classifier: CategoryClassifier | None = None
    read_ms: float = 0.0
    compute_ms: float = 0.0
    total_events: int | None = None  # counted without reading them (``load_summary``)
    # A week or month: ``lanes`` are day rows (one per day of ``days``, start and end in UTC
    # microseconds) and ``by_bucket`` is not read.
    day_rows: bool = False
    days: list[tuple[date, int, int]] = field(default_factory=list)
    hosts: tuple[str, ...] = ()  # shown hosts (empty: all, merged); ``buckets`` are theirs
    all_hosts: list[str] = field(default_factory=list)  # every host with a bucket

    @property
    def event_count(self) -> int:
        if self.total_events is not None:
            return self.total_events
        return sum(len(v) for v in self.by_bucket.values())

    def bucket(self, name: str) -> BucketInfo | None:
        return next((b for b in self.buckets if b.name == name), None)


class Superseded(Exception):
    """A newer load replaced this one; it stopped early (its result would be dropped)."""


def _check(still_wanted: Callable[[], bool] | None) -> None:
    if still_wanted is not None and not still_wanted():
        raise Superseded


def read_range(
    services: Services,
    start_us: int,
    end_us: int,
    still_wanted: Callable[[], bool] | None = None,
) -> tuple[list[BucketInfo], dict[str, list[Event]]]:
    """Every bucket and its events overlapping the range (one read connection)."""
    with services.read() as conn:
        buckets = reader.list_buckets(conn, services.user_id)
    return buckets, read_events(services, buckets, start_us, end_us, still_wanted)


def read_events(
    services: Services,
    buckets: list[BucketInfo],
    start_us: int,
    end_us: int,
    still_wanted: Callable[[], bool] | None = None,
) -> dict[str, list[Event]]:
    """The events of ``buckets`` overlapping the range, oldest first (one connection)."""
    by_bucket = {}
    with services.read() as conn:
        for bucket in buckets:
            _check(still_wanted)
            events = reader.get_events(conn, bucket.key, start_us, end_us, None)
            events.reverse()
            by_bucket[bucket.name] = events
    return by_bucket


def analytics_settings(date_range: DateRange, hosts: tuple[str, ...] = ()) -> AnalyticsSettings:
    """The engine's settings for a range shown in the GUI (its day start, its hosts)."""
    return AnalyticsSettings(day_start_s=date_range.day_start_hour * 3600, hosts=hosts)


def _buckets(data: RangeData, conn: Connection, services: Services, count: bool) -> None:
    """The range's buckets (of its hosts) and, with ``count``, how many events they hold."""
    every = reader.list_buckets(conn, services.user_id)
    data.all_hosts = sorted({b.host for b in every})
    data.buckets = [b for b in every if not data.hosts or b.host in data.hosts]
    if count:
        data.total_events = sum(
            reader.count_events(conn, b.key, data.start_us, data.end_us) for b in data.buckets
        )


def load_summary(
    services: Services,
    date_range: DateRange,
    categories: list[Category],
    hosts: tuple[str, ...] = (),
) -> RangeData:
    """The range's summary and event count, without its events (runs on a worker)."""
    started = time.perf_counter()
    start_us, end_us = date_range.bounds_us()
    data = RangeData(date_range, start_us, end_us, hosts=hosts)
    with services.read() as conn:
        _buckets(data, conn, services, count=True)
    data.classifier = classifier_for(categories)
    data.summary = summary_for_days(
        services,
        date_range.first,
        date_range.last,
        analytics_settings(date_range, hosts),
        categories=categories,
    )
    data.compute_ms = (time.perf_counter() - started) * 1000
    return data


def range_days(date_range: DateRange) -> list[tuple[date, int, int]]:
    """Each local day of the range with its bounds (UTC microseconds, the day start honoured)."""
    out = []
    for offset in range(date_range.days):
        day = date_range.first + timedelta(days=offset)
        start, end = DateRange(RangeMode.DAY, day, day, date_range.day_start_hour).bounds_us()
        out.append((day, start, end))
    return out


def load_range(
    services: Services,
    date_range: DateRange,
    categories: list[Category],
    still_wanted: Callable[[], bool] | None = None,
    hosts: tuple[str, ...] = (),
) -> RangeData:
    """Read the range and compute what every view needs (runs on a worker); of ``hosts``
    only when given.

    ``still_wanted`` is asked between the steps (a busy month takes seconds): when it says
    no, the load stops with ``Superseded`` instead of keeping a CPU busy for nothing.
    """
    started = time.perf_counter()
    start_us, end_us = date_range.bounds_us()
    data = RangeData(date_range, start_us, end_us, hosts=hosts)
    data.day_rows = date_range.days > 1
    data.days = range_days(date_range)
    with services.read() as conn:
        _buckets(data, conn, services, count=data.day_rows)
    if not data.day_rows:
        data.by_bucket = read_events(services, data.buckets, start_us, end_us, still_wanted)
    read_done = time.perf_counter()
    data.classifier = classifier_for(categories)
    settings = analytics_settings(date_range, hosts)
    first, last = date_range.first, date_range.last
    data.summary = summary_for_days(services, first, last, settings, categories=categories)
    _check(still_wanted)
    data.summary.active_events = categorized_pieces(
        services, first, last, settings, categories=categories
    )
    _check(still_wanted)
    if data.day_rows:
        data.lanes = build_day_rows(data.summary.active_events, data.days, data.classifier)
    else:
        data.lanes = build_lanes(
            data.buckets, data.by_bucket, data.summary, data.classifier, bucket_kind
        )
    data.read_ms = (read_done - started) * 1000
    data.compute_ms = (time.perf_counter() - read_done) * 1000
    return data
