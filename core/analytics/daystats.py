"""Per-day statistics from a digest and a classifier: what the Activity view shows of a day.

Each distinct data value is looked up once (``ValueTable``, memoized per classifier, by text
and by value dictionary id); a stored digest's values then map to their signatures with one
array index per day. The day's pieces are walked once for the hourly distribution, focus
sessions and context switches.
Category totals are summed per signature (``core.analytics.evidence``), the same way whether
the signatures were found by searching every rule or carried over from the day's evidence
under earlier rules, so both give the same figures.
"""

from __future__ import annotations

import threading
import zlib
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import orjson
from timelygator.core.analytics.digest import DayDigest, Span
from timelygator.core.analytics.evidence import Carry, DayEvidence, Matcher, Path, Signature
from timelygator.core.analytics.localdays import US_PER_HOUR, US_PER_S, AnalyticsSettings
from timelygator.core.categories.categorizer import domain_of
from timelygator.core.categories.model import productivity_percent


class Classifier(Matcher, Protocol):
    def signature(self, data: Mapping[str, Any]) -> Signature: ...

    def path_for(self, signature: Signature) -> Path: ...

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
    signature: Signature
    signature_id: int  # the signature's index in the table's ``signatures``


# The texts of value dictionary ids (``ValueDictionary.texts`` on a connection).
TextsOf = Callable[[np.ndarray[Any, Any]], list[str]]


def _no_texts(ids: np.ndarray[Any, Any]) -> list[str]:
    raise ValueError("a stored digest needs the value dictionary")


