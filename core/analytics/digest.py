"""Day digests: one local day's active time in a compact, category-independent form.

A digest holds the day's *active pieces* (window time where the user was present, browser
windows split by the tab that was showing) as parallel integer arrays, the distinct data
values they refer to (interned: a day has thousands of pieces but far fewer values), AFK time
and the spans where any watcher recorded something. A digest computed from events holds the
values' JSON texts; a stored one (format 2) holds their ids in the store's value dictionary
(table ``analytics_values``, ``core.analytics.values``), so reading a year of digests decodes
integer arrays, not 1.5 million strings. Everything a summary
shows is computed from digests plus the categorizer, so changing a category rule never
invalidates a digest; changing an event does (see ``core.analytics.service``).

Rules (ActivityWatch's canonical desktop query, per host): a host's window events count
where that host's AFK watcher says "not-afk" (all of them when the host has no AFK data in
the range); manual entries (``$manual``) always count; browser windows are split by the web
watcher's tab events of the same browser (``{app, title: tab title, url}``); the parts no tab
covers keep the window data. Time is counted once: where active pieces overlap (two hosts at
once, an event imported twice), a manual entry wins, else the piece that started last (the
window the person turned to), and the earlier one resumes when it ends; away time is the AFK
watchers' "afk" time outside any active piece. A day's active and away time therefore never
add up to more than the day.
"""

from __future__ import annotations

import heapq
import itertools
import re
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from timelygator.core.analytics import cache_rows
from timelygator.core.analytics.localdays import US_PER_DAY, US_PER_S

BROWSER_APPS = re.compile(
    r"chrom|firefox|brave|edge|opera|vivaldi|safari|librewolf|waterfox|zen|floorp", re.IGNORECASE
)
# Web bucket name fragment -> the window app names of that browser.
BROWSER_FAMILIES: dict[str, re.Pattern[str]] = {
    "firefox": re.compile(r"firefox|librewolf|waterfox|zen|floorp", re.IGNORECASE),
    "chrom": re.compile(r"chrom|brave|edge|opera|vivaldi", re.IGNORECASE),
    "brave": re.compile(r"brave", re.IGNORECASE),
    "edge": re.compile(r"edge", re.IGNORECASE),
    "opera": re.compile(r"opera", re.IGNORECASE),
    "vivaldi": re.compile(r"vivaldi", re.IGNORECASE),
    "safari": re.compile(r"safari", re.IGNORECASE),
}
MANUAL_KEY = "$manual"

# (start_us, end_us, tz_offset_s or None, data JSON text)
Row = tuple[int, int, int | None, str]
Piece = tuple[int, int, str, int]  # start, end, value (JSON text), offset_s
Span = tuple[int, int]


@dataclass(slots=True)
class DayDigest:
    """One local day (``day`` = days since 1970-01-01) at one day-start setting.

    ``values`` (texts) or ``ids`` (value dictionary ids; stored digests) name the distinct
    values, in the same order as ``value_us``; ``vidx`` indexes that order.
    """

    day: int
    start_us: int  # the day's UTC bounds at its main offset
    end_us: int
    offset_s: int
    values: list[str] = field(default_factory=list)
    value_us: list[int] = field(default_factory=list)
    afk_us: int = 0
    tracked: list[int] = field(default_factory=list)  # flattened merged spans s0, e0, s1, ...
    starts: array[int] = field(default_factory=lambda: array("q"))
    ends: array[int] = field(default_factory=lambda: array("q"))
    vidx: array[int] = field(default_factory=lambda: array("i"))
    offsets: array[int] = field(default_factory=lambda: array("i"))
    ids: np.ndarray[Any, np.dtype[np.int64]] | None = None

    @property
    def active_us(self) -> int:
        return sum(self.value_us)

    @property
    def size(self) -> int:
        """How many distinct values the day has."""
        return len(self.value_us)

    def tracked_spans(self) -> list[Span]:
        t = self.tracked
        return [(t[i], t[i + 1]) for i in range(0, len(t), 2)]

    # -- storage form ----------------------------------------------------------------------
    def encode_totals(self, ids: Sequence[int]) -> bytes:
        """The day's bounds, AFK time and tracked spans, then ids and time of its values
        (``ids``: the dictionary ids of ``values``) as a second, binary zlib stream."""
        if len(ids) != len(self.value_us):
            raise ValueError("one id per value")
        doc = {
            "f": cache_rows.FORMAT,
            "b": [self.start_us, self.end_us, self.offset_s],
            "a": self.afk_us,
            "t": self.tracked,
        }
        both = np.concatenate(
            (np.asarray(ids, dtype="<i8"), np.asarray(self.value_us, dtype="<i8"))
        )
        return zlib.compress(orjson.dumps(doc), 1) + zlib.compress(both.tobytes(), 1)

    def encode_pieces(self) -> bytes:
        parts = [array("q", [len(self.starts)])]
        parts += [self.starts, self.ends, _as_q(self.vidx), _as_q(self.offsets)]
        raw = b"".join(_le(a) for a in parts)
        return zlib.compress(raw, 1)

    @classmethod
    def decode(cls, day: int, totals: bytes, pieces: bytes | None) -> DayDigest:
        reader = zlib.decompressobj()
        doc = orjson.loads(reader.decompress(totals))
        if doc.get("f") != cache_rows.FORMAT or not reader.unused_data:
            raise ValueError("digest format")
        both = np.frombuffer(zlib.decompress(reader.unused_data), dtype="<i8")
        n = len(both) // 2
        start, end, offset = doc["b"]
        digest = cls(day, start, end, offset, [], both[n:].tolist(), doc["a"], doc["t"])
        digest.ids = both[:n].astype(np.int64)
        if pieces is not None:
            digest.load_pieces(pieces)
        return digest

    def load_pieces(self, pieces: bytes) -> None:
        raw = zlib.decompress(pieces)
        whole = array("q")
        whole.frombytes(raw)
        if sys.byteorder == "big":
            whole.byteswap()
        n = whole[0]
        self.starts = whole[1 : 1 + n]
        self.ends = whole[1 + n : 1 + 2 * n]
        self.vidx = array("i", whole[1 + 2 * n : 1 + 3 * n])
        self.offsets = array("i", whole[1 + 3 * n : 1 + 4 * n])


