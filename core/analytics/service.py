"""Analytics on the store, fast on years of data: the entry point for GUI, CLI and API.

``summary(services, start_us, end_us, settings)`` and ``daily_trend(...)`` work from day
digests (``core.analytics.digest``), found in three places, fastest first:

1. memory (``AnalyticsService``, one per ``Services``; dropped by the writer's change listener
   for the days an event change touches, before the writer acknowledges the change);
2. the ``day_digests`` table (complete past days; the writer deletes the rows of touched days
   in the same transaction as the change, so a stored digest is never stale). Stored digests
   name their values by id in the value dictionary (``core.analytics.values``); the writer
   assigns ids to new values when it stores the digests;
3. the events themselves: one ranged SQL read per bucket for a run of missing days, clipped
   in SQL; Python works on tuples and decodes each distinct data text once.

Per-day statistics depend on the categories; they are cached per categories version (a
fingerprint of every rule, color and score), and each distinct data value is categorized once
per version (``ValueTable``, by text and by dictionary id: the texts of a run of stored days
are read in one query, only for the ids not seen yet). A stored day also keeps its match
evidence (``core.analytics.evidence``): after a rule change, a day's statistics are carried
over from the row written under the earlier rules, searching only new or edited regexes, and
only in values whose text holds one of their literals (for the totals of a trend, reading no
digest at all when no regex is new). The earlier row also lends its category-independent
parts (apps, titles, domains, URLs, context switches). Changing a rule therefore never
re-reads events, and rarely searches more than the edited rule.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection
from timelygator.core.analytics.classifier import CategoryClassifier
from timelygator.core.analytics.daystats import (
    DayStats,
    DayTotals,
    ValueTable,
    carried_totals,
    day_stats,
    day_totals,
    decode_stats,
    decode_totals,
    encode_stats,
    encode_totals,
    stored_evidence,
)
from timelygator.core.analytics.digest import FORMAT as DIGEST_FORMAT
from timelygator.core.analytics.digest import (
    DataCache,
    DayDigest,
    Row,
    active_pieces,
    build_digests,
)
from timelygator.core.analytics.evidence import DayEvidence
from timelygator.core.analytics.localdays import (
    MAX_OFFSET_US,
    US_PER_DAY,
    US_PER_HOUR,
    AnalyticsSettings,
    OffsetResolver,
    day_bounds,
    day_date,
    day_number,
    local_day,
)
from timelygator.core.analytics.summary import Summary
from timelygator.core.analytics.tree import category_tree, flatten
from timelygator.core.analytics.trends import DailyTotals
from timelygator.core.analytics.values import ValueDictionary, drop_unreferenced
from timelygator.core.categories.model import Category
from timelygator.core.categories.stored import categories_version, load_stored_categories
from timelygator.core.event import Event, bucket_host
from timelygator.core.services import Services
from timelygator.core.writer import Change

log = logging.getLogger(__name__)

WINDOW_TYPES = ("currentwindow",)
AFK_TYPES = ("afkstatus",)
_MEMORY_DAYS = 120  # digests with pieces kept in memory
_STATS_DAYS = 2000  # per-day statistics kept in memory (small)

# Events overlapping [lo, hi) (UTC, wide enough for any offset), clipped to it, keeping only
# those whose *local* span (by their own offset) overlaps the days [llo, lhi).
_RANGE_SQL = (
    "SELECT max(start_us, :lo), min(end_us, :hi), tz_offset_s, data FROM events "
    "WHERE bucket_id = :b AND start_us < :hi "
    "AND start_us >= :lo - (SELECT max_duration_us FROM buckets WHERE id = :b) "
    "AND end_us > :lo AND (tz_offset_s IS NULL OR "
    "(start_us + tz_offset_s * 1000000 < :lhi AND end_us + tz_offset_s * 1000000 > :llo)) "
    "ORDER BY start_us"
)


@dataclass(frozen=True, slots=True)
class CategorySet:
    """Categories with their fingerprint and the classifier built from them."""

    categories: list[Category]
    version: str
    classifier: CategoryClassifier


# Changes after which texts of values may be left that no event has any more.
_REMOVALS = frozenset({"event_deleted", "events_purged", "bucket_deleted"})


class AnalyticsService:
    """Caches of digests and per-day statistics for one ``Services``; thread-safe."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()
        self._digests: OrderedDict[tuple[int, int, tuple[str, ...]], DayDigest] = OrderedDict()
        self._stats: OrderedDict[tuple[Any, ...], DayTotals] = OrderedDict()
        self._tables: OrderedDict[tuple[str, AnalyticsSettings], ValueTable] = OrderedDict()
        self._category_sets: dict[str, CategorySet] = {}
        self._generation = 0
        # local day number -> generation of the last change that may have touched it
        self._day_generation: dict[int, int] = {}
        self._all_generation = 0
        self._offsets = OffsetResolver()
        self._data = DataCache()
        self._values = ValueDictionary(services.user_id)
        self.stats = {"memory": 0, "table": 0, "computed": 0, "persisted": 0, "stats_table": 0}
        self.value_cleanup: Future[int] | None = None
        services.writer.add_change_listener(self._on_changes)
        # Events deleted while no analytics ran (another process, an import) may have left
        # value texts behind: look once now.
        self._drop_unreferenced_values()

    def _drop_unreferenced_values(self) -> None:
        """Queue a writer call that removes value texts no stored digest refers to any more.

        Privacy: when events are deleted (by the user, retention or a bucket's deletion) or
        changed, their texts must not live on in ``analytics_values``. One call is queued at
        a time; it runs after the change's own transaction committed, which dropped the
        digests of the touched days.
        """
        pending = self.value_cleanup
        if pending is not None and not pending.done():
            return
        user = self.services.user_id
        try:
            self.value_cleanup = self.services.writer.call(
                lambda conn: drop_unreferenced(conn, user)
            )
        except Exception:  # the store is closing: the next start looks again
            log.debug("Not dropping unreferenced values now", exc_info=True)

    # -- invalidation ------------------------------------------------------------------------
    def _on_changes(self, changes: list[Change]) -> None:
        with self._lock:
            self._generation += 1
            gen = self._generation
            everything = False
            days: set[int] = set()
            for change in changes:
                known = change.span is not None or not (
                    change.replaced or change.kind == "event_deleted"
                )
                if change.kind in ("event", "event_deleted") and known:
                    # The local days an event can touch (any offset, any day start): as the
                    # writer clears stored rows (``Writer._touch``); a replaced or deleted
                    # event's old span too.
                    for start_us, end_us in (
                        (e.start_us, e.end_us) for e in (change.event,) if e is not None
                    ):
                        days.update(_touchable_days(start_us, end_us))
                    if change.span is not None:
                        days.update(_touchable_days(*change.span))
                elif change.kind != "other":
                    # Purged events, buckets, or a change whose old times are unknown.
                    everything = True
            if any(c.replaced or c.kind in _REMOVALS for c in changes):
                self._drop_unreferenced_values()
            if everything:
                self._all_generation = gen
                self._digests.clear()
                self._stats.clear()
                return
            for number in days:
                self._day_generation[number] = gen
            if days:
                stale = [k for k in self._digests if k[0] in days]
                for key in stale:
                    del self._digests[key]
                stale_stats = [k for k in self._stats if k[0] in days]
                for key in stale_stats:
                    del self._stats[key]

    def _changed_since(self, numbers: Iterable[int], generation: int) -> bool:
        if self._all_generation > generation:
            return True
        day_gen = self._day_generation
        return any(day_gen.get(n, 0) > generation for n in numbers)

    # -- categories --------------------------------------------------------------------------
    def category_set(self, categories: Sequence[Category] | None = None) -> CategorySet:
        if categories is None:
            with self.services.read() as conn:
                categories = load_stored_categories(conn, self.services.user_id)
        version = categories_version(categories)
        with self._lock:
            found = self._category_sets.get(version)
            if found is None:
                found = CategorySet(list(categories), version, CategoryClassifier(categories))
                if len(self._category_sets) > 8:
                    self._category_sets.clear()
                self._category_sets[version] = found
        return found

    def _value_table(self, cats: CategorySet, settings: AnalyticsSettings) -> ValueTable:
        key = (cats.version, settings)
        with self._lock:
            table = self._tables.get(key)
            if table is None:
                table = self._tables[key] = ValueTable(cats.classifier, settings)
                while len(self._tables) > 4:
                    self._tables.popitem(last=False)
            return table

    # -- digests -----------------------------------------------------------------------------
    def digests(
        self,
        first: int,
        last: int,
        day_start_s: int,
        *,
        pieces: bool = True,
        hosts: tuple[str, ...] = (),
    ) -> list[DayDigest]:
        """Digests of local days ``first..last`` (day numbers), in order; of the buckets of
        ``hosts`` only when given (those are kept in memory, never stored)."""
        found: dict[int, DayDigest] = {}
        with self._lock:
            generation = self._generation
            for number in range(first, last + 1):
                digest = self._digests.get((number, day_start_s, hosts))
                if digest is not None:
                    self._digests.move_to_end((number, day_start_s, hosts))
                    found[number] = digest
        self.stats["memory"] += len(found)
        missing = [n for n in range(first, last + 1) if n not in found]
        if missing:
            with self.services.read() as conn:
                stored = (
                    {} if hosts else self._load_stored(conn, missing, day_start_s, pieces=pieces)
                )
                self.stats["table"] += len(stored)
                found.update(stored)
                missing = [n for n in missing if n not in found]
                computed: dict[int, DayDigest] = {}
                for run in _runs(missing):
                    computed.update(self._compute(conn, run[0], run[-1], day_start_s, hosts))
            self.stats["computed"] += len(computed)
            found.update(computed)
            if not hosts:
                self._persist(computed, day_start_s, generation)
            if pieces:
                self._remember({**stored, **computed}, (day_start_s, hosts), generation)
        return [found[n] for n in range(first, last + 1)]

    def _remember(
        self, digests: dict[int, DayDigest], key: tuple[int, tuple[str, ...]], generation: int
    ) -> None:
        with self._lock:
            for number, digest in digests.items():
                if self._changed_since((number,), generation):
                    continue
                self._digests[(number, *key)] = digest
            while len(self._digests) > _MEMORY_DAYS:
                self._digests.popitem(last=False)

    def _load_stored(
        self, conn: Connection, numbers: list[int], day_start_s: int, *, pieces: bool
    ) -> dict[int, DayDigest]:
        column = "pieces" if pieces else "NULL"
        rows = conn.exec_driver_sql(
            f"SELECT day, totals, {column} FROM day_digests "  # noqa: S608 - fixed names
            "WHERE user_id = ? AND day_start_s = ? AND day BETWEEN ? AND ?",
            (self.services.user_id, day_start_s, numbers[0], numbers[-1]),
        ).all()
        wanted = set(numbers)
        out: dict[int, DayDigest] = {}
        for number, totals, blob in rows:
            if number not in wanted:
                continue
            try:
                out[number] = DayDigest.decode(number, totals, blob)
            except (ValueError, KeyError, TypeError):
                log.warning("Ignoring an unreadable day digest for day %s", number)
        return out

    def _buckets(
        self, conn: Connection, hosts: tuple[str, ...] = ()
    ) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]]:
        """Window and AFK buckets as (host, id), web buckets as (name, id); only those of
        ``hosts`` when given."""
        found = [
            (int(r[0]), str(r[1]), str(r[2]), bucket_host(str(r[1]), str(r[3] or "")))
            for r in conn.exec_driver_sql(
                "SELECT id, name, type, hostname FROM buckets WHERE user_id = ?",
                (self.services.user_id,),
            )
        ]
        if hosts:
            found = [b for b in found if b[3] in hosts]
        window = [(host, key) for key, _name, kind, host in found if kind in WINDOW_TYPES]
        afk = [(host, key) for key, _name, kind, host in found if kind in AFK_TYPES]
        web = [(name, key) for key, name, kind, _host in found if kind.startswith("web.")]
        return window, afk, web

    def _compute(
        self, conn: Connection, first: int, last: int, day_start_s: int, hosts: tuple[str, ...]
    ) -> dict[int, DayDigest]:
        """Digests of days ``first..last`` from the events (one ranged read per bucket)."""
        llo = first * US_PER_DAY + day_start_s * 1_000_000
        lhi = (last + 1) * US_PER_DAY + day_start_s * 1_000_000
        lo, hi = llo - MAX_OFFSET_US, lhi + MAX_OFFSET_US
        window_ids, afk_ids, web_ids = self._buckets(conn, hosts)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:

            def read(bucket: int) -> list[Row]:
                params = {"lo": lo, "hi": hi, "llo": llo, "lhi": lhi, "b": bucket}
                cursor.execute(_RANGE_SQL, params)
                return list(cursor.fetchall())

            window = [(host, read(b)) for host, b in window_ids]
            afk = [(host, read(b)) for host, b in afk_ids]
            web = [(name, read(b)) for name, b in web_ids]
        finally:
            cursor.close()
        pieces, away, tracked = active_pieces(window, afk, web, self._offsets, self._data)
        if len(self._data.data) > 200_000:
            self._data = DataCache()
        return build_digests(pieces, away, tracked, first, last, day_start_s, self._offsets)

    def _persist(self, computed: dict[int, DayDigest], day_start_s: int, generation: int) -> None:
        """Store the digests of complete past days (their values get dictionary ids in the
        writer's transaction)."""
        user = self.services.user_id
        digests = [d for d in computed.values() if self._complete(d.day, day_start_s)]
        pieces = [d.encode_pieces() for d in digests]
        values = self._values

        def rows(conn: Connection) -> tuple[list[tuple[Any, ...]], Any]:
            ids = values.assign(conn, (text for d in digests for text in d.values))
            out = [
                (d.day, day_start_s, user, d.encode_totals([ids[t] for t in d.values]), p)
                for d, p in zip(digests, pieces, strict=True)
            ]
            return out, ids

        self._write_rows(
            "INSERT OR REPLACE INTO day_digests (day, day_start_s, user_id, totals, pieces) "
            "VALUES (?, ?, ?, ?, ?)",
            "day_digests",
            [d.day for d in digests],
            rows,
            generation,
            values.learn,
        )

    def _texts_of(self, ids: np.ndarray[Any, Any]) -> list[str]:
        """The texts of value dictionary ids (cached, else read)."""
        return self._values.texts(ids, self.services.read)

    def _prefetch(self, digests: Sequence[DayDigest], table: ValueTable) -> None:
        """Read in one go the texts of the stored digests' values ``table`` has not seen."""
        stored = [d.ids for d in digests if d.ids is not None]
        if stored:
            ids = np.unique(np.concatenate(stored))
            self._texts_of(ids[table.signature_ids(ids) < 0])

    def _complete(self, number: int, day_start_s: int) -> bool:
        end = (number + 1) * US_PER_DAY + day_start_s * 1_000_000 + MAX_OFFSET_US
        return end < self.services.clock.now_us()

    def _write_rows(
        self,
        sql: str,
        table: str,
        numbers: list[int],
        rows: Callable[[Connection], tuple[list[tuple[Any, ...]], Any]],
        generation: int,
        committed: Callable[[Any], None] | None = None,
    ) -> None:
        """Write cache rows through the writer; undo them if an event change raced the write.

        ``rows(conn)`` makes the rows (and something for ``committed``, called once they are
        committed) in the writer's transaction."""
        if not numbers:
            return

        def write(conn: Connection) -> Any:
            if self._changed_since(numbers, generation):
                return None
            made, extra = rows(conn)
            conn.exec_driver_sql(sql, made)
            return extra

        def check(future: Future[Any]) -> None:
            if future.exception() is not None:
                return
            if committed is not None and future.result() is not None:
                committed(future.result())
            # A change committed in the same transaction as the write would not have been
            # seen by ``write``; its listener has run by now: drop what it may have touched.
            if self._changed_since(numbers, generation):
                self.services.writer.call(
                    lambda conn: conn.exec_driver_sql(
                        f"DELETE FROM {table} WHERE day BETWEEN ? AND ?",  # noqa: S608
                        (min(numbers), max(numbers)),
                    )
                )
            else:
                self.stats["persisted"] += len(numbers)

        try:
            future = self.services.writer.call(write)
        except Exception:  # the store is closing: these rows are only a cache
            log.debug("Not persisting analytics rows", exc_info=True)
            return
        self.last_persist = future
        future.add_done_callback(check)

    # -- per-day statistics ------------------------------------------------------------------
    def day_stats(
        self, first: int, last: int, settings: AnalyticsSettings, cats: CategorySet
    ) -> list[DayStats]:
        now = self.services.clock.now_us()
        out: dict[int, DayStats] = {}
        missing: list[int] = []
        with self._lock:
            generation = self._generation
            for number in range(first, last + 1):
                found = self._stats.get(_stats_key(number, settings, cats, "full"))
                if isinstance(found, DayStats):
                    out[number] = found
                else:
                    missing.append(number)
        earlier: dict[int, tuple[int, DayEvidence]] = {}
        earlier_stats: dict[int, DayStats] = {}
        if missing and not settings.hosts:
            stored, earlier = self._load_stats(
                missing, settings, cats, full=True, into=earlier_stats
            )
            self.stats["stats_table"] += len(stored)
            out.update(stored)
            self._keep_stats(list(stored), out, settings, cats, "full", generation, now)
            missing = [n for n in missing if n not in stored]
        if missing:
            table = self._value_table(cats, settings)
            rows = []
            key = _table_key(settings, cats)
            for run in _runs(missing):
                digests = self.digests(run[0], run[-1], settings.day_start_s, hosts=settings.hosts)
                self._prefetch(digests, table)
                for digest in digests:
                    stats, evidence = day_stats(
                        digest,
                        table,
                        settings,
                        now,
                        _evidence(earlier, digest.day),
                        self._texts_of,
                        earlier_stats.get(digest.day),
                    )
                    out[digest.day] = stats
                    if self._complete(digest.day, settings.day_start_s):
                        rows.append(
                            (
                                digest.day,
                                settings.day_start_s,
                                self.services.user_id,
                                key,
                                encode_totals(stats, evidence),
                                encode_stats(stats),
                            )
                        )
                self._keep_stats(run, out, settings, cats, "full", generation, now)
            if not settings.hosts:
                self._write_stats(_STATS_SQL, rows, generation)
        return [out[n] for n in range(first, last + 1)]

    def day_totals(
        self, first: int, last: int, settings: AnalyticsSettings, cats: CategorySet
    ) -> list[DayTotals]:
        out: dict[int, DayTotals] = {}
        missing: list[int] = []
        with self._lock:
            generation = self._generation
            for number in range(first, last + 1):
                found = self._stats.get(_stats_key(number, settings, cats, "full"))
                found = found or self._stats.get(_stats_key(number, settings, cats, "totals"))
                if found is not None:
                    out[number] = found
                else:
                    missing.append(number)
        now = self.services.clock.now_us()
        earlier: dict[int, tuple[int, DayEvidence]] = {}
        if missing and not settings.hosts:
            stored, earlier = self._load_stats(missing, settings, cats, full=False)
            self.stats["stats_table"] += len(stored)
            out.update(stored)
            self._keep_stats(list(stored), out, settings, cats, "totals", generation, now)
            missing = [n for n in missing if n not in stored]
        if missing:
            table = self._value_table(cats, settings)
            key = _table_key(settings, cats)
            rows = []

            def row(number: int, totals: DayTotals, evidence: DayEvidence) -> None:
                out[number] = totals
                if self._complete(number, settings.day_start_s):
                    rows.append(
                        (
                            number,
                            settings.day_start_s,
                            self.services.user_id,
                            key,
                            encode_totals(totals, evidence),
                            b"",
                        )
                    )

            # Days whose evidence under earlier rules suffices: no digest needed.
            for number in [n for n in missing if n in earlier]:
                carried = carried_totals(number, *earlier[number], table)
                if carried is not None:
                    row(number, *carried)
            done = [n for n in missing if n in out]
            self._keep_stats(done, out, settings, cats, "totals", generation, now)
            missing = [n for n in missing if n not in out]
            for run in _runs(missing):
                digests = self.digests(
                    run[0], run[-1], settings.day_start_s, pieces=False, hosts=settings.hosts
                )
                self._prefetch(digests, table)
                for digest in digests:
                    evidence = _evidence(earlier, digest.day)
                    row(digest.day, *day_totals(digest, table, evidence, self._texts_of))
                self._keep_stats(run, out, settings, cats, "totals", generation, now)
            # Totals only (empty stats): never replaces a full row of the same key.
            if not settings.hosts:
                self._write_stats(_TOTALS_SQL, rows, generation)
        return [out[n] for n in range(first, last + 1)]

    def _write_stats(self, sql: str, rows: list[tuple[Any, ...]], generation: int) -> None:
        """Store complete days' statistics (of all hosts: a host's are kept in memory)."""
        numbers = [r[0] for r in rows]
        self._write_rows(sql, "day_stats", numbers, lambda _conn: (rows, None), generation)

    def _load_stats(
        self,
        numbers: list[int],
        settings: AnalyticsSettings,
        cats: CategorySet,
        *,
        full: bool,
        into: dict[int, DayStats] | None = None,
    ) -> tuple[dict[int, Any], dict[int, tuple[int, DayEvidence]]]:
        """Stored statistics of these rules and settings, and the (AFK time, evidence) of the
        days stored under other rules or settings (and ``into`` their statistics)."""
        column = "stats" if full else "NULL"
        key = _table_key(settings, cats)
        with self.services.read() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT day, key, totals, {column} "  # noqa: S608
                "FROM day_stats WHERE user_id = ? AND day_start_s = ? AND day BETWEEN ? AND ?",
                (self.services.user_id, settings.day_start_s, numbers[0], numbers[-1]),
            ).all()
        wanted = set(numbers)
        out: dict[int, Any] = {}
        earlier: dict[int, tuple[int, DayEvidence]] = {}
        current = key.partition(":")[0] + ":"
        for number, row_key, totals, stats in rows:
            if number not in wanted or not str(row_key).startswith(current):
                continue
            try:
                if row_key != key or (full and not stats):
                    found = stored_evidence(totals)
                    if found is not None:
                        earlier[number] = found
                        if stats and into is not None:
                            into[number] = decode_stats(number, totals, stats)
                elif full:
                    out[number] = decode_stats(number, totals, stats)
                else:
                    out[number] = decode_totals(number, totals)
            except (ValueError, KeyError, TypeError):
                log.warning("Ignoring unreadable day statistics for day %s", number)
        return out, earlier

    def _keep_stats(
        self,
        run: list[int],
        out: dict[int, Any],
        settings: AnalyticsSettings,
        cats: CategorySet,
        kind: str,
        generation: int,
        now: int,
    ) -> None:
        with self._lock:
            for number in run:
                # Today changes every few seconds and its gaps depend on "now": not cached.
                if (number + 2) * US_PER_DAY > now:
                    continue
                if self._changed_since((number,), generation):
                    continue
                self._stats[_stats_key(number, settings, cats, kind)] = out[number]
            while len(self._stats) > _STATS_DAYS:
                self._stats.popitem(last=False)