class ValueTable:
    """Memo of ``ValueInfo`` per data JSON text, and per value dictionary id, for one
    classifier (one categories version)."""

    def __init__(self, classifier: Classifier, settings: AnalyticsSettings) -> None:
        self.classifier = classifier
        self.productive_score = settings.productive_score
        self._memo: dict[str, ValueInfo] = {}
        self._by_id: dict[int, ValueInfo] = {}
        self._signature_of_id = np.full(0, -1, dtype=np.int32)
        self._lock = threading.Lock()
        self._carries: dict[tuple[str, ...], Carry] = {}
        self._signature_ids: dict[Signature, int] = {}
        self.signatures: list[Signature] = []  # distinct signatures seen, by id

    def __len__(self) -> int:
        return len(self._memo)

    def info(self, text: str) -> ValueInfo:
        """The value's info, every rule searched when the value is new to this table."""
        found = self._memo.get(text)
        if found is None:
            data = _data(text)
            found = self._memo[text] = self._info(data, self.classifier.signature(data))
        return found

    def carried(self, text: str, carry: Carry, signature: Signature) -> ValueInfo:
        """The value's info from its ``signature`` under earlier rules (``carry``)."""
        found = self._memo.get(text)
        if found is None:
            data = _data(text)
            found = self._memo[text] = self._info(data, carry.signature(signature, data))
        return found

    def carry(self, searched: list[str]) -> Carry:
        """How signatures found with the rule contents ``searched`` carry over."""
        found = self._carries.get(tuple(searched))
        if found is None:
            found = self._carries[tuple(searched)] = Carry(self.classifier, searched)
        return found

    def learn_ids(
        self,
        value_ids: list[int],
        texts: list[str],
        earlier: DayEvidence | None = None,
        positions: list[int] | None = None,
        *,
        infos: bool = False,
    ) -> list[int]:
        """The signature ids of dictionary ids (their ``texts``), remembered.

        With ``earlier`` evidence (and each value's ``positions`` in it) signatures are
        carried over; a value is then parsed only if a new rule content may match it.
        Without, ``infos`` also makes each value's info (for ``infos_of_ids``) in one go.
        """
        known = self._memo.get
        out: list[int] = []
        if earlier is None and infos:
            info_of, by_id = self.info, self._by_id
            for value_id, text in zip(value_ids, texts, strict=True):
                made = by_id[value_id] = known(text) or info_of(text)
                out.append(made.signature_id)
        elif earlier is None:
            signature = self.classifier.signature
            for text in texts:
                info = known(text)
                out.append(info.signature_id if info else self.signature_id(signature(_data(text))))
        else:
            assert positions is not None
            carry = self.carry(earlier.keys)
            signatures, index = earlier.signatures, earlier.index
            # The values a new rule content may match, found in one pass: the others (most,
            # after an edit) take their signature from the earlier one alone.
            searched = carry.searched_positions(texts)
            unsearched = carry.unsearched
            for i, (text, at) in enumerate(zip(texts, positions, strict=True)):
                info = known(text)
                if info is not None:
                    out.append(info.signature_id)
                elif searched is not None and i not in searched:
                    out.append(self.signature_id(unsearched(signatures[index[at]])))
                else:
                    found = carry.signature_of_text(signatures[index[at]], text, _data)
                    out.append(self.signature_id(found))
        with self._lock:  # growing replaces the array: no write may go to the old one
            table = self._signature_of_id
            top = max(value_ids, default=-1)
            if top >= len(table):
                grown = np.full(max(2 * len(table), top + 1, 1024), -1, dtype=np.int32)
                grown[: len(table)] = table
                table = self._signature_of_id = grown
            table[value_ids] = out
        return out

    def infos_of_ids(
        self, value_ids: list[int], signature_ids: list[int], texts_of: TextsOf
    ) -> list[ValueInfo]:
        """The infos of dictionary ids with their signature ids (from ``learn_ids``)."""
        by_id = self._by_id
        new = {v: s for v, s in zip(value_ids, signature_ids, strict=True) if v not in by_id}
        if new:
            texts = texts_of(np.asarray(list(new), dtype=np.int64))
            known = self._memo.get
            for (value_id, signature_id), text in zip(new.items(), texts, strict=True):
                info = known(text)
                if info is None:
                    signature = self.signatures[signature_id]
                    info = self._memo[text] = self._info(_data(text), signature)
                by_id[value_id] = info
        return [by_id[i] for i in value_ids]

    def signature_id(self, signature: Signature) -> int:
        found = self._signature_ids.get(signature)
        if found is None:
            found = self._signature_ids[signature] = len(self.signatures)
            self.signatures.append(signature)
        return found

    def signature_ids(self, ids: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The signature id of each of ``ids`` (-1 for ids not looked up yet)."""
        known = self._signature_of_id
        inside = ids < len(known)
        if inside.all():
            found: np.ndarray[Any, Any] = known[ids]
            return found
        out = np.full(len(ids), -1, dtype=np.int32)
        out[inside] = known[ids[inside]]
        return out

    def productive(self, path: Path) -> bool:
        score = self.classifier.score(path)
        return score is not None and score >= self.productive_score

    def percent(self, path: Path) -> float:
        return productivity_percent(self.classifier.score(path))

    def _info(self, data: dict[str, Any], signature: Signature) -> ValueInfo:
        app = data.get("app")
        title = data.get("title")
        url = data.get("url")
        url_s = url if isinstance(url, str) else ""
        path = self.classifier.path_for(signature)
        score = self.classifier.score(path)
        signature_id = self.signature_id(signature)
        return ValueInfo(
            app if isinstance(app, str) and app else "unknown",
            title if isinstance(title, str) else "",
            domain_of(url_s) if url_s else "",
            url_s,
            path,
            productivity_percent(score),
            score is not None and score >= self.productive_score,
            signature,
            signature_id,
        )


def _data(text: str) -> dict[str, Any]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


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


def _categorized(
    digest: DayDigest,
    table: ValueTable,
    earlier: DayEvidence | None,
    texts_of: TextsOf,
    *,
    full: bool = False,
) -> tuple[np.ndarray[Any, Any], DayEvidence]:
    """The signature id of each of the digest's values (carried from ``earlier`` evidence if
    it fits the digest), and the day's evidence."""
    fits = earlier is not None and len(earlier.index) == digest.size
    known = table._memo.get
    if digest.ids is None:
        if earlier is None or not fits:
            info = table.info
            infos = [known(text) or info(text) for text in digest.values]
        else:
            carry = table.carry(earlier.keys)
            carried = table.carried
            signatures = earlier.signatures
            infos = [
                known(text) or carried(text, carry, signatures[i])
                for text, i in zip(digest.values, earlier.index, strict=True)
            ]
        ids = np.fromiter((v.signature_id for v in infos), np.int64, len(infos))
    else:
        ids = table.signature_ids(digest.ids)
        new = np.flatnonzero(ids < 0)
        if len(new):
            value_ids = digest.ids[new]
            texts = texts_of(value_ids)
            positions = new.tolist() if fits else None
            ids[new] = table.learn_ids(
                value_ids.tolist(), texts, earlier if fits else None, positions, infos=full
            )
    # Signature ids are small: count them instead of sorting.
    present = np.bincount(ids) > 0
    distinct = np.flatnonzero(present)
    remap = np.cumsum(present) - 1
    index = remap[ids]
    us = np.bincount(
        index, weights=np.asarray(digest.value_us, dtype=np.float64), minlength=len(distinct)
    )
    evidence = DayEvidence(
        table.classifier.match_keys,
        [table.signatures[i] for i in distinct.tolist()],
        array("i", index.astype(np.int32).tobytes()),
        np.rint(us).astype(np.int64).tolist(),  # exact: integers below 2**53
    )
    return ids, evidence


