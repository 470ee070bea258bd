"""Event-list transforms behind the query functions.

Conventions: inputs are never mutated (neither lists, events nor data dicts); results are new
lists of new or reused events, and data dicts may be shared between events (treat them as
read-only). Times are integer microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from operator import attrgetter
from typing import Any
from urllib.parse import urlparse

from timelygator.core.categories.categorizer import Categorizer, Tagger
from timelygator.core.event import Event
from timelygator.core.patterns import UserPattern
from timelygator.core.timeutil import US_PER_S

_by_start = attrgetter("start_us")
_MISSING = object()


def _span(event: Event, start_us: int, end_us: int) -> Event:
    return Event(start_us, end_us, event.data, event.id, event.tz_offset_s)


def _with_data(event: Event, data: dict[str, Any]) -> Event:
    return Event(event.start_us, event.end_us, data, event.id, event.tz_offset_s)


def sort_by_timestamp(events: Sequence[Event]) -> list[Event]:
    """Oldest first (stable)."""
    return sorted(events, key=_by_start)


def sort_by_duration(events: Sequence[Event]) -> list[Event]:
    """Longest first (stable)."""
    return sorted(events, key=lambda e: e.end_us - e.start_us, reverse=True)


def sum_durations(events: Iterable[Event]) -> float:
    """Total duration in seconds."""
    return sum(e.end_us - e.start_us for e in events) / US_PER_S


def filter_keyvals(
    events: Sequence[Event], key: str, values: Sequence[Any], *, exclude: bool = False
) -> list[Event]:
    """Events whose ``data[key]`` is one of ``values`` (or, with ``exclude``, is not)."""
    as_list = list(values)
    try:
        as_set: set[Any] | list[Any] = set(as_list)
    except TypeError:
        as_set = as_list

    def member(event: Event) -> bool:
        value = event.data.get(key, _MISSING)
        try:
            return value in as_set
        except TypeError:  # an unhashable value (list or dict)
            return value in as_list

    return [e for e in events if member(e) != exclude]


def filter_keyvals_regex(events: Sequence[Event], key: str, pattern: UserPattern) -> list[Event]:
    """Events whose string ``data[key]`` contains a match of ``pattern``."""
    search = pattern.search
    out = []
    for event in events:
        value = event.data.get(key)
        if isinstance(value, str) and search(value):
            out.append(event)
    return out


def _disjoint(events: Iterable[Event], *, join_touching: bool) -> tuple[list[int], list[int]]:
    """Sorted, non-overlapping spans covering ``events`` (as parallel start/end lists)."""
    spans = sorted((e.start_us, e.end_us) for e in events if e.end_us > e.start_us)
    starts: list[int] = []
    ends: list[int] = []
    for start, end in spans:
        if ends and (start < ends[-1] or (join_touching and start == ends[-1])):
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def filter_period_intersect(events: Sequence[Event], filters: Sequence[Event]) -> list[Event]:
    """Each piece of each event that lies inside a filter event; data from ``events``.

    Overlapping filter events are merged first, so no time is counted twice.
    """
    starts, ends = _disjoint(filters, join_touching=False)
    count = len(starts)
    out: list[Event] = []
    first = 0
    for event in sorted(events, key=_by_start):
        e_start, e_end = event.start_us, event.end_us
        while first < count and ends[first] <= e_start:
            first += 1
        index = first
        while index < count and starts[index] < e_end:
            lo = starts[index] if starts[index] > e_start else e_start
            hi = ends[index] if ends[index] < e_end else e_end
            if hi > lo:
                out.append(event if (lo, hi) == (e_start, e_end) else _span(event, lo, hi))
            index += 1
    return out


def period_union(events1: Sequence[Event], events2: Sequence[Event]) -> list[Event]:
    """The time covered by either list, as data-less events, oldest first."""
    starts, ends = _disjoint([*events1, *events2], join_touching=True)
    return [Event(s, e, {}) for s, e in zip(starts, ends, strict=True)]


def union_no_overlap(events1: Sequence[Event], events2: Sequence[Event]) -> list[Event]:
    """All of ``events1`` plus the parts of ``events2`` that ``events1`` does not cover."""
    starts, ends = _disjoint(events1, join_touching=True)
    count = len(starts)
    pieces: list[Event] = []
    first = 0
    for event in sorted(events2, key=_by_start):
        cursor, e_end = event.start_us, event.end_us
        while first < count and ends[first] <= cursor:
            first += 1
        index = first
        while index < count and starts[index] < e_end:
            if starts[index] > cursor:
                pieces.append(_span(event, cursor, starts[index]))
            cursor = max(cursor, ends[index])
            index += 1
        if cursor < e_end:
            pieces.append(event if cursor == event.start_us else _span(event, cursor, e_end))
    return sorted([*events1, *pieces], key=_by_start)


def freeze(value: Any) -> Hashable:
    """A hashable stand-in for a JSON value that keeps 1, 1.0 and true apart."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is list or kind is tuple:
        return (list, tuple(freeze(v) for v in value))
    if kind is dict:
        return (dict, tuple(sorted((k, freeze(v)) for k, v in value.items())))
    try:
        hash(value)
    except TypeError:
        return (kind, id(value))
    return (kind, value)


