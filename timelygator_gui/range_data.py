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
from timelygator.core import reader
from timelygator.core.analytics.classifier import CategoryClassifier
from timelygator.core.analytics.localdays import AnalyticsSettings, local_today
from timelygator.core.analytics.pieces import DayPieces
from timelygator.core.analytics.summary import Summary
from timelygator.core.categories.model import Category
from timelygator.core.event import BucketInfo, Event
from timelygator.core.services import Services
from timelygator.gui.category_classifier import classifier_for
from timelygator.gui.date_range import DateRange, RangeMode
from timelygator.gui.timeline_model import (
    MANUAL_PREFIX,
    Lane,
    build_day_rows,
    build_hour_rows,
    build_lanes,
)

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
    # A week or month: ``lanes`` are day rows (one per day of ``days``, start and end in UTC
    # microseconds) and ``by_bucket`` is not read.
    day_rows: bool = False
    days: list[tuple[date, int, int]] = field(default_factory=list)
    hosts: tuple[str, ...] = ()  # shown hosts (empty: all, merged); ``buckets`` are theirs
    pieces: list[DayPieces] = field(default_factory=list)  # day rows: each day's pieces
    summary_loaded: bool = True  # False: ``summary`` comes from ``load_summary`` (day rows)
    all_hosts: list[str] = field(default_factory=list)  # every host with a bucket

    @property
    def event_count(self) -> int:
        """Events read (a day's timeline reads them; other loads read none)."""
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


def _buckets(data: RangeData, conn: Connection, services: Services) -> None:
    """The range's buckets (of its hosts), and every host with a bucket."""
    every = reader.list_buckets(conn, services.user_id)
    data.all_hosts = sorted({b.host for b in every})
    data.buckets = [b for b in every if not data.hosts or b.host in data.hosts]


def load_summary(
    services: Services,
    date_range: DateRange,
    categories: list[Category],
    hosts: tuple[str, ...] = (),
    since: date | None = None,
) -> RangeData:
    """The range's summary and event count, without its events (runs on a worker); the
    summary of the days from ``since`` only when given (the part worked out so far)."""
    started = time.perf_counter()
    start_us, end_us = date_range.bounds_us()
    data = RangeData(date_range, start_us, end_us, hosts=hosts)
    with services.read() as conn:
        _buckets(data, conn, services)
    data.classifier = classifier_for(categories)
    data.summary = services.analytics.summary_for_days(
        services.user_id,
        since or date_range.first,
        date_range.last,
        analytics_settings(date_range, hosts),
        categories=categories,
    )
    data.compute_ms = (time.perf_counter() - started) * 1000
    return data


# When this many days of a range have never been worked out (just imported, say), they are
# worked out in parts, newest first, each shown as it comes (about 0.1 s a day on a busy
# year, read from the events) instead of behind one long "Loading…". Days whose statistics
# are stored under other category rules only (after a rule change) are re-categorized from
# what is stored, ~20 ms a day: a month of them is done at once, in parts only from this many.
PROGRESSIVE_DAYS = 10
PROGRESSIVE_RECATEGORIZED_DAYS = 62
PART_DAYS = (2, 7, 31)  # the first part, the second, then every other


def parts_to_work_out(
    services: Services,
    first: date,
    last: date,
    settings: AnalyticsSettings,
    categories: list[Category] | None = None,
) -> list[tuple[date, date]]:
    """``first..last`` in parts, newest first (two days, a week, then months), when enough
    of its days have no statistics yet, or (with ``categories``) when very many have none
    under these categories (as after a rule change over a year); [] when the range is
    quick to show at once (worker thread). Days after today hold nothing to work out."""
    last = min(last, local_today(services.clock.now_us(), settings.day_start_s))
    if last < first:
        return []
    uncomputed = services.analytics.uncomputed_days
    unseen = uncomputed(services.user_id, first, last, settings)
    recategorized = 0
    if unseen < PROGRESSIVE_DAYS and categories is not None:
        recategorized = uncomputed(services.user_id, first, last, settings, categories=categories)
    if unseen < PROGRESSIVE_DAYS and recategorized < PROGRESSIVE_RECATEGORIZED_DAYS:
        return []
    parts: list[tuple[date, date]] = []
    end = last
    while end >= first:
        size = PART_DAYS[min(len(parts), len(PART_DAYS) - 1)]
        start = max(first, end - timedelta(days=size - 1))
        parts.append((start, end))
        end = start - timedelta(days=1)
    return parts


def work_out(
    services: Services,
    date_range: DateRange,
    categories: list[Category],
    part: tuple[date, date],
    hosts: tuple[str, ...] = (),
) -> RangeData:
    """Work out the statistics of ``part`` of a range (parts come newest first), then the
    range's totals so far: from the part's first day to the range's last (worker thread)."""
    settings = analytics_settings(date_range, hosts)
    services.analytics.stats_for_days(
        services.user_id, part[0], part[1], settings, categories=categories
    )
    return load_summary(services, date_range, categories, hosts, since=part[0])


PIECE_ROWS_DAYS = 62  # longer ranges draw each day hour by hour instead of span by span


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
    *,
    with_summary: bool = True,
) -> RangeData:
    """Read the range and compute what every view needs (runs on a worker); of ``hosts``
    only when given.

    ``still_wanted`` is asked between the steps (a busy month takes seconds): when it says
    no, the load stops with ``Superseded`` instead of keeping a CPU busy for nothing.
    ``with_summary=False``: a week or month leaves its totals to ``load_summary`` (run
    beside it) instead of working them out twice (``summary_loaded`` says so).
    """
    started = time.perf_counter()
    start_us, end_us = date_range.bounds_us()
    data = RangeData(date_range, start_us, end_us, hosts=hosts)
    data.day_rows = date_range.days > 1
    data.days = range_days(date_range)
    skip_summary = data.day_rows and not with_summary
    with services.read() as conn:
        _buckets(data, conn, services)
    if not data.day_rows:
        data.by_bucket = read_events(services, data.buckets, start_us, end_us, still_wanted)
    read_done = time.perf_counter()
    data.classifier = classifier_for(categories)
    settings = analytics_settings(date_range, hosts)
    first, last = date_range.first, date_range.last
    if skip_summary:
        data.summary_loaded = False
    else:
        data.summary = services.analytics.summary_for_days(
            services.user_id, first, last, settings, categories=categories
        )
    _check(still_wanted)
    if data.day_rows and date_range.days > PIECE_ROWS_DAYS:
        # Months on end: each day's row hour by hour, from its statistics.
        stats = services.analytics.stats_for_days(
            services.user_id, first, last, settings, categories=categories
        )
        data.lanes = build_hour_rows(stats, data.days, data.classifier, date_range.day_start_hour)
    elif data.day_rows:
        data.pieces = services.analytics.day_pieces(
            services.user_id, first, last, settings, categories=categories
        )
        _check(still_wanted)
        data.lanes = build_day_rows(data.pieces, data.days, data.classifier)
    else:
        data.summary.active_events = services.analytics.categorized_pieces(
            services.user_id, first, last, settings, categories=categories
        )
        _check(still_wanted)
        data.lanes = build_lanes(
            data.buckets, data.by_bucket, data.summary, data.classifier, bucket_kind
        )
    data.read_ms = (read_done - started) * 1000
    data.compute_ms = (time.perf_counter() - read_done) * 1000
    return data