def digest_ids(totals: bytes) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The value dictionary ids a stored digest's totals refer to."""
    reader = zlib.decompressobj()
    reader.decompress(totals)
    if not reader.unused_data:
        raise ValueError("digest format")
    both = np.frombuffer(zlib.decompress(reader.unused_data), dtype="<i8")
    return both[: len(both) // 2].astype(np.int64)


def _as_q(values: array[int]) -> array[int]:
    return values if values.typecode == "q" else array("q", values)


def _le(values: array[int]) -> bytes:
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


# -- interval helpers ----------------------------------------------------------------------
def merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def intersect(items: Sequence[Piece], spans: Sequence[Span]) -> list[Piece]:
    """The parts of ``items`` (sorted by start) inside ``spans`` (merged, sorted)."""
    out: list[Piece] = []
    j, n = 0, len(spans)
    append = out.append
    for item in items:
        s, e = item[0], item[1]
        while j < n and spans[j][1] <= s:
            j += 1
        k = j
        while k < n and spans[k][0] < e:
            lo = s if s > spans[k][0] else spans[k][0]
            hi = e if e < spans[k][1] else spans[k][1]
            if hi > lo:
                append((lo, hi, item[2], item[3]))
            k += 1
    return out


def split_by_tabs(piece: Piece, app: str, tabs: Sequence[tuple[int, int, str]]) -> list[Piece]:
    """A browser window piece cut by the tab events overlapping it (already selected)."""
    s, e, value, off = piece
    out: list[Piece] = []
    cursor = s
    for ts, te, tab_value in tabs:
        lo, hi = max(ts, s), min(te, e)
        if hi <= lo or hi <= cursor:
            continue
        lo = max(lo, cursor)
        if lo > cursor:
            out.append((cursor, lo, value, off))
        out.append((lo, hi, tab_value, off))
        cursor = hi
    if cursor < e:
        out.append((cursor, e, value, off))
    return out


class DataCache:
    """Decodes each distinct data text once; remembers which apps are browsers."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.tab_values: dict[tuple[str, str], str] = {}

    def get(self, text: str) -> dict[str, Any]:
        found = self.data.get(text)
        if found is None:
            try:
                found = orjson.loads(text)
            except orjson.JSONDecodeError:
                found = {}
            if not isinstance(found, dict):
                found = {}
            self.data[text] = found
        return found

    def tab_value(self, app: str, tab_text: str) -> str:
        key = (app, tab_text)
        found = self.tab_values.get(key)
        if found is None:
            tab = self.get(tab_text)
            merged: dict[str, Any] = {"app": app}
            for name in ("title", "url"):
                value = tab.get(name)
                if isinstance(value, str):
                    merged[name] = value
            found = orjson.dumps(merged).decode()
            self.tab_values[key] = found
        return found


def family_of(bucket_name: str) -> re.Pattern[str] | None:
    lowered = bucket_name.lower()
    for fragment, pattern in BROWSER_FAMILIES.items():
        if fragment in lowered:
            return pattern
    return None


def active_pieces(
    window: Sequence[tuple[str, Sequence[Row]]],
    afk: Sequence[tuple[str, Sequence[Row]]],
    web: Sequence[tuple[str, Sequence[Row]]],
    offset_of: Callable[[int], int],
    cache: DataCache | None = None,
) -> tuple[list[Piece], list[Span], list[Span]]:
    """(active pieces sorted by start, away spans, tracked spans) from raw rows (oldest
    first), window and AFK rows given per host (``(host, rows)``, a host may repeat)."""
    cache = cache or DataCache()
    get = cache.get
    present: dict[str, list[Span]] = {}
    away: list[Span] = []
    for host, rows in afk:
        spans = present.setdefault(host, [])
        for s, e, _off, text in rows:
            status = get(text).get("status")
            if status == "not-afk":
                spans.append((s, e))
            elif status == "afk":
                away.append((s, e))
    present_m = {host: merge(spans) for host, spans in present.items() if spans}
    watched = {host for host, rows in afk if rows}  # hosts whose AFK watcher says something
    away_m = merge(away)
    by_host: dict[str, list[Piece]] = {}
    manual: list[Piece] = []
    every: list[Piece] = []
    for host, rows in window:
        items = by_host.setdefault(host, [])
        for s, e, off, text in rows:
            if e <= s:
                continue
            piece = (s, e, text, off if off is not None else offset_of(s))
            if MANUAL_KEY in text and get(text).get(MANUAL_KEY):
                manual.append(piece)
            else:
                items.append(piece)
    active: list[Piece] = []
    for host, items in by_host.items():
        items.sort(key=lambda p: p[0])
        every.extend(items)
        active.extend(intersect(items, present_m.get(host, [])) if host in watched else items)
    active = union_pieces(active, manual)
    if web:
        active = _split_browsers(active, web, cache)
    cover = merge((p[0], p[1]) for p in active)
    away_m = subtract(away_m, cover)
    all_present = [span for spans in present_m.values() for span in spans]
    tracked = merge([*((p[0], p[1]) for p in every), *all_present, *away_m, *cover])
    return active, away_m, tracked


def union_pieces(pieces: Sequence[Piece], manual: Sequence[Piece] = ()) -> list[Piece]:
    """Pieces that overlap nowhere, sorted by start: where several cover a moment, a manual
    one wins, else the one that started last; a piece that was covered resumes after."""
    ordered = sorted(
        [(p, 0) for p in pieces] + [(p, 1) for p in manual], key=lambda item: item[0][0]
    )
    overlapping = False
    reach = -(2**63)
    for piece, _rank in ordered:
        if piece[0] < reach:
            overlapping = True
            break
        reach = max(reach, piece[1])
    if not overlapping:  # the usual case (one host, no duplicates): nothing to cut
        return [piece for piece, _rank in ordered]
    points = sorted({t for piece, _rank in ordered for t in (piece[0], piece[1])})
    heap: list[tuple[int, int, int, Piece]] = []
    out: list[Piece] = []
    index = 0
    last_owner = -1
    for t0, t1 in itertools.pairwise(points):
        while index < len(ordered) and ordered[index][0][0] <= t0:
            piece, rank = ordered[index]
            heapq.heappush(heap, (-rank, -piece[0], index, piece))
            index += 1
        while heap and heap[0][3][1] <= t0:
            heapq.heappop(heap)
        if not heap:
            last_owner = -1
            continue
        _rank, _start, owner_index, owner = heap[0]
        if owner_index == last_owner and out and out[-1][1] == t0:
            out[-1] = (out[-1][0], t1, owner[2], owner[3])
        else:
            out.append((t0, t1, owner[2], owner[3]))
        last_owner = owner_index
    return out


def subtract(spans: Sequence[Span], cover: Sequence[Span]) -> list[Span]:
    """The parts of ``spans`` outside ``cover`` (both merged and sorted)."""
    out: list[Span] = []
    j = 0
    for s, e in spans:
        while j < len(cover) and cover[j][1] <= s:
            j += 1
        k = j
        cursor = s
        while k < len(cover) and cover[k][0] < e:
            if cover[k][0] > cursor:
                out.append((cursor, cover[k][0]))
            cursor = max(cursor, cover[k][1])
            k += 1
        if cursor < e:
            out.append((cursor, e))
    return out


def _split_browsers(
    active: list[Piece], web: Sequence[tuple[str, Sequence[Row]]], cache: DataCache
) -> list[Piece]:
    families = [
        (family_of(name), sorted((s, e, t) for s, e, _o, t in rows if e > s)) for name, rows in web
    ]
    out: list[Piece] = []
    cursors = [0] * len(families)
    browser_memo: dict[str, str | None] = {}
    for piece in active:
        text = piece[2]
        app = browser_memo.get(text, "")
        if app == "":
            raw_app = cache.get(text).get("app")
            app = raw_app if isinstance(raw_app, str) and BROWSER_APPS.search(raw_app) else None
            browser_memo[text] = app
        if app is None:
            out.append(piece)
            continue
        s, e = piece[0], piece[1]
        tabs: list[tuple[int, int, str]] = []
        for index, (pattern, rows) in enumerate(families):
            if pattern is not None and not pattern.search(app):
                continue
            j = cursors[index]
            # Tabs are sorted by start; skip those that ended before this piece (pieces are
            # sorted by start, so they are of no use to later pieces either).
            while j < len(rows) and rows[j][1] <= s:
                j += 1
            cursors[index] = j
            k = j
            while k < len(rows) and rows[k][0] < e:
                tabs.append((rows[k][0], rows[k][1], cache.tab_value(app, rows[k][2])))
                k += 1
        if not tabs:
            out.append(piece)
            continue
        if len(families) > 1:
            tabs.sort()
        out.extend(split_by_tabs(piece, app, tabs))
    return out


def build_digests(
    pieces: Sequence[Piece],
    away: Sequence[Span],
    tracked: Sequence[Span],
    first_day: int,
    last_day: int,
    day_start_s: int,
    offset_of: Callable[[int], int],
) -> dict[int, DayDigest]:
    """Cut pieces, AFK and tracked spans at local day boundaries into per-day digests."""
    shift_day = day_start_s * US_PER_S
    digests: dict[int, DayDigest] = {}
    interned: dict[int, dict[str, int]] = {}
    for number in range(first_day, last_day + 1):
        mid = number * US_PER_DAY + shift_day + US_PER_DAY // 2
        off = offset_of(mid)
        start = number * US_PER_DAY + shift_day - off * US_PER_S
        digests[number] = DayDigest(number, start, start + US_PER_DAY, off)
        interned[number] = {}

    def cut(s: int, e: int, off: int) -> Iterable[tuple[int, int, int]]:
        shift = off * US_PER_S - shift_day
        while s < e:
            number = (s + shift) // US_PER_DAY
            boundary = (number + 1) * US_PER_DAY - shift
            hi = e if e < boundary else boundary
            yield number, s, hi
            s = hi

    main_offset: dict[int, int] = {}
    current: DayDigest | None = None
    current_number = boundary_lo = boundary_hi = 0
    values: dict[str, int] = {}
    for s, e, value, off in pieces:
        shift = off * US_PER_S - shift_day
        if current is not None and boundary_lo <= s + shift and e + shift <= boundary_hi:
            parts: Iterable[tuple[int, int, int]] = ((current_number, s, e),)
        else:
            parts = cut(s, e, off)
        for number, lo, hi in parts:
            if number != current_number or current is None:
                current = digests.get(number)
                if current is None:
                    continue
                current_number = number
                boundary_lo, boundary_hi = number * US_PER_DAY, (number + 1) * US_PER_DAY
                values = interned[number]
                main_offset.setdefault(number, off)
            digest = current
            index = values.get(value)
            if index is None:
                index = values[value] = len(digest.values)
                digest.values.append(value)
                digest.value_us.append(0)
            digest.value_us[index] += hi - lo
            digest.starts.append(lo)
            digest.ends.append(hi)
            digest.vidx.append(index)
            digest.offsets.append(off)
    for number, off in main_offset.items():
        digest = digests[number]
        if off != digest.offset_s:
            digest.offset_s = off
            digest.start_us = number * US_PER_DAY + shift_day - off * US_PER_S
            digest.end_us = digest.start_us + US_PER_DAY
    for s, e in away:
        for number, lo, hi in cut(s, e, offset_of(s)):
            if number in digests:
                digests[number].afk_us += hi - lo
    for s, e in tracked:
        for number, lo, hi in cut(s, e, offset_of(s)):
            if number in digests:
                digests[number].tracked += [lo, hi]
    return digests