_STATS_SQL = (
    "INSERT OR REPLACE INTO day_stats (day, day_start_s, user_id, key, totals, stats) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_TOTALS_SQL = (
    "INSERT INTO day_stats (day, day_start_s, user_id, key, totals, stats) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, day_start_s, user_id) DO UPDATE SET "
    "key = excluded.key, totals = excluded.totals, stats = excluded.stats "
    "WHERE day_stats.key != excluded.key"
)


def _table_key(settings: AnalyticsSettings, cats: CategorySet) -> str:
    """What stored statistics depend on: the categories and the settings (not week start),
    after the format of the digests they were computed from (rows of another format are
    ignored, never carried over: a change of the rules needs no migration)."""
    relevant = replace(settings, week_start=0)
    raw = f"{cats.version}|{relevant!r}".encode()
    return f"{DIGEST_FORMAT}:{hashlib.blake2b(raw, digest_size=12).hexdigest()}"


def _evidence(earlier: dict[int, tuple[int, DayEvidence]], number: int) -> DayEvidence | None:
    found = earlier.get(number)
    return found[1] if found is not None else None


def _stats_key(
    number: int, settings: AnalyticsSettings, cats: CategorySet, kind: str
) -> tuple[Any, ...]:
    return (number, kind, settings, cats.version)


