"""Timeline lanes as numpy arrays, and the pixel-binned level of detail drawn from them.

Qt-free so the heavy part (sorting, colouring, binning) can run anywhere; ``span_item.py``
only turns the binned arrays into rectangles.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt
from timelygator.core.analytics.classifier import CategoryClassifier
from timelygator.core.analytics.localdays import day_date
from timelygator.core.analytics.pieces import DayPieces
from timelygator.core.analytics.report import hms
from timelygator.core.analytics.summary import Summary
from timelygator.core.categories.categorizer import domain_of
from timelygator.core.categories.colors import UNCATEGORIZED_COLOR, category_color, stable_color
from timelygator.core.event import BucketInfo, Event

T = TypeVar("T")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

AFK_COLORS = {"not-afk": "#59a14f", "afk": "#bab0ac"}
KIND_ORDER = {"category": 0, "window": 1, "web": 2, "editor": 3, "manual": 4, "afk": 5}
KIND_TITLES = {
    "window": "Window", "afk": "Away", "web": "Browser", "editor": "Editor", "manual": "Manual",
}  # fmt: skip
MANUAL_PREFIX = "timelygator-manual"


def event_label(kind: str, data: dict[str, Any]) -> str:
    """What a span is called in tooltips and details."""
    if kind == "afk":
        return "Away" if data.get("status") == "afk" else "Active"
    if kind == "web":
        url = data.get("url")
        return domain_of(url) if isinstance(url, str) and url else str(data.get("title", ""))
    if kind == "editor":
        return str(data.get("file") or data.get("project") or data.get("language") or "")
    return str(data.get("app") or data.get("title") or next(iter(data.values()), ""))


@dataclass(slots=True)
class Lane:
    """One swimlane: spans sorted by start, as seconds since the epoch, with colours."""

    title: str
    kind: str
    bucket: str | None
    starts: FloatArray
    ends: FloatArray
    colors: IntArray  # index into ``palette``
    palette: list[str]
    events: Sequence[Event] = field(default_factory=list)
    paths: Sequence[tuple[str, ...]] | None = None  # category lanes: each span's path
    max_duration: float = 0.0
    shift_s: float = 0.0  # x = time - shift_s (day rows share the first day's clock)
    day: date | None = None  # a day row: the local day it shows

    @property
    def size(self) -> int:
        return int(self.starts.size)

    def index_at(self, x: float, slack: float = 0.0) -> int | None:
        """The span under ``x`` (seconds), or the nearest within ``slack`` seconds."""
        if self.size == 0:
            return None
        i = int(np.searchsorted(self.starts, x, side="right")) - 1
        # Spans may overlap: look back over spans that could still cover x.
        j = i
        while j >= 0 and self.starts[j] >= x - self.max_duration - slack:
            if self.starts[j] - slack <= x <= self.ends[j] + slack:
                return j
            j -= 1
            if i - j > 64:
                break
        nxt = i + 1
        if nxt < self.size and self.starts[nxt] - slack <= x:
            return nxt
        return None


def make_lane(
    title: str,
    kind: str,
    bucket: str | None,
    events: Sequence[Event],
    key_of: Callable[[Event], Hashable] | None,
    paths: list[tuple[str, ...]] | None = None,
    color_of_key: Callable[[Any], str] | None = None,
    shift_s: float = 0.0,
) -> Lane:
    """A lane of ``events``; ``key_of`` names what gives a span its colour (an app...; None:
    the span's category path in ``paths``) and ``color_of_key`` turns each distinct key into
    a colour once (without it the key is the colour). ``shift_s`` moves the spans left by that
    many seconds (a day row drawn on the first day's clock). Arrays are built with numpy, not
    per-event objects.
    """
    n = len(events)
    starts_us = np.fromiter((e.start_us for e in events), np.int64, n)
    ends_us = np.fromiter((e.end_us for e in events), np.int64, n)
    slots: dict[Hashable, int] = {}
    if key_of is None:
        assert paths is not None
        keys: Iterable[Hashable] = paths
    else:
        keys = (key_of(e) for e in events)
    codes = np.fromiter((slots.setdefault(k, len(slots)) for k in keys), np.int64, n)
    palette: list[str] = []
    color_slot: dict[str, int] = {}
    key_color = np.empty(len(slots), dtype=np.int64)
    for key, slot in slots.items():
        color = color_of_key(key) if color_of_key is not None else str(key)
        key_color[slot] = color_slot.setdefault(color, len(color_slot))
        if key_color[slot] == len(palette):
            palette.append(color)
    colors = key_color[codes] if n else np.zeros(0, dtype=np.int64)
    ordered: list[Event] = list(events)
    if n > 1 and bool((starts_us[1:] < starts_us[:-1]).any()):
        order = np.argsort(starts_us, kind="stable")
        starts_us, ends_us, colors = starts_us[order], ends_us[order], colors[order]
        picks = order.tolist()
        ordered = [events[k] for k in picks]
        paths = [paths[k] for k in picks] if paths is not None else None
    starts = starts_us / 1e6 - shift_s
    ends = ends_us / 1e6 - shift_s
    lane = Lane(title, kind, bucket, starts, ends, colors, palette, ordered)
    lane.paths = list(paths) if paths is not None else None
    lane.max_duration = float((ends - starts).max()) if n else 0.0
    lane.shift_s = shift_s
    return lane


def splice_lane(lane: Lane, cut: int, tail: Lane) -> Lane:
    """``lane``'s first ``cut`` spans followed by ``tail``'s (all starting at or after them).

    A live refresh rebuilds only the end of a lane that changed: the head keeps its arrays,
    the tail's colours are renumbered into the head's palette.
    """
    palette = list(lane.palette)
    slot = {color: index for index, color in enumerate(palette)}
    remap = np.empty(len(tail.palette), dtype=np.int64)
    for index, color in enumerate(tail.palette):
        remap[index] = slot.setdefault(color, len(palette))
        if remap[index] == len(palette):
            palette.append(color)
    colors = remap[tail.colors] if tail.size else np.zeros(0, dtype=np.int64)
    out = Lane(
        lane.title,
        lane.kind,
        lane.bucket,
        np.concatenate((lane.starts[:cut], tail.starts)),
        np.concatenate((lane.ends[:cut], tail.ends)),
        np.concatenate((lane.colors[:cut], colors)),
        palette,
        list(lane.events[:cut]) + list(tail.events),
    )
    if lane.paths is not None or tail.paths is not None:
        out.paths = list((lane.paths or [])[:cut]) + list(tail.paths or [])
    # The head's own longest span is not known apart: keep the larger bound (it only widens
    # the look-back of searches, never hides a span).
    out.max_duration = max(lane.max_duration if cut else 0.0, tail.max_duration)
    out.shift_s = lane.shift_s
    out.day = lane.day
    return out


def host_of(bucket: BucketInfo) -> str:
    """The host a bucket's events come from, as lanes name it."""
    return bucket.host


@dataclass(frozen=True, slots=True)
class LaneSpec:
    """How a lane is titled and coloured; used to build it and to rebuild its end."""

    title: str
    kind: str
    bucket: str | None
    key_of: Callable[[Event], Hashable] | None  # None: the category path colours a span
    color_of_key: Callable[[Any], str] | None


def category_spec(classifier: CategoryClassifier, title: str = "Categories") -> LaneSpec:
    """Active time coloured by category (the classifier's colours, inherited from parents)."""

    def color(path: tuple[str, ...]) -> str:
        return category_color(path, classifier)

    return LaneSpec(title, "category", None, None, color)


def bucket_spec(bucket: BucketInfo, kind: str, manual_lanes: int = 1) -> LaneSpec:
    """A watcher's lane is named by its kind and host ("Window — laptop"); manual entries
    have their own "Manual" lane (named by host too when there are several)."""
    host = host_of(bucket)
    title = f"{KIND_TITLES.get(kind, bucket.name)} — {host}"
    if kind == "manual" and manual_lanes == 1:
        title = KIND_TITLES["manual"]
    elif kind == "web":
        browser = bucket.name.split("_")[0].removeprefix("aw-watcher-web-")
        title = f"Browser ({browser}) — {host}"
    elif kind not in KIND_TITLES:
        title = bucket.name
    if kind == "afk":
        return LaneSpec(
            title, kind, bucket.name, lambda e: e.data.get("status"),
            lambda status: AFK_COLORS.get(str(status), UNCATEGORIZED_COLOR),
        )  # fmt: skip
    if kind == "web":  # key on the URL; its domain (parsed once per URL) colours it
        return LaneSpec(
            title, kind, bucket.name, lambda e: (e.data.get("url"), e.data.get("title")),
            lambda key: stable_color(event_label("web", {"url": key[0], "title": key[1]})),
        )  # fmt: skip
    label_kind = "window" if kind == "manual" else kind
    return LaneSpec(
        title, kind, bucket.name, lambda e: event_label(label_kind, e.data), stable_color
    )


def lane_of(
    spec: LaneSpec,
    events: Sequence[Event],
    paths: list[tuple[str, ...]] | None = None,
    shift_s: float = 0.0,
) -> Lane:
    return make_lane(
        spec.title, spec.kind, spec.bucket, events, spec.key_of, paths, spec.color_of_key, shift_s
    )


def bucket_specs(
    buckets: Sequence[BucketInfo],
    by_bucket: dict[str, list[Event]],
    kind_of: Callable[[BucketInfo], str],
) -> list[LaneSpec]:
    """One spec per bucket with events in range, in lane order (kind, then host)."""
    shown = [b for b in buckets if by_bucket.get(b.name)]
    manual = sum(1 for b in shown if kind_of(b) == "manual")
    ordered = sorted(shown, key=lambda b: (KIND_ORDER.get(kind_of(b), 9), host_of(b), b.name))
    return [bucket_spec(b, kind_of(b), manual) for b in ordered]


def build_lanes(
    buckets: Sequence[BucketInfo],
    by_bucket: dict[str, list[Event]],
    summary: Summary,
    classifier: CategoryClassifier,
    kind_of: Callable[[BucketInfo], str],
) -> list[Lane]:
    """A category lane (active time by category) and one lane per bucket with events."""
    lanes: list[Lane] = []
    pairs = summary.active_events
    if pairs:
        spec = category_spec(classifier)
        lanes.append(lane_of(spec, [e for e, _ in pairs], [p for _, p in pairs]))
    for spec in bucket_specs(buckets, by_bucket, kind_of):
        assert spec.bucket is not None
        lanes.append(lane_of(spec, by_bucket[spec.bucket]))
    return lanes


class LazyItems(Sequence[T]):
    """``count`` items made by ``make(index)`` only when asked for: a row's spans as events
    (and their paths) exist only for the span hovered or selected."""

    def __init__(self, count: int, make: Callable[[int], T]) -> None:
        self._count = count
        self._make = make

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._make(i) for i in range(self._count)[index]]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self._make(index)


def build_day_rows(
    pieces: Sequence[DayPieces],
    days: Sequence[tuple[date, int, int]],
    classifier: CategoryClassifier,
    origin_us: int | None = None,
) -> list[Lane]:
    """One row per local day (``(day, start_us, end_us)``), its active time by category,
    every row on the clock of the day starting at ``origin_us`` (default: the first day's)
    so the rows line up hour under hour. Built from the days' piece arrays with numpy: no
    object per span (events are made when a span is hovered or selected)."""
    if not days:
        return []
    origin = days[0][1] if origin_us is None else origin_us
    by_day = {p.day: p for p in pieces}
    spec_color = category_spec(classifier).color_of_key
    assert spec_color is not None
    path_colors: dict[tuple[str, ...], str] = {}

    def color_of(path: tuple[str, ...]) -> str:
        found = path_colors.get(path)
        if found is None:
            found = path_colors[path] = spec_color(path)
        return found

    out = []
    for day, start, _end in days:
        shift = (start - origin) / 1e6
        found = by_day.get(day)
        if found is None or not len(found):
            lane = Lane(day_title(day), "category", None, np.zeros(0), np.zeros(0),
                        np.zeros(0, dtype=np.int64), [])  # fmt: skip
        else:
            palette: list[str] = []
            slot: dict[str, int] = {}
            value_color = np.fromiter(
                (slot.setdefault(c, len(slot)) for c in map(color_of, found.paths)),
                np.int64,
                len(found.paths),
            )
            palette = list(slot)
            starts = found.starts / 1e6 - shift
            ends = found.ends / 1e6 - shift
            lane = Lane(
                day_title(day), "category", None, starts, ends, value_color[found.value],
                palette, LazyItems(len(found), found.event),
            )  # fmt: skip
            lane.paths = LazyItems(len(found), found.path)
            lane.max_duration = float((ends - starts).max())
        lane.shift_s = shift
        lane.day = day
        out.append(lane)
    return out


def build_hour_rows(
    stats: Sequence[Any],
    days: Sequence[tuple[date, int, int]],
    classifier: CategoryClassifier,
    day_start_hour: int,
    origin_us: int | None = None,
) -> list[Lane]:
    """For long ranges (months on end): one row per day drawn hour by hour from the day's
    stored statistics: each hour is a block as long as its active time, in the colour of the
    category that had most of it. Reads no pieces, so a year shows in a moment. Rows are on
    the clock of the day starting at ``origin_us`` (default: the first day's)."""
    if not days:
        return []
    origin = days[0][1] if origin_us is None else origin_us
    spec_color = category_spec(classifier).color_of_key
    assert spec_color is not None
    by_day = {day_date(s.day): s for s in stats}
    palette: list[str] = []
    slot: dict[str, int] = {}
    out = []
    for day, start, _end in days:
        shift = (start - origin) / 1e6
        blocks: list[tuple[int, int, str]] = []
        colors: list[int] = []
        paths: list[tuple[str, ...]] = []
        found = by_day.get(day)
        hourly = found.hourly if found is not None else {}
        for position in range(24):
            hour = (day_start_hour + position) % 24
            amounts = sorted(
                ((values[hour], name) for name, values in hourly.items() if values[hour] > 0),
                reverse=True,
            )
            if not amounts:
                continue
            total = sum(us for us, _ in amounts)
            block_start = start + position * 3_600_000_000
            words = ", ".join(f"{name} {hms(us / 1e6)}" for us, name in amounts[:3])
            text = f"{hour:02d}:00–{(hour + 1) % 24:02d}:00: {hms(total / 1e6)} active ({words})"  # noqa: RUF001
            blocks.append((block_start, block_start + total, text))
            color = spec_color((amounts[0][1],))
            colors.append(slot.setdefault(color, len(slot)))
            paths.append((amounts[0][1],))
        palette = list(slot)
        starts = np.array([b[0] for b in blocks], dtype=np.float64) / 1e6 - shift
        ends = np.array([b[1] for b in blocks], dtype=np.float64) / 1e6 - shift
        events = LazyItems(len(blocks), partial(_block_event, blocks))
        lane = Lane(day_title(day), "category", None, starts, ends,
                    np.array(colors, dtype=np.int64), palette, events)  # fmt: skip
        lane.paths = paths
        lane.max_duration = 3600.0
        lane.shift_s = shift
        lane.day = day
        out.append(lane)
    return out


def _block_event(blocks: list[tuple[int, int, str]], index: int) -> Event:
    start, end, text = blocks[index]
    return Event(start, end, {"title": text})


def day_title(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


@dataclass(slots=True)
class Binned:
    """Rectangles to draw for one lane at one zoom: x, width, colour index."""

    x: FloatArray
    w: FloatArray
    colors: IntArray


def bin_lane(lane: Lane, x0: float, x1: float, pixels: int) -> Binned:
    """Level of detail: spans narrower than a pixel collapse into one column per pixel.

    A column takes the colour of its longest span; spans at least a pixel wide are kept
    exactly (clipped to the view). At most ``pixels`` narrow columns plus the wide spans.
    """
    empty = Binned(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64))
    if lane.size == 0 or x1 <= x0 or pixels <= 0:
        return empty
    lo = int(np.searchsorted(lane.starts, x0 - lane.max_duration, side="left"))
    hi = int(np.searchsorted(lane.starts, x1, side="right"))
    starts, ends, colors = lane.starts[lo:hi], lane.ends[lo:hi], lane.colors[lo:hi]
    visible = ends > x0
    starts, ends, colors = starts[visible], ends[visible], colors[visible]
    if starts.size == 0:
        return empty
    px = (x1 - x0) / pixels
    s = np.maximum(starts, x0)
    e = np.minimum(ends, x1)
    widths = e - s
    wide = widths >= px
    out_x = [s[wide]]
    out_w = [widths[wide]]
    out_c = [colors[wide]]
    narrow = ~wide
    if narrow.any():
        ns, nw, nc = s[narrow], widths[narrow], colors[narrow]
        col = np.floor((ns - x0) / px).astype(np.int64)
        order = np.lexsort((-nw, col))
        col_sorted = col[order]
        first = np.ones(col_sorted.size, dtype=bool)
        first[1:] = col_sorted[1:] != col_sorted[:-1]
        pick = order[first]
        out_x.append(x0 + col[pick] * px)
        out_w.append(np.full(pick.size, px))
        out_c.append(nc[pick])
    return Binned(np.concatenate(out_x), np.concatenate(out_w), np.concatenate(out_c))
