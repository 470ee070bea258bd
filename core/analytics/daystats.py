"""Per-day statistics from a digest and a classifier: what the Activity view shows of a day.

Each distinct data value is looked up once (``ValueTable``, memoized per classifier); the day's
pieces are then walked once for the hourly distribution, focus sessions and context switches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from core.analytics.digest import DayDigest, Span
from core.analytics.localdays import US_PER_HOUR, US_PER_S, AnalyticsSettings
from core.categories.categorizer import domain_of
from core.categories.model import productivity_percent

Path = tuple[str, ...]


class Classifier(Protocol):
    def categorize(self, data: Mapping[str, Any]) -> Path: ...

    def score(self, path: Path) -> float | None: ...


@dataclass(frozen=True, slots=True)
class ValueInfo:
    """What a distinct data value contributes to: app, title, domain, URL, category."""

    app: str
    title: str
    domain: str
    url: str
    path: Path
    percent: float  # productivity 0-100 of the category
    productive: bool


class ValueTable:
    """Memo of ``ValueInfo`` per data JSON text for one classifier (one categories version)."""

    def __init__(self, classifier: Classifier, settings: AnalyticsSettings) -> None:
        self.classifier = classifier
        self.productive_score = settings.productive_score
        self._memo: dict[str, ValueInfo] = {}

    def __len__(self) -> int:
        return len(self._memo)

    def info(self, text: str) -> ValueInfo:
        found = self._memo.get(text)
        if found is None:
            found = self._memo[text] = self._compute(text)
        return found

    def _compute(self, text: str) -> ValueInfo:
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        app = data.get("app")
        title = data.get("title")
        url = data.get("url")
        url_s = url if isinstance(url, str) else ""
        path = self.classifier.categorize(data)
        score = self.classifier.score(path)
        return ValueInfo(
            app if isinstance(app, str) and app else "unknown",
            title if isinstance(title, str) else "",
            domain_of(url_s) if url_s else "",
            url_s,
            path,
            productivity_percent(score),
            score is not None and score >= self.productive_score,
        )


@dataclass(slots=True)
class FocusSession:
    """A stretch of productive work; ``focus_us`` excludes the short interruptions in it."""

    start_us: int
    end_us: int
    focus_us: int
    top_category: str

    @property
    def minutes(self) -> float:
        return self.focus_us / 60_000_000


@dataclass(slots=True)
class DayTotals:
    """Category totals of one day (all a trend chart needs)."""

    day: int
    active_us: int = 0
    afk_us: int = 0
    categories: dict[Path, int] = field(default_factory=dict)  # leaf path -> us
    weighted: float = 0.0  # sum of percent * us


@dataclass(slots=True)
class DayStats(DayTotals):
    """Everything one day contributes to a summary."""

    apps: dict[str, int] = field(default_factory=dict)
    titles: dict[str, int] = field(default_factory=dict)
    domains: dict[str, int] = field(default_factory=dict)
    urls: dict[str, int] = field(default_factory=dict)
    hourly: dict[str, list[int]] = field(default_factory=dict)  # top category -> 24 hours
    focus: list[FocusSession] = field(default_factory=list)
    switches: int = 0
    gaps: list[Span] = field(default_factory=list)
    first_us: int | None = None
    last_us: int | None = None


def day_totals(digest: DayDigest, table: ValueTable) -> DayTotals:
    out = DayTotals(digest.day, afk_us=digest.afk_us)
    cats: dict[Path, int] = {}
    weighted = 0.0
    info = table.info
    for text, us in zip(digest.values, digest.value_us, strict=True):
        v = info(text)
        cats[v.path] = cats.get(v.path, 0) + us
        weighted += v.percent * us
        out.active_us += us
    out.categories = cats
    out.weighted = weighted
    return out


def day_stats(
    digest: DayDigest, table: ValueTable, settings: AnalyticsSettings, now_us: int | None = None
) -> DayStats:
    """Breakdowns, hourly, focus sessions, switches and gaps of one day."""
    totals = day_totals(digest, table)
    out = DayStats(digest.day, totals.active_us, totals.afk_us, totals.categories, totals.weighted)
    infos = [table.info(text) for text in digest.values]
    apps: dict[str, int] = {}
    titles: dict[str, int] = {}
    domains: dict[str, int] = {}
    urls: dict[str, int] = {}
    for v, us in zip(infos, digest.value_us, strict=True):
        apps[v.app] = apps.get(v.app, 0) + us
        if v.title:
            titles[v.title] = titles.get(v.title, 0) + us
        if v.domain:
            domains[v.domain] = domains.get(v.domain, 0) + us
        if v.url:
            urls[v.url] = urls.get(v.url, 0) + us
    out.apps, out.titles, out.domains, out.urls = apps, titles, domains, urls
    _walk_pieces(digest, infos, settings, out)
    out.gaps = untracked_gaps(digest, settings.gap_min_s, now_us)
    return out


def _walk_pieces(
    digest: DayDigest, infos: list[ValueInfo], settings: AnalyticsSettings, out: DayStats
) -> None:
    hourly = out.hourly
    grace = settings.focus_grace_s * US_PER_S
    minimum = settings.focus_min_s * US_PER_S
    focus: list[FocusSession] = []
    session: list[Any] | None = None  # [start, end, focus_us, {top: us}]
    last_app: str | None = None
    switches = 0
    n = len(digest.starts)
    if n:
        out.first_us = digest.starts[0]
        out.last_us = digest.ends[n - 1]
    for s, e, index, off in zip(
        digest.starts, digest.ends, digest.vidx, digest.offsets, strict=True
    ):
        v = infos[index]
        top = v.path[0]
        row = hourly.get(top)
        if row is None:
            row = hourly[top] = [0] * 24
        local = s + off * US_PER_S
        hour_end = (local // US_PER_HOUR + 1) * US_PER_HOUR - off * US_PER_S
        if e <= hour_end:
            row[(local // US_PER_HOUR) % 24] += e - s
        else:
            cursor = s
            while cursor < e:
                local = cursor + off * US_PER_S
                piece_end = min(e, (local // US_PER_HOUR + 1) * US_PER_HOUR - off * US_PER_S)
                row[(local // US_PER_HOUR) % 24] += piece_end - cursor
                cursor = piece_end
        if v.app != last_app:
            if last_app is not None:
                switches += 1
            last_app = v.app
        if v.productive:
            if session is not None and s - session[1] <= grace:
                session[1] = e
                session[2] += e - s
                session[3][top] = session[3].get(top, 0) + e - s
            else:
                if session is not None and session[2] >= minimum:
                    focus.append(_session(session))
                session = [s, e, e - s, {top: e - s}]
    if session is not None and session[2] >= minimum:
        focus.append(_session(session))
    out.focus = focus
    out.switches = switches


def _session(raw: list[Any]) -> FocusSession:
    tops: dict[str, int] = raw[3]
    return FocusSession(raw[0], raw[1], raw[2], max(tops, key=lambda k: tops[k]))


def untracked_gaps(digest: DayDigest, min_s: int, now_us: int | None = None) -> list[Span]:
    """Stretches of the day (up to now) where no watcher recorded anything."""
    end = digest.end_us if now_us is None else min(digest.end_us, now_us)
    cursor = digest.start_us
    out: list[Span] = []
    minimum = min_s * US_PER_S
    for s, e in digest.tracked_spans():
        if s - cursor >= minimum and s <= end:
            out.append((cursor, min(s, end)))
        cursor = max(cursor, e)
    if end - cursor >= minimum:
        out.append((cursor, end))
    return out