def _runs(numbers: Sequence[int]) -> list[list[int]]:
    """Consecutive runs of sorted day numbers."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][-1] == n - 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


_SERVICES: weakref.WeakKeyDictionary[Services, AnalyticsService] = weakref.WeakKeyDictionary()
_SERVICES_LOCK = threading.Lock()


def analytics_for(services: Services) -> AnalyticsService:
    """The (cached) analytics service of an open ``Services``."""
    with _SERVICES_LOCK:
        found = _SERVICES.get(services)
        if found is None:
            found = _SERVICES[services] = AnalyticsService(services)
        return found


def _touchable_days(start_us: int, end_us: int) -> range:
    """The day numbers a span can fall in under any UTC offset and day start."""
    return range(start_us // US_PER_DAY - 2, end_us // US_PER_DAY + 2)


# -- public entry points --------------------------------------------------------------------
def days_of(start_us: int, end_us: int, settings: AnalyticsSettings) -> tuple[date, date]:
    """The local days a UTC range covers (system zone; days start at the configured hour)."""
    offsets = OffsetResolver()
    first = local_day(start_us, offsets(start_us), settings.day_start_s)
    last = local_day(max(start_us, end_us - 1), offsets(end_us - 1), settings.day_start_s)
    return day_date(first), day_date(last)


def summary(
    services: Services,
    start_us: int,
    end_us: int,
    settings: AnalyticsSettings | None = None,
    *,
    categories: Sequence[Category] | None = None,
) -> Summary:
    """Everything the Activity view shows for the local days covering [start_us, end_us)."""
    settings = settings or AnalyticsSettings()
    first, last = days_of(start_us, end_us, settings)
    return summary_for_days(services, first, last, settings, categories=categories)


def summary_for_days(
    services: Services,
    first: date,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    categories: Sequence[Category] | None = None,
) -> Summary:
    """The summary of local days ``first..last`` (inclusive)."""
    settings, service, cats = _prepare(services, settings, categories)
    d0, d1 = day_number(first), day_number(last)
    days = service.day_stats(d0, d1, settings, cats)
    return _combine(days, first, last, settings, cats)


def stats_for_days(
    services: Services,
    first: date,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    categories: Sequence[Category] | None = None,
) -> list[DayStats]:
    """Each local day's statistics (``first..last``, in order): what a summary adds up."""
    settings, service, cats = _prepare(services, settings, categories)
    return service.day_stats(day_number(first), day_number(last), settings, cats)