def value_signature_ids(
    digest: DayDigest,
    table: ValueTable,
    earlier: DayEvidence | None = None,
    texts_of: TextsOf = _no_texts,
) -> np.ndarray[Any, Any]:
    """The signature id (in ``table.signatures``) of each of the digest's values, carried
    from ``earlier`` evidence when it fits the digest."""
    return _categorized(digest, table, earlier, texts_of)[0]


def _infos(
    digest: DayDigest, table: ValueTable, signature_ids: np.ndarray[Any, Any], texts_of: TextsOf
) -> list[ValueInfo]:
    """The info of each of the digest's values (their signature ids from ``_categorized``)."""
    if digest.ids is None:
        known = table._memo
        return [known[text] for text in digest.values]
    return table.infos_of_ids(digest.ids.tolist(), signature_ids.tolist(), texts_of)


def _totals(
    day: int, afk_us: int, evidence: DayEvidence, table: ValueTable, into: DayTotals | None = None
) -> DayTotals:
    """Category totals and weighted productivity, summed per signature."""
    out = into if into is not None else DayTotals(day)
    out.afk_us = afk_us
    path_for = table.classifier.path_for
    cats: dict[Path, int] = {}
    for signature, us in zip(evidence.signatures, evidence.us, strict=True):
        path = path_for(signature)
        cats[path] = cats.get(path, 0) + us
    out.categories = dict(sorted(cats.items()))
    out.active_us = sum(evidence.us)
    out.weighted = sum(table.percent(path) * us for path, us in out.categories.items())
    return out


def day_totals(
    digest: DayDigest,
    table: ValueTable,
    earlier: DayEvidence | None = None,
    texts_of: TextsOf = _no_texts,
) -> tuple[DayTotals, DayEvidence]:
    """Category totals of one day, and its evidence (carried from ``earlier`` if given).

    ``texts_of`` gives the texts of a stored digest's value ids not looked up yet."""
    _ids, evidence = _categorized(digest, table, earlier, texts_of)
    return _totals(digest.day, digest.afk_us, evidence, table), evidence


def stored_evidence(blob: bytes) -> tuple[int, DayEvidence] | None:
    """(AFK time, evidence) of a stored totals row, or None for rows written without evidence."""
    doc, rest = _first_stream(blob)
    if not rest:
        return None
    return doc["f"], DayEvidence.from_doc(orjson.loads(zlib.decompress(rest)))


def carried_totals(
    day: int, afk_us: int, earlier: DayEvidence, table: ValueTable
) -> tuple[DayTotals, DayEvidence] | None:
    """A day's totals from its evidence under other rules, when that evidence suffices.

    That is when no rule content is new (score, color, name, place, priority or removal
    edits): nothing is searched and the day's digest is not needed. None otherwise.
    """
    carry = table.carry(earlier.keys)
    if not carry.complete:
        return None
    evidence = earlier.carried(table.classifier.match_keys, carry.kept)
    return _totals(day, afk_us, evidence, table), evidence


