"""One summary of a time range: where did the time go?"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from timelygator.core.analytics.daystats import FocusSession
from timelygator.core.analytics.intervals import (
    afk_spans,
    clip_events,
    merge_spans,
    not_afk_spans,
    total_us,
)
from timelygator.core.categories.categorizer import domain_of
from timelygator.core.categories.model import UNCATEGORIZED, productivity_percent
from timelygator.core.event import Event

if TYPE_CHECKING:
    from timelygator.core.analytics.tree import CategoryNode
    from timelygator.core.analytics.trends import DailyTotals

US_PER_HOUR = 3_600_000_000
BROWSER_APPS = re.compile(
    r"chrom|firefox|brave|edge|opera|vivaldi|safari|librewolf|waterfox|zen", re.IGNORECASE
)

MANUAL_KEY = "$manual"

Path = tuple[str, ...]
LocalOffset = Callable[[int], int]


class Classifier(Protocol):
    """What analytics needs from the category system."""

    def categorize(self, data: Mapping[str, Any]) -> Path:
        """The category path of an event's data (``("Uncategorized",)`` when none)."""
        ...

    def score(self, path: Path) -> float | None:
        """The productivity score (-2..+2) of a category path, None when unset."""
        ...


class NullClassifier:
    """Everything uncategorized and neutral (used before categories are loaded)."""

    def categorize(self, data: Mapping[str, Any]) -> Path:
        return UNCATEGORIZED

    def score(self, path: Path) -> float | None:
        return None


def system_offset_s(us: int) -> int:
    """The machine's local UTC offset at ``us`` (seconds)."""
    return time.localtime(us / 1_000_000).tm_gmtoff


@dataclass(slots=True)
class RangeEvents:
    """The events of one range, grouped by the kind of watcher that recorded them."""

    start_us: int
    end_us: int
    window: list[Event] = field(default_factory=list)
    afk: list[Event] = field(default_factory=list)
    web: list[Event] = field(default_factory=list)
    editor: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class Summary:
    """Totals of a range; lists are sorted by time, largest first."""

    active_us: int = 0
    afk_us: int = 0
    productivity: float | None = None  # 0-100, time-weighted over categorized active time
    apps: list[tuple[str, int]] = field(default_factory=list)
    titles: list[tuple[str, int]] = field(default_factory=list)
    domains: list[tuple[str, int]] = field(default_factory=list)
    categories: list[tuple[Path, int]] = field(default_factory=list)  # every level, summed
    top_categories: list[tuple[str, int]] = field(default_factory=list)
    hourly: dict[str, list[int]] = field(default_factory=dict)  # top category -> 24 hours (us)
    active_events: list[tuple[Event, Path]] = field(default_factory=list)  # categorized
    # Filled by core.analytics.service.summary (the store-backed, cached path):
    start_us: int = 0
    end_us: int = 0
    urls: list[tuple[str, int]] = field(default_factory=list)
    category_tree: list[CategoryNode] = field(default_factory=list)  # rolled-up totals
    daily: DailyTotals | None = None  # per local day, stacked by top-level category
    focus_sessions: list[FocusSession] = field(default_factory=list)
    focus_us: int = 0
    context_switches: int = 0
    switches_per_hour: float | None = None  # app changes per active hour
    gaps: list[tuple[int, int]] = field(default_factory=list)  # untracked stretches
    untracked_us: int = 0


def is_browser(app: object) -> bool:
    return isinstance(app, str) and BROWSER_APPS.search(app) is not None


def _ranked(totals: Mapping[Any, int]) -> list[tuple[Any, int]]:
    return sorted(((k, v) for k, v in totals.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))


def split_by_hour(event: Event, offset_s: int) -> Iterable[tuple[int, int]]:
    """``(local hour 0-23, microseconds)`` pieces of an event."""
    shift = offset_s * 1_000_000
    start, end = event.start_us + shift, event.end_us + shift
    while start < end:
        boundary = (start // US_PER_HOUR + 1) * US_PER_HOUR
        piece_end = min(boundary, end)
        yield (start // US_PER_HOUR) % 24, piece_end - start
        start = piece_end


def summarize(
    events: RangeEvents,
    classifier: Classifier,
    *,
    local_offset: LocalOffset = system_offset_s,
) -> Summary:
    """Active/AFK time, productivity and the breakdowns of one range.

    Window time counts as active where the AFK watcher says the user was present (all of it
    when there is no AFK data); manual entries (``$manual`` in data) always count. Domains
    come from browser events during browser windows.
    """
    window = sorted(events.window, key=lambda e: e.start_us)
    if events.afk:
        present = not_afk_spans(events.afk)
        # Manual entries (meetings, calls) count even when the computer was idle.
        manual = [e for e in window if e.data.get(MANUAL_KEY)]
        active = clip_events([e for e in window if not e.data.get(MANUAL_KEY)], present)
        active = sorted(active + manual, key=lambda e: e.start_us)
        afk_us = total_us(afk_spans(events.afk))
    else:
        active = window
        afk_us = 0
    summary = Summary(afk_us=afk_us)
    summary.active_us = total_us((e.start_us, e.end_us) for e in active)

    apps: dict[str, int] = defaultdict(int)
    titles: dict[str, int] = defaultdict(int)
    cats: dict[Path, int] = defaultdict(int)
    tops: dict[str, int] = defaultdict(int)
    hourly: dict[str, list[int]] = {}
    weighted = 0.0
    scored_us = 0
    browser_spans = []
    for event in active:
        dur = event.end_us - event.start_us
        app = str(event.data.get("app", "") or "unknown")
        apps[app] += dur
        title = str(event.data.get("title", "") or "")
        if title:
            titles[title] += dur
        if is_browser(app):
            browser_spans.append((event.start_us, event.end_us))
        path = classifier.categorize(event.data)
        summary.active_events.append((event, path))
        for depth in range(1, len(path) + 1):
            cats[path[:depth]] += dur
        tops[path[0]] += dur
        weighted += productivity_percent(classifier.score(path)) * dur
        scored_us += dur
        offset = event.tz_offset_s
        if offset is None:
            offset = local_offset(event.start_us)
        row = hourly.setdefault(path[0], [0] * 24)
        for hour, piece in split_by_hour(event, offset):
            row[hour] += piece

    domains: dict[str, int] = defaultdict(int)
    if events.web:
        spans = merge_spans(browser_spans) if browser_spans else None
        web = clip_events(events.web, spans) if spans is not None else events.web
        if events.afk and spans is None:
            web = clip_events(web, not_afk_spans(events.afk))
        for event in web:
            url = event.data.get("url")
            if isinstance(url, str):
                host = domain_of(url)
                if host:
                    domains[host] += event.end_us - event.start_us

    summary.apps = _ranked(apps)
    summary.titles = _ranked(titles)
    summary.domains = _ranked(domains)
    summary.categories = _ranked(cats)
    summary.top_categories = _ranked(tops)
    summary.hourly = hourly
    summary.productivity = weighted / scored_us if scored_us else None
    return summary


def category_events(summary: Summary, path: Sequence[str]) -> list[Event]:
    """The active events filed under ``path`` or one of its subcategories."""
    prefix = tuple(path)
    return [e for e, p in summary.active_events if p[: len(prefix)] == prefix]