def daily_trend(
    services: Services,
    first: date,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    categories: Sequence[Category] | None = None,
) -> DailyTotals:
    """Active time per local day, stacked by top-level category (for trend charts)."""
    settings, service, cats = _prepare(services, settings, categories)
    days = service.day_totals(day_number(first), day_number(last), settings, cats)
    return _daily(days, first)


def uncomputed_days(
    services: Services,
    first: date,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    categories: Sequence[Category] | None = None,
) -> int:
    """How many of local days ``first..last`` have no statistics yet, or (with
    ``categories``) none under these categories: nothing in memory, no row in the table.
    Those are worked out when asked for, from the events (a fraction of a second a day) or
    carried over from other rules (less). Views use it to show that work progressively."""
    settings = settings or AnalyticsSettings()
    service = analytics_for(services)
    version = None if categories is None else service.category_set(categories).version
    d0, d1 = day_number(first), day_number(last)
    with service._lock:
        known = {
            k[0]
            for k in service._stats
            if d0 <= k[0] <= d1 and k[2] == settings and version in (None, k[3])
        }
    if not settings.hosts:
        pattern = f"{DIGEST_FORMAT}:%"
        if categories is not None:
            pattern = _table_key(settings, service.category_set(categories))
        with services.read() as conn:
            known.update(
                int(row[0])
                for row in conn.exec_driver_sql(
                    "SELECT day FROM day_stats WHERE user_id = ? AND day_start_s = ? "
                    "AND day BETWEEN ? AND ? AND key LIKE ? AND length(stats) > 0",
                    (services.user_id, settings.day_start_s, d0, d1, pattern),
                )
            )
    return (d1 - d0 + 1) - len(known)


