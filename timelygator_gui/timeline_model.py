"""Timeline lanes as numpy arrays, and the pixel-binned level of detail drawn from them.

Qt-free so the heavy part (sorting, colouring, binning) can run anywhere; ``span_item.py``
only turns the binned arrays into rectangles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from core.analytics.classifier import CategoryClassifier
from core.analytics.summary import Summary
from core.categories.categorizer import domain_of
from core.event import BucketInfo, Event

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Tableau-like palette: distinguishable on light and dark backgrounds.
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6", "#8cd17d", "#d37295",
    "#a0cbe8", "#ffbe7d", "#f1ce63", "#499894", "#79706e", "#d4a6c8",
)  # fmt: skip
AFK_COLORS = {"not-afk": "#59a14f", "afk": "#bab0ac"}
UNCATEGORIZED_COLOR = "#c8c8c8"
KIND_ORDER = {"category": 0, "window": 1, "web": 2, "editor": 3, "afk": 4, "other": 5}
KIND_TITLES = {"window": "Windows", "afk": "AFK", "web": "Browser", "editor": "Editor"}


def stable_color(key: str) -> str:
    """The same colour for the same app/domain in every session."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=2).digest()
    return PALETTE[int.from_bytes(digest, "big") % len(PALETTE)]


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
    events: list[Event] = field(default_factory=list)
    paths: list[tuple[str, ...]] | None = None  # category lane: the path of each span
    max_duration: float = 0.0

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
    key_of: Callable[[Event], Hashable],
    paths: list[tuple[str, ...]] | None = None,
    color_of_key: Callable[[Any], str] | None = None,
) -> Lane:
    """A lane of ``events``; ``key_of`` names what gives a span its colour (an app, a
    category path...) and ``color_of_key`` turns each distinct key into a colour once
    (without it the key is the colour). Arrays are built with numpy, not per-event objects.
    """
    n = len(events)
    starts_us = np.fromiter((e.start_us for e in events), np.int64, n)
    ends_us = np.fromiter((e.end_us for e in events), np.int64, n)
    slots: dict[Hashable, int] = {}
    codes = np.fromiter((slots.setdefault(key_of(e), len(slots)) for e in events), np.int64, n)
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
    starts = starts_us / 1e6
    ends = ends_us / 1e6
    lane = Lane(title, kind, bucket, starts, ends, colors, palette, ordered)
    lane.paths = list(paths) if paths is not None else None
    lane.max_duration = float((ends - starts).max()) if n else 0.0
    return lane


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

        def category_color(path: tuple[str, ...]) -> str:
            return classifier.color(path) or (
                UNCATEGORIZED_COLOR if path == ("Uncategorized",) else stable_color(path[0])
            )

        paths = [p for _, p in pairs]
        path_iter = iter(paths)
        lanes.append(
            make_lane(
                "Categories",
                "category",
                None,
                [e for e, _ in pairs],
                lambda _e: next(path_iter),
                paths,
                category_color,
            )
        )
    with_kind = sorted(
        ((KIND_ORDER.get(kind_of(b), 9), b.name, b) for b in buckets if by_bucket.get(b.name)),
    )
    for _, _, bucket in with_kind:
        kind = kind_of(bucket)
        title = KIND_TITLES.get(kind, bucket.name)
        if kind == "web":
            title = f"Browser ({bucket.name.split('_')[0].removeprefix('aw-watcher-web-')})"
        events = by_bucket[bucket.name]
        if kind == "afk":
            lane = make_lane(
                title, kind, bucket.name, events, lambda e: e.data.get("status"),
                color_of_key=lambda status: AFK_COLORS.get(str(status), UNCATEGORIZED_COLOR),
            )  # fmt: skip
        elif kind == "web":  # key on the URL; its domain (parsed once per URL) colours it
            lane = make_lane(
                title, kind, bucket.name, events,
                lambda e: (e.data.get("url"), e.data.get("title")),
                color_of_key=lambda key: stable_color(
                    event_label("web", {"url": key[0], "title": key[1]})
                ),
            )  # fmt: skip
        else:
            lane = make_lane(
                title, kind, bucket.name, events,
                lambda e, k=kind: event_label(k, e.data),  # type: ignore[misc]
                color_of_key=stable_color,
            )  # fmt: skip
        lanes.append(lane)
    return lanes


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