def day_stats(
    digest: DayDigest,
    table: ValueTable,
    settings: AnalyticsSettings,
    now_us: int | None = None,
    earlier: DayEvidence | None = None,
    texts_of: TextsOf = _no_texts,
    earlier_stats: DayStats | None = None,
) -> tuple[DayStats, DayEvidence]:
    """Breakdowns, hourly, focus sessions, switches and gaps of one day, and its evidence.

    ``earlier_stats`` (the day's statistics under other rules or settings, stored with
    ``earlier``) lends what depends on neither: app, title, domain and URL breakdowns and
    context switches; hourly and focus then follow from the signatures, per piece.
    """
    reuse = earlier_stats is not None and earlier is not None
    reuse = reuse and len(earlier.index) == digest.size  # type: ignore[union-attr]
    signature_ids, evidence = _categorized(digest, table, earlier, texts_of, full=not reuse)
    out = DayStats(digest.day)
    _totals(digest.day, digest.afk_us, evidence, table, out)
    if reuse:
        assert earlier_stats is not None
        out.apps, out.titles = earlier_stats.apps, earlier_stats.titles
        out.domains, out.urls = earlier_stats.domains, earlier_stats.urls
        out.switches = earlier_stats.switches
        by_signature = np.frombuffer(evidence.index, dtype=np.int32)
        paths = [table.classifier.path_for(sig) for sig in evidence.signatures]
        n = len(by_signature)
        first_seen = np.full(len(paths), n, dtype=np.int64)
        np.minimum.at(first_seen, by_signature, np.arange(n))
        tops: dict[str, int] = {}
        top_id = np.zeros(len(paths), dtype=np.int64)
        for at in np.argsort(first_seen, kind="stable").tolist():
            top_id[at] = tops.setdefault(paths[at][0], len(tops))
        productive = np.array([table.productive(p) for p in paths], dtype=np.bool_)
        _walk_pieces(
            digest, top_id[by_signature], list(tops), productive[by_signature], None, settings, out
        )
    else:
        infos = _infos(digest, table, signature_ids, texts_of)
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
        top_names: dict[str, int] = {}
        app_names: dict[str, int] = {}
        count = len(infos)
        top_of = np.fromiter(
            (top_names.setdefault(v.path[0], len(top_names)) for v in infos), np.int64, count
        )
        app_of = np.fromiter(
            (app_names.setdefault(v.app, len(app_names)) for v in infos), np.int64, count
        )
        productive_of = np.fromiter((v.productive for v in infos), np.bool_, count)
        _walk_pieces(digest, top_of, list(top_names), productive_of, app_of, settings, out)
    out.gaps = untracked_gaps(digest, settings.gap_min_s, now_us)
    return out, evidence


def _walk_pieces(
    digest: DayDigest,
    top_of: np.ndarray[Any, Any],
    names: list[str],
    productive_of: np.ndarray[Any, Any],
    app_of: np.ndarray[Any, Any] | None,
    settings: AnalyticsSettings,
    out: DayStats,
) -> None:
    """Hourly distribution, context switches (unless ``app_of`` is None) and focus sessions,
    vectorized over pieces; ``*_of`` are per value, ``names`` the top categories."""
    n = len(digest.starts)
    if not n:
        return
    starts = np.frombuffer(digest.starts, dtype=np.int64)
    ends = np.frombuffer(digest.ends, dtype=np.int64)
    vidx = np.frombuffer(digest.vidx, dtype=np.int32)
    offsets = np.frombuffer(digest.offsets, dtype=np.int32).astype(np.int64) * US_PER_S
    out.first_us = int(starts[0])
    out.last_us = int(ends.max())
    tops = names
    top = top_of[vidx]

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
    if app_of is not None:
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
def encode_totals(totals: DayTotals, evidence: DayEvidence) -> bytes:
    """The totals, then the evidence as a second zlib stream (read only after rule changes)."""
    doc = {
        "a": totals.active_us,
        "f": totals.afk_us,
        "w": totals.weighted,
        "c": [[list(path), us] for path, us in totals.categories.items()],
    }
    return zlib.compress(orjson.dumps(doc), 1) + zlib.compress(orjson.dumps(evidence.to_doc()), 1)


def _first_stream(blob: bytes) -> tuple[Any, bytes]:
    """The JSON document of a blob's first zlib stream, and the bytes after it."""
    reader = zlib.decompressobj()
    doc = orjson.loads(reader.decompress(blob))
    return doc, reader.unused_data


def decode_totals(day: int, blob: bytes, into: DayTotals | None = None) -> DayTotals:
    doc, _evidence = _first_stream(blob)
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