@dataclass(slots=True)
class DayPieces:
    """One local day's active pieces as arrays (what a day row of a timeline draws).

    ``starts``/``ends`` (UTC microseconds, sorted by start) and ``offsets`` per piece;
    ``value`` indexes the day's distinct values: ``paths`` (each value's category) and their
    data, read and parsed only when a piece is asked for (``event``).
    """

    day: date
    starts: np.ndarray[Any, np.dtype[np.int64]]
    ends: np.ndarray[Any, np.dtype[np.int64]]
    offsets: np.ndarray[Any, np.dtype[np.int32]]
    value: np.ndarray[Any, np.dtype[np.int32]]
    paths: list[tuple[str, ...]]
    text_of: Callable[[int], str]
    _datas: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.starts.size)

    def data(self, value: int) -> dict[str, Any]:
        """The data of value ``value`` (parsed once; shared by the pieces holding it)."""
        found = self._datas.get(value)
        if found is None:
            found = self._datas[value] = _data_of(self.text_of(value), {})
        return found

    def event(self, index: int) -> Event:
        """Piece ``index`` as an event."""
        return Event(
            int(self.starts[index]),
            int(self.ends[index]),
            self.data(int(self.value[index])),
            tz_offset_s=int(self.offsets[index]),
        )

    def path(self, index: int) -> tuple[str, ...]:
        return self.paths[int(self.value[index])]


