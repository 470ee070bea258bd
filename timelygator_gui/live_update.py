"""Live refresh: committed changes merged into the range on screen instead of reloading it.

The writer reports every committed change (``core.writer.Change``: the event as stored, or
the id of a deleted one). ``PendingChanges`` gathers them between refreshes, keeping only the
latest state of each event. ``refresh_range`` (a worker) applies them to the shown
``RangeData``: each touched bucket's events are merged by id (an extended heartbeat replaces
its event, a new one is inserted in order, a deleted one leaves), the analytics answer for the
days the changes touch is computed again (the engine keeps the other days), and only the end
of each lane that changed is rebuilt (``splice_lane``). The view keeps its zoom, selection and
hover because it is given new data for the same range, not a new range (``TimelineView``).

Changes whose effect cannot be merged (a bucket created or deleted, a retention purge) ask
for the range to be read again, still without disturbing the view.

Qt-free: runs on a worker thread.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from timelygator.core.categories.model import Category
from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.core.writer import Change
from timelygator.gui.range_data import (
    RangeData,
    analytics_settings,
    bucket_kind,
    load_range,
)
from timelygator.gui.timeline_model import (
    Lane,
    bucket_specs,
    build_day_rows,
    build_lanes,
    category_spec,
    lane_of,
    splice_lane,
)

# Changes that cannot be merged event by event: the range is read again.
_RELOAD_KINDS = frozenset({"bucket", "bucket_deleted", "events_purged"})


@dataclass(slots=True)
class PendingChanges:
    """Committed changes not yet shown: the latest state of each event, per bucket key."""

    upserts: dict[int, dict[int, Event]] = field(default_factory=dict)
    deleted: dict[int, set[int]] = field(default_factory=dict)
    reload: bool = False
    low_us: int | None = None  # the span of time the changes touch
    high_us: int | None = None

    def add(self, changes: Iterable[Change]) -> None:
        for change in changes:
            if change.kind in _RELOAD_KINDS:
                self.reload = True
                continue
            key = change.bucket_key
            if key is None:
                continue
            event = change.event
            if change.kind == "event" and event is not None and event.id is not None:
                self.upserts.setdefault(key, {})[event.id] = event
                self.deleted.get(key, set()).discard(event.id)
                self._touch(event.start_us, event.end_us)
            elif change.kind == "event_deleted" and change.event_id is not None:
                self.deleted.setdefault(key, set()).add(change.event_id)
                self.upserts.get(key, {}).pop(change.event_id, None)
            else:
                continue
            if change.span is not None:
                self._touch(*change.span)  # where a deleted or replaced event was
            elif change.replaced or change.kind == "event_deleted":
                self.reload = True  # where it was is unknown: read the range again

    def _touch(self, start_us: int, end_us: int) -> None:
        self.low_us = start_us if self.low_us is None else min(self.low_us, start_us)
        self.high_us = end_us if self.high_us is None else max(self.high_us, end_us)

    def __bool__(self) -> bool:
        return self.reload or bool(self.upserts) or bool(self.deleted)

    def touches(self, start_us: int, end_us: int) -> bool:
        """Whether anything pending may change what a range shows."""
        if self.reload:
            return True
        if self.low_us is None or self.high_us is None:
            return bool(self.deleted)
        return self.low_us <= end_us and self.high_us >= start_us


def _key(event: Event) -> tuple[int, int]:
    return event.start_us, event.id if event.id is not None else -1


def merge_events(
    old: list[Event],
    upserts: dict[int, Event],
    deleted: set[int],
    start_us: int,
    end_us: int,
) -> tuple[list[Event], int]:
    """``old`` (sorted by start, then id; clipped to the range) with the changes applied.

    Returns the new list and the first index at which it differs from ``old``: everything
    before it is shared, so callers rebuild only what follows. Events outside the range
    leave it; the others are clipped to it as a range read clips them.
    """
    gone = deleted | upserts.keys()
    cut = len(old)
    if gone:
        wanted = set(gone)
        index = len(old) - 1
        # Live changes are at the end of the day: search backwards, stop when all are found.
        while index >= 0 and wanted:
            event_id = old[index].id
            if event_id in wanted:
                wanted.discard(event_id)
                cut = index
            index -= 1
    added = [
        Event(max(e.start_us, start_us), min(e.end_us, end_us), e.data, e.id, e.tz_offset_s)
        for e in upserts.values()
        if e.start_us <= end_us and e.end_us >= start_us
    ]
    if added:
        cut = min(cut, bisect_left(old, min(_key(e) for e in added), key=_key))
    tail = [e for e in old[cut:] if e.id not in gone]
    tail.extend(added)
    tail.sort(key=_key)
    return old[:cut] + tail, cut


def refresh_range(
    services: Services,
    data: RangeData,
    pending: PendingChanges,
    categories: list[Category],
    still_wanted: Callable[[], bool] | None = None,
) -> RangeData:
    """``data`` with ``pending`` applied (a new RangeData; ``data`` itself is not changed)."""
    if pending.reload:
        return load_range(services, data.range, categories, still_wanted, data.hosts)
    started = time.perf_counter()
    out = replace(data, by_bucket=dict(data.by_bucket))
    cuts: dict[str, int] = {}
    if not data.day_rows:
        names = {b.key: b.name for b in data.buckets}
        for key in pending.upserts.keys() | pending.deleted.keys():
            name = names.get(key)
            if name is None:
                if not data.hosts:  # a bucket this load did not know: read the range again
                    return load_range(services, data.range, categories, still_wanted)
                continue  # a host not shown
            merged, cut = merge_events(
                data.by_bucket.get(name, []),
                pending.upserts.get(key, {}),
                pending.deleted.get(key, set()),
                data.start_us,
                data.end_us,
            )
            out.by_bucket[name] = merged
            cuts[name] = cut
    settings = analytics_settings(data.range, data.hosts)
    first, last = data.range.first, data.range.last
    out.summary = services.analytics.summary_for_days(
        services.user_id, first, last, settings, categories=categories
    )
    out.summary_loaded = True
    touched = [
        i
        for i, (_day, start, end) in enumerate(data.days)
        if pending.low_us is not None
        and pending.high_us is not None
        and start < pending.high_us
        and end > pending.low_us
    ]
    assert data.classifier is not None
    if data.day_rows:
        # Each touched day's row again, from its pieces; the other rows stay as they are.
        out.lanes = list(data.lanes)
        out.pieces = list(data.pieces)
        if touched:
            d0, d1 = data.days[touched[0]][0], data.days[touched[-1]][0]
            fresh = {
                p.day: p
                for p in services.analytics.day_pieces(
                    services.user_id, d0, d1, settings, categories=categories
                )
            }
            out.pieces = [fresh.get(p.day, p) for p in data.pieces]
            origin = data.days[0][1]
            for index in touched:
                [row] = build_day_rows(
                    list(fresh.values()), [data.days[index]], data.classifier, origin
                )
                out.lanes[index] = row
    else:
        pairs = data.summary.active_events
        lo = len(pairs)
        if touched:
            low, high = data.days[touched[0]], data.days[touched[-1]]
            fresh_pairs = services.analytics.categorized_pieces(
                services.user_id, low[0], high[0], settings, categories=categories
            )
            lo = bisect_left(pairs, low[1], key=lambda pair: pair[0].start_us)
            hi = bisect_left(pairs, high[2], key=lambda pair: pair[0].start_us)
            pairs = pairs[:lo] + fresh_pairs + pairs[hi:]
        out.summary.active_events = pairs
        out.lanes = _spliced_lanes(data, out, cuts, lo) or _all_lanes(out)
    out.read_ms = 0.0
    out.compute_ms = (time.perf_counter() - started) * 1000
    return out


def _all_lanes(data: RangeData) -> list[Lane]:
    assert data.classifier is not None
    return build_lanes(data.buckets, data.by_bucket, data.summary, data.classifier, bucket_kind)


def _spliced_lanes(old: RangeData, new: RangeData, cuts: dict[str, int], lo: int) -> list[Lane]:
    """The old lanes with the changed ends rebuilt, or [] when the set of lanes changed."""
    assert new.classifier is not None
    specs = bucket_specs(new.buckets, new.by_bucket, bucket_kind)
    pairs = new.summary.active_events
    wanted = ([category_spec(new.classifier)] if pairs else []) + specs
    if [(s.title, s.bucket) for s in wanted] != [(lane.title, lane.bucket) for lane in old.lanes]:
        return []
    lanes = []
    for spec, lane in zip(wanted, old.lanes, strict=True):
        if spec.kind == "category":
            tail = pairs[lo:]
            lane = splice_lane(lane, lo, lane_of(spec, [e for e, _ in tail], [p for _, p in tail]))
        elif spec.bucket in cuts:
            cut = cuts[spec.bucket]
            lane = splice_lane(lane, cut, lane_of(spec, new.by_bucket[spec.bucket][cut:]))
        lanes.append(lane)
    return lanes
