"""Per-day statistics from a digest and a classifier: what the Activity view shows of a day.

Each distinct data value is looked up once (``ValueTable``, memoized per classifier); the day's
pieces are then walked once for the hourly distribution, focus sessions and context switches.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
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
    """Hourly distribution, context switches and focus sessions, vectorized over pieces."""
    n = len(digest.starts)
    if not n:
        return
    starts = np.frombuffer(digest.starts, dtype=np.int64)
    ends = np.frombuffer(digest.ends, dtype=np.int64)
    vidx = np.frombuffer(digest.vidx, dtype=np.int32)
    offsets = np.frombuffer(digest.offsets, dtype=np.int32).astype(np.int64) * US_PER_S
    out.first_us = int(starts[0])
    out.last_us = int(ends.max())
    tops: dict[str, int] = {}
    apps: dict[str, int] = {}
    top_of = np.fromiter(
        (tops.setdefault(v.path[0], len(tops)) for v in infos), np.int64, len(infos)
    )
    app_of = np.fromiter((apps.setdefault(v.app, len(apps)) for v in infos), np.int64, len(infos))
    productive_of = np.fromiter((v.productive for v in infos), np.bool_, len(infos))
    top = top_of[vidx]
    names = list(tops)

    # Hourly: pieces inside one local hour in one go, the few crossing an hour in a loop.
    local = starts + offsets
    hour_index = local // US_PER_HOUR
    crossing = (ends + offsets) > (hour_index + 1) * US_PER_HOUR
    inside = ~crossing
    bins = np.bincount(
        top[inside] * 24 + hour_index[inside] % 24,
        weights=(ends[inside] - starts[inside]).astype(np.float64),
        minlength=len(tops) * 24,
    )
    grid = np.rint(bins).astype(np.int64).reshape(len(tops), 24)
    for i in np.flatnonzero(crossing):
        s, e, off, t = int(starts[i]), int(ends[i]), int(offsets[i]), int(top[i])
        while s < e:
            loc = s + off
            piece_end = min(e, (loc // US_PER_HOUR + 1) * US_PER_HOUR - off)
            grid[t, (loc // US_PER_HOUR) % 24] += piece_end - s
            s = piece_end
    out.hourly = {name: [int(x) for x in grid[i]] for i, name in enumerate(names)}

    # Context switches: the app changes from one active piece to the next.
    app = app_of[vidx]
    out.switches = int(np.count_nonzero(app[1:] != app[:-1]))

    # Focus sessions: productive pieces whose gaps (away, or in other categories) stay
    # within the grace period, adding up to at least the minimum.
    productive = productive_of[vidx]
    if not productive.any():
        return
    ps, pe, ptop = starts[productive], ends[productive], top[productive]
    reach = np.maximum.accumulate(pe)
    breaks = (ps[1:] - reach[:-1]) > settings.focus_grace_s * US_PER_S
    first = np.concatenate(([0], np.flatnonzero(breaks) + 1))
    last = np.concatenate((first[1:] - 1, [len(ps) - 1]))
    focus_us = np.add.reduceat(pe - ps, first)
    minimum = settings.focus_min_s * US_PER_S
    for a, b, total in zip(first, last, focus_us, strict=True):
        if total < minimum:
            continue
        per_top = np.bincount(ptop[a : b + 1], weights=(pe[a : b + 1] - ps[a : b + 1]))
        out.focus.append(
            FocusSession(int(ps[a]), int(reach[b]), int(total), names[int(per_top.argmax())])
        )


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


# -- storage form (table day_stats) -----------------------------------------------------------
def encode_totals(totals: DayTotals) -> bytes:
    doc = {
        "a": totals.active_us,
        "f": totals.afk_us,
        "w": totals.weighted,
        "c": [[list(path), us] for path, us in totals.categories.items()],
    }
    return zlib.compress(orjson.dumps(doc), 1)


def decode_totals(day: int, blob: bytes, into: DayTotals | None = None) -> DayTotals:
    doc = orjson.loads(zlib.decompress(blob))
    out = into if into is not None else DayTotals(day)
    out.active_us, out.afk_us, out.weighted = doc["a"], doc["f"], doc["w"]
    out.categories = {tuple(path): us for path, us in doc["c"]}
    return out


def encode_stats(stats: DayStats) -> bytes:
    doc = {
        "apps": stats.apps,
        "titles": stats.titles,
        "domains": stats.domains,
        "urls": stats.urls,
        "h": stats.hourly,
        "fo": [[f.start_us, f.end_us, f.focus_us, f.top_category] for f in stats.focus],
        "sw": stats.switches,
        "g": [list(g) for g in stats.gaps],
        "fl": [stats.first_us, stats.last_us],
    }
    return zlib.compress(orjson.dumps(doc), 1)


def decode_stats(day: int, totals: bytes, blob: bytes) -> DayStats:
    out = DayStats(day)
    decode_totals(day, totals, out)
    doc = orjson.loads(zlib.decompress(blob))
    out.apps, out.titles, out.domains, out.urls = (
        doc["apps"],
        doc["titles"],
        doc["domains"],
        doc["urls"],
    )
    out.hourly = doc["h"]
    out.focus = [FocusSession(*f) for f in doc["fo"]]
    out.switches = doc["sw"]
    out.gaps = [(s, e) for s, e in doc["g"]]
    out.first_us, out.last_us = doc["fl"]
    return out