def day_pieces(
    services: Services,
    first: date,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    categories: Sequence[Category] | None = None,
) -> list[DayPieces]:
    """The active pieces of local days ``first..last``, day by day, as arrays with their
    values' category path: no Python object per piece, and for days whose statistics were
    just worked out (a summary of them) no value searched again, so a month of a busy year
    (~400k pieces) is ready in a fraction of a second."""
    settings, service, cats = _prepare(services, settings, categories)
    table = service._value_table(cats, settings)
    path_for = cats.classifier.path_for
    by_signature: dict[int, tuple[str, ...]] = {}
    out: list[DayPieces] = []
    digests = service.digests(
        day_number(first), day_number(last), settings.day_start_s, hosts=settings.hosts
    )
    stored: dict[int, list[tuple[str, ...]]] | None = None
    for digest in digests:
        ids = digest.ids
        if ids is None:
            texts: list[str] = digest.values
            paths = [table.info(text).path for text in texts]
            text_of: Callable[[int], str] = texts.__getitem__
            out.append(_day_pieces(digest, paths, text_of))
            continue
        signature_ids = table.signature_ids(ids).tolist()
        if min(signature_ids, default=0) < 0:  # values this process has not categorized
            if stored is None:  # the signatures the stored statistics found, read once
                stored = _stored_paths(service, digests, settings, cats)
            found = stored.get(digest.day)
            if found is not None and len(found) == digest.size:
                out.append(_day_pieces(digest, found, _id_text(service, ids)))
                continue
            texts = service._texts_of(ids)
            paths = [table.info(text).path for text in texts]
            text_of = texts.__getitem__
        else:
            for sid in set(signature_ids) - by_signature.keys():
                by_signature[sid] = path_for(table.signatures[sid])
            paths = [by_signature[sid] for sid in signature_ids]
            text_of = _id_text(service, ids)
        out.append(_day_pieces(digest, paths, text_of))
    return out