def merge_events_by_keys(events: Sequence[Event], keys: Sequence[str]) -> list[Event]:
    """One event per distinct combination of ``keys``' values, durations summed.

    The merged event starts where the group's first event starts and its data holds only
    ``keys`` (those present). No keys returns the events unchanged.
    """
    if not keys:
        return list(events)
    groups: dict[Hashable, list[Any]] = {}
    single = keys[0] if len(keys) == 1 else None
    for event in events:
        data = event.data
        group_key: Hashable
        if single is not None:
            value = data.get(single, _MISSING)
            group_key = value if type(value) is str else freeze(value)
        else:
            group_key = tuple(
                [v if type(v) is str else freeze(v) for v in [data.get(k, _MISSING) for k in keys]]
            )
        group = groups.get(group_key)
        duration = event.end_us - event.start_us
        if group is None:
            groups[group_key] = [event.start_us, duration, data]
        else:
            group[1] += duration
    out = []
    for start, total, data in groups.values():
        merged = {k: data[k] for k in keys if k in data}
        out.append(Event(start, start + total, merged))
    return out


def chunk_events_by_key(events: Sequence[Event], key: str, pulsetime_us: int) -> list[Event]:
    """Runs of consecutive events with the same ``data[key]`` (gap < pulsetime) as one event.

    The chunk's data is ``{key: value, "subevents": [events...]}``; its duration is the sum
    of the subevents'. Events without ``key`` are skipped.
    """
    out: list[Event] = []
    last_value: Hashable = _MISSING
    last_end = 0
    for event in events:
        if key not in event.data:
            continue
        value = freeze(event.data[key])
        if out and value == last_value and event.start_us - last_end < pulsetime_us:
            chunk = out[-1]
            chunk.end_us += event.end_us - event.start_us
            chunk.data["subevents"].append(event)
        else:
            data = {key: event.data[key], "subevents": [event]}
            out.append(Event(event.start_us, event.end_us, data))
        last_value = value
        last_end = event.end_us
    return out


def flood(events: Sequence[Event], pulsetime_us: int) -> list[Event]:
    """Fill gaps of at most ``pulsetime`` between consecutive events; never overlaps.

    Sorted by start. Equal data across a small gap (or an overlap) merges into one event;
    different data splits the gap at its middle. When events with different data overlap, the
    later-starting one wins and the earlier is cut short (ActivityWatch does the same).
    Zero-duration results are dropped.
    """
    out: list[Event] = []
    for source in sorted(events, key=_by_start):
        event = _span(source, source.start_us, source.end_us)
        while out:
            last = out[-1]
            gap = event.start_us - last.end_us
            if gap > pulsetime_us:
                out.append(event)
                break
            if last.data is event.data or last.data == event.data:
                if event.end_us > last.end_us:
                    last.end_us = event.end_us
                break
            if gap >= 0:
                middle = last.end_us + gap // 2
                last.end_us = middle
                event.start_us = middle
                out.append(event)
                break
            last.end_us = event.start_us
            if last.end_us > last.start_us:
                out.append(event)
                break
            out.pop()
        else:
            out.append(event)
    return [e for e in out if e.end_us > e.start_us]


def split_url_events(events: Sequence[Event]) -> list[Event]:
    """Add ``$protocol``, ``$domain`` (no ``www.``), ``$path``, ``$params``, ``$options``
    and ``$identifier`` from ``data["url"]``."""
    parts_by_url: dict[str, dict[str, str]] = {}
    out = []
    for event in events:
        url = event.data.get("url")
        if not isinstance(url, str):
            out.append(event)
            continue
        parts = parts_by_url.get(url)
        if parts is None:
            try:
                parsed = urlparse(url)
                netloc = parsed.netloc
            except ValueError:
                parsed = urlparse("")
                netloc = ""
            parts = parts_by_url[url] = {
                "$protocol": parsed.scheme,
                "$domain": netloc[4:] if netloc.startswith("www.") else netloc,
                "$path": parsed.path,
                "$params": parsed.params,
                "$options": parsed.query,
                "$identifier": parsed.fragment,
            }
        out.append(_with_data(event, {**event.data, **parts}))
    return out


_PARENS_PREFIX = re.compile(r"^\([0-9]+\)\s*")
_LEADING_DOT = re.compile(r"^(●|\*)\s*")
_FPS = re.compile(r"FPS:\s+[0-9.]+")


def _simplify(text: str, window_title: bool) -> str:
    text = _PARENS_PREFIX.sub("", text)
    if window_title:
        text = _FPS.sub("FPS: ...", text)
        text = _LEADING_DOT.sub("", text)
    return text


def simplify_window_titles(events: Sequence[Event], key: str) -> list[Event]:
    """Drop noise from ``data[key]``: "(3) " counters; for window titles also a leading
    "●"/"*" (unsaved marker) and FPS counters."""
    out = []
    for event in events:
        value = event.data.get(key)
        if not isinstance(value, str):
            out.append(event)
            continue
        simple = _simplify(value, key == "title" and "app" in event.data)
        out.append(event if simple == value else _with_data(event, {**event.data, key: simple}))
    return out


def categorize(events: Sequence[Event], categorizer: Categorizer) -> list[Event]:
    """Set ``data["$category"]`` (a list of path names) on each event."""
    paths: dict[tuple[str, ...], list[str]] = {}
    done: dict[int, dict[str, Any]] = {}
    out = []
    for event in events:
        data = event.data
        new = done.get(id(data))
        if new is None:
            path = categorizer.categorize(data)
            names = paths.get(path)
            if names is None:
                names = paths[path] = list(path)
            new = done[id(data)] = {**data, "$category": names}
        out.append(_with_data(event, new))
    return out


def tag(events: Sequence[Event], tagger: Tagger) -> list[Event]:
    """Set ``data["$tags"]`` (every matching tag) on each event."""
    done: dict[int, dict[str, Any]] = {}
    out = []
    for event in events:
        data = event.data
        new = done.get(id(data))
        if new is None:
            new = done[id(data)] = {**data, "$tags": list(tagger.tags(data))}
        out.append(_with_data(event, new))
    return out