def _day_pieces(
    digest: DayDigest, paths: list[tuple[str, ...]], text_of: Callable[[int], str]
) -> DayPieces:
    return DayPieces(
        day_date(digest.day),
        np.frombuffer(digest.starts, dtype=np.int64),
        np.frombuffer(digest.ends, dtype=np.int64),
        np.asarray(digest.offsets, dtype=np.int32),
        np.asarray(digest.vidx, dtype=np.int32),
        paths,
        text_of,
    )


def _stored_paths(
    service: AnalyticsService,
    digests: Sequence[DayDigest],
    settings: AnalyticsSettings,
    cats: CategorySet,
) -> dict[int, list[tuple[str, ...]]]:
    """Each value's category path from the evidence stored with the days' statistics under
    these categories (value -> signature, in the digest's order): no value text is read or
    searched. Days without such a row are left out."""
    if settings.hosts or not digests:
        return {}
    key = _table_key(settings, cats)
    keys = list(cats.classifier.match_keys)
    path_for = cats.classifier.path_for
    with service.services.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT day, totals FROM day_stats WHERE user_id = ? AND day_start_s = ? "
            "AND day BETWEEN ? AND ? AND key = ?",
            (service.services.user_id, settings.day_start_s, digests[0].day,
             digests[-1].day, key),
        ).all()  # fmt: skip
    out: dict[int, list[tuple[str, ...]]] = {}
    for day, totals in rows:
        found = stored_evidence(totals)
        if found is None or found[1].keys != keys:
            continue
        evidence = found[1]
        by_signature = [path_for(signature) for signature in evidence.signatures]
        out[int(day)] = [by_signature[i] for i in evidence.index]
    return out


def _id_text(service: AnalyticsService, ids: np.ndarray[Any, Any]) -> Callable[[int], str]:
    """A day's value texts by position, read from the value dictionary (all of the day's
    at once) the first time one is asked for."""
    texts: list[str] = []

    def text_of(value: int) -> str:
        if not texts:
            texts.extend(service._texts_of(ids))
        return texts[value]

    return text_of


def categorized_pieces(
    services: Services,
    first: date,
    last: date,
    settings: AnalyticsSettings | None = None,
    *,
    categories: Sequence[Category] | None = None,
) -> list[tuple[Event, tuple[str, ...]]]:
    """The active time of local days ``first..last`` as events with their category path.

    The same pieces the summary of those days is computed from (window time while present,
    browser windows split by tab, cut at day boundaries), oldest first: a timeline's category
    lane drawn from them adds up to the summary's active time. Events share their data dicts.
    """
    out: list[tuple[Event, tuple[str, ...]]] = []
    for day in day_pieces(services, first, last, settings, categories=categories):
        datas = [day.data(value) for value in range(len(day.paths))]
        paths = day.paths
        out.extend(
            (Event(start, end, datas[index], tz_offset_s=offset), paths[index])
            for start, end, index, offset in zip(
                day.starts.tolist(), day.ends.tolist(), day.value.tolist(),
                day.offsets.tolist(), strict=True,
            )
        )  # fmt: skip
    return out


def _prepare(
    services: Services, settings: AnalyticsSettings | None, categories: Sequence[Category] | None
) -> tuple[AnalyticsSettings, AnalyticsService, CategorySet]:
    """Defaults filled in: the settings, this store's analytics service, the category set."""
    service = analytics_for(services)
    return settings or AnalyticsSettings(), service, service.category_set(categories)


def _data_of(text: str, memo: dict[str, dict[str, Any]]) -> dict[str, Any]:
    data = memo.get(text)
    if data is None:
        try:
            loaded = orjson.loads(text)
        except orjson.JSONDecodeError:
            loaded = {}
        data = memo[text] = loaded if isinstance(loaded, dict) else {}
    return data


def _daily(days: Sequence[DayTotals], first: date) -> DailyTotals:
    out = DailyTotals(days=[day_date(d.day) for d in days])
    sums: dict[str, list[int]] = {}
    for index, day in enumerate(days):
        for path, us in day.categories.items():
            row = sums.get(path[0])
            if row is None:
                row = sums[path[0]] = [0] * len(days)
            row[index] += us
    out.categories = sorted(sums, key=lambda c: (-sum(sums[c]), c))
    out.totals = {c: sums[c] for c in out.categories}
    return out


def _ranked(totals: dict[Any, int]) -> list[tuple[Any, int]]:
    return sorted(((k, v) for k, v in totals.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))


def _add(into: dict[Any, int], more: dict[Any, int]) -> None:
    for key, us in more.items():
        into[key] = into.get(key, 0) + us


def _combine(
    days: Sequence[DayStats],
    first: date,
    last: date,
    settings: AnalyticsSettings,
    cats: CategorySet,
) -> Summary:
    offsets = OffsetResolver()
    d0, d1 = day_number(first), day_number(last)
    start_us = day_bounds(d0, offsets(d0 * US_PER_DAY), settings.day_start_s)[0]
    end_us = day_bounds(d1, offsets(d1 * US_PER_DAY), settings.day_start_s)[1]
    out = Summary(start_us=start_us, end_us=end_us)
    apps: dict[str, int] = {}
    titles: dict[str, int] = {}
    domains: dict[str, int] = {}
    urls: dict[str, int] = {}
    leaves: dict[tuple[str, ...], int] = {}
    hourly: dict[str, list[int]] = {}
    weighted = 0.0
    for day in days:
        out.active_us += day.active_us
        out.afk_us += day.afk_us
        weighted += day.weighted
        _add(apps, day.apps)
        _add(titles, day.titles)
        _add(domains, day.domains)
        _add(urls, day.urls)
        _add(leaves, day.categories)
        for top, row in day.hourly.items():
            into = hourly.setdefault(top, [0] * 24)
            for hour in range(24):
                into[hour] += row[hour]
        out.focus_sessions.extend(day.focus)
        out.context_switches += day.switches
        out.gaps.extend(day.gaps)
    out.apps = _ranked(apps)
    out.titles = _ranked(titles)
    out.domains = _ranked(domains)
    out.urls = _ranked(urls)
    out.category_tree = category_tree(leaves)
    out.categories = sorted(flatten(out.category_tree), key=lambda kv: (-kv[1], kv[0]))
    out.top_categories = [(node.name, node.total_us) for node in out.category_tree]
    out.hourly = hourly
    out.productivity = weighted / out.active_us if out.active_us else None
    out.focus_us = sum(s.focus_us for s in out.focus_sessions)
    out.switches_per_hour = (
        out.context_switches / (out.active_us / US_PER_HOUR) if out.active_us else None
    )
    out.untracked_us = sum(e - s for s, e in out.gaps)
    out.daily = _daily(days, first)
    return out


def with_settings(settings: AnalyticsSettings, **changes: Any) -> AnalyticsSettings:
    """A copy of ``settings`` with some fields changed."""
    return replace(settings, **changes)
