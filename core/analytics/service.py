"""Analytics on the store, fast on years of data: the entry point for GUI, CLI and API.

``Services.analytics`` is this store's ``AnalyticsService``; every question names its user:
``summary_for_days(user, first, last, settings)``, ``daily_trend(...)``, ``day_pieces(...)``.
They work from day digests (``core.analytics.digest``), found in three places, fastest first:

1. memory (dropped by the writer's change listener for the days an event change touches,
   before the writer acknowledges the change);
2. the ``day_digests`` table (complete past days; ``core.analytics.cache_rows.clear_days``, a
   writer hook, deletes the rows of touched days in the same transaction as the change, so a
   stored digest is never stale). Stored digests name their values by id in the value
   dictionary (``core.analytics.values``); the writer assigns ids to new values when it stores
   the digests;
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

import logging
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, cast

import numpy as np
from sqlalchemy import Connection
from timelygator.core import reader
from timelygator.core.analytics import cache_rows
from timelygator.core.analytics.classifier import CategoryClassifier
from timelygator.core.analytics.combine import combine, daily
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
    value_signature_ids,
)
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
    AnalyticsSettings,
    OffsetResolver,
    day_date,
    day_number,
    local_day,
)
from timelygator.core.analytics.pieces import DayPieces, day_pieces_of
from timelygator.core.analytics.summary import Summary
from timelygator.core.analytics.trends import DailyTotals
from timelygator.core.analytics.values import ValueDictionary, drop_unreferenced
from timelygator.core.categories.model import Category
from timelygator.core.categories.stored import categories_version, load_stored_categories
from timelygator.core.event import Event, bucket_host
from timelygator.core.sql_dialect import analytics_range_sql
from timelygator.core.store import DataStore
from timelygator.core.timeutil import Clock
from timelygator.core.writer import Change, Writer

log = logging.getLogger(__name__)
T = TypeVar("T")

WINDOW_TYPES = ("currentwindow",)
AFK_TYPES = ("afkstatus",)
_MEMORY_DAYS = 120  # digests with pieces kept in memory
_STATS_DAYS = 2000  # per-day statistics kept in memory (small)


@dataclass(frozen=True, slots=True)
class CategorySet:
    """Categories with their fingerprint and the classifier built from them."""

    categories: list[Category]
    version: str
    classifier: CategoryClassifier


# Changes after which texts of values may be left that no event has any more.
_REMOVALS = frozenset({"event_deleted", "events_purged", "bucket_deleted"})


@dataclass(slots=True)
class ValueTotals:
    """The distinct values (event data texts) of some local days: each one's active time,
    on how many of the days it appears, and its category under the given categories."""

    texts: list[str] = field(default_factory=list)
    us: np.ndarray[Any, np.dtype[np.int64]] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )
    days: np.ndarray[Any, np.dtype[np.int32]] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int32)
    )
    paths: list[tuple[str, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)


class AnalyticsService:
    """Caches of digests and per-day statistics of one store, for any of its users (passed
    per call); thread-safe. ``core.services.Services.analytics`` builds one per store."""

    def __init__(self, store: DataStore, writer: Writer, clock: Clock) -> None:
        self._store = store
        self._writer = writer
        self._clock = clock
        self._lock = threading.Lock()
        # (day, day start, hosts, user) -> digest
        self._digests: OrderedDict[tuple[int, int, tuple[str, ...], int], DayDigest] = OrderedDict()
        # (user, day, kind, settings, categories version) -> figures
        self._stats: OrderedDict[tuple[int, int, str, AnalyticsSettings, str], DayTotals] = (
            OrderedDict()
        )
        self._tables: OrderedDict[tuple[str, AnalyticsSettings], ValueTable] = OrderedDict()
        self._category_sets: dict[str, CategorySet] = {}
        self._generation = 0
        # local day number -> generation of the last change that may have touched it
        self._day_generation: dict[int, int] = {}
        self._all_generation = 0
        self._offsets = OffsetResolver()
        self._data = DataCache()
        self._values = ValueDictionary()
        self.stats = {"memory": 0, "table": 0, "computed": 0, "persisted": 0, "stats_table": 0}
        self.value_cleanup: Future[int] | None = None
        writer.add_change_listener(self._on_changes)
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
        try:
            self.value_cleanup = self._writer.call(lambda conn: drop_unreferenced(conn))
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
                # The days the writer's hooks cleared of stored rows (the same rule).
                ranges = change.day_ranges()
                if ranges is None:
                    everything = True
                    break
                for low, high in ranges:
                    days.update(range(low, high + 1))
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
                for stats_key in [k for k in self._stats if k[1] in days]:
                    del self._stats[stats_key]

    @property
    def generation(self) -> int:
        """Grows with every committed change of events (compare with ``changed_since``)."""
        return self._generation

    def changed_since(self, first: int, last: int, generation: int) -> bool:
        """Whether events of local days ``first..last`` (day numbers) may have changed since
        ``generation`` was read."""
        with self._lock:
            return self._changed_since(range(first, last + 1), generation)

    def _changed_since(self, numbers: Iterable[int], generation: int) -> bool:
        if self._all_generation > generation:
            return True
        day_gen = self._day_generation
        return any(day_gen.get(n, 0) > generation for n in numbers)

    # -- categories --------------------------------------------------------------------------
    def category_set(self, user: int, categories: Sequence[Category] | None = None) -> CategorySet:
        """``categories``, or ``user``'s stored ones, with their version and classifier."""
        if categories is None:
            with self._store.connect() as conn:
                categories = load_stored_categories(conn, user)
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
        user: int,
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
                digest = self._digests.get((number, day_start_s, hosts, user))
                if digest is not None:
                    self._digests.move_to_end((number, day_start_s, hosts, user))
                    found[number] = digest
        self.stats["memory"] += len(found)
        missing = [n for n in range(first, last + 1) if n not in found]
        if missing:
            with self._store.connect() as conn:
                stored = (
                    {}
                    if hosts
                    else self._load_stored(conn, user, missing, day_start_s, pieces=pieces)
                )
                self.stats["table"] += len(stored)
                found.update(stored)
                missing = [n for n in missing if n not in found]
                computed: dict[int, DayDigest] = {}
                for run in _runs(missing):
                    computed.update(self._compute(conn, user, run[0], run[-1], day_start_s, hosts))
            self.stats["computed"] += len(computed)
            found.update(computed)
            if not hosts:
                self._persist(user, computed, day_start_s, generation)
            if pieces:
                self._remember({**stored, **computed}, (day_start_s, hosts, user), generation)
        return [found[n] for n in range(first, last + 1)]

    def _remember(
        self,
        digests: dict[int, DayDigest],
        key: tuple[int, tuple[str, ...], int],
        generation: int,
    ) -> None:
        with self._lock:
            for number, digest in digests.items():
                if self._changed_since((number,), generation):
                    continue
                self._digests[(number, *key)] = digest
            while len(self._digests) > _MEMORY_DAYS:
                self._digests.popitem(last=False)

    def _load_stored(
        self, conn: Connection, user: int, numbers: list[int], day_start_s: int, *, pieces: bool
    ) -> dict[int, DayDigest]:
        rows = cache_rows.load_digest_rows(
            conn, user, day_start_s, numbers[0], numbers[-1], pieces=pieces
        )
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
        self, conn: Connection, user: int, hosts: tuple[str, ...] = ()
    ) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]]:
        """Window and AFK buckets as (host, id), web buckets as (name, id); only those of
        ``hosts`` when given."""
        found = [
            (key, name, kind, bucket_host(name, hostname))
            for key, name, kind, hostname in reader.bucket_kinds(conn, user)
        ]
        if hosts:
            found = [b for b in found if b[3] in hosts]
        window = [(host, key) for key, _name, kind, host in found if kind in WINDOW_TYPES]
        afk = [(host, key) for key, _name, kind, host in found if kind in AFK_TYPES]
        web = [(name, key) for key, name, kind, _host in found if kind.startswith("web.")]
        return window, afk, web

    def _compute(
        self,
        conn: Connection,
        user: int,
        first: int,
        last: int,
        day_start_s: int,
        hosts: tuple[str, ...],
    ) -> dict[int, DayDigest]:
        """Digests of days ``first..last`` from the events (one ranged read per bucket)."""
        llo = first * US_PER_DAY + day_start_s * 1_000_000
        lhi = (last + 1) * US_PER_DAY + day_start_s * 1_000_000
        lo, hi = llo - MAX_OFFSET_US, lhi + MAX_OFFSET_US
        window_ids, afk_ids, web_ids = self._buckets(conn, user, hosts)
        range_sql = analytics_range_sql(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:

            def read(bucket: int) -> list[Row]:
                params = {"lo": lo, "hi": hi, "llo": llo, "lhi": lhi, "b": bucket}
                cursor.execute(range_sql, params)
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

    def _persist(
        self, user: int, computed: dict[int, DayDigest], day_start_s: int, generation: int
    ) -> None:
        """Store the digests of complete past days (their values get dictionary ids in the
        writer's transaction)."""
        digests = [d for d in computed.values() if self._complete(d.day, day_start_s)]
        pieces = [d.encode_pieces() for d in digests]
        values = self._values

        def write(conn: Connection) -> dict[str, int]:
            ids = values.assign(conn, user, (text for d in digests for text in d.values))
            cache_rows.store_digests(
                conn,
                [
                    (d.day, day_start_s, user, d.encode_totals([ids[t] for t in d.values]), p)
                    for d, p in zip(digests, pieces, strict=True)
                ],
            )
            return ids

        self._write_rows(
            write, cache_rows.clear_digest_days, [d.day for d in digests], generation, values.learn
        )

    def _texts_of(self, ids: np.ndarray[Any, Any]) -> list[str]:
        """The texts of value dictionary ids (cached, else read)."""
        return self._values.texts(ids, self._store.connect)

    def _prefetch(self, digests: Sequence[DayDigest], table: ValueTable) -> None:
        """Read in one go the texts of the stored digests' values ``table`` has not seen."""
        stored = [d.ids for d in digests if d.ids is not None]
        if stored:
            ids = np.unique(np.concatenate(stored))
            self._texts_of(ids[table.signature_ids(ids) < 0])

    def _complete(self, number: int, day_start_s: int) -> bool:
        end = (number + 1) * US_PER_DAY + day_start_s * 1_000_000 + MAX_OFFSET_US
        return end < self._clock.now_us()

    def _write_rows(
        self,
        write: Callable[[Connection], T],
        clear: Callable[[Connection, int, int], None],
        numbers: list[int],
        generation: int,
        committed: Callable[[T], None] | None = None,
    ) -> None:
        """Write cache rows of days ``numbers`` through the writer (``write(conn)``, in its
        transaction); undo them (``clear``) if an event change raced the write. What
        ``write`` returns goes to ``committed`` once it is committed."""
        if not numbers:
            return

        def guarded(conn: Connection) -> tuple[T] | None:
            if self._changed_since(numbers, generation):
                return None
            return (write(conn),)

        def check(future: Future[tuple[T] | None]) -> None:
            if future.exception() is not None:
                return
            done = future.result()
            if committed is not None and done is not None:
                committed(done[0])
            # A change committed in the same transaction as the write would not have been
            # seen by ``guarded``; its listener has run by now: drop what it may have touched.
            if self._changed_since(numbers, generation):
                low, high = min(numbers), max(numbers)
                self._writer.call(lambda conn: clear(conn, low, high))
            else:
                self.stats["persisted"] += len(numbers)

        try:
            future = self._writer.call(guarded)
        except Exception:  # the store is closing: these rows are only a cache
            log.debug("Not persisting analytics rows", exc_info=True)
            return
        self.last_persist: Future[Any] = future
        future.add_done_callback(check)

    # -- per-day statistics ------------------------------------------------------------------
    def day_stats(
        self, user: int, first: int, last: int, settings: AnalyticsSettings, cats: CategorySet
    ) -> list[DayStats]:
        """Each day's full statistics (what a summary adds up), days ``first..last``."""
        found = self._figures(user, first, last, settings, cats, full=True)
        return [cast(DayStats, found[n]) for n in range(first, last + 1)]

    def day_totals(
        self, user: int, first: int, last: int, settings: AnalyticsSettings, cats: CategorySet
    ) -> list[DayTotals]:
        """Each day's category totals (all a trend needs), days ``first..last``."""
        found = self._figures(user, first, last, settings, cats, full=False)
        return [found[n] for n in range(first, last + 1)]

    def _figures(
        self,
        user: int,
        first: int,
        last: int,
        settings: AnalyticsSettings,
        cats: CategorySet,
        *,
        full: bool,
    ) -> dict[int, DayTotals]:
        """The one algorithm behind ``day_stats`` (``full``) and ``day_totals``: memory, then
        stored rows of these rules, then carried over from the evidence stored under other
        rules (totals: without a digest when no rule content is new), then from digests;
        complete days are stored."""
        kind = "full" if full else "totals"
        out: dict[int, DayTotals] = {}
        missing: list[int] = []
        with self._lock:
            generation = self._generation
            for number in range(first, last + 1):
                found = self._stats.get(_stats_key(user, number, settings, cats, "full"))
                if found is None and not full:
                    found = self._stats.get(_stats_key(user, number, settings, cats, "totals"))
                if found is not None:
                    out[number] = found
                else:
                    missing.append(number)
            # Full statistics of these days under other rules, in memory: what they lend
            # (app, title, domain, URL breakdowns; no rule changes them) need not be read.
            wanted = set(missing) if full else set()
            lent: dict[int, DayStats] = {}
            for (owner, number, kind_, kept_settings, _version), kept in self._stats.items():
                same = owner == user and kind_ == "full" and kept_settings == settings
                if same and number in wanted and isinstance(kept, DayStats):
                    lent[number] = kept
        now = self._clock.now_us()
        earlier: dict[int, tuple[int, DayEvidence]] = {}
        earlier_stats: dict[int, DayStats] = {}
        if missing and not settings.hosts:
            stored, earlier = self._load_stats(
                user, missing, settings, cats, full=full, into=earlier_stats, lent=lent
            )
            self.stats["stats_table"] += len(stored)
            out.update(stored)
            self._keep_stats(user, list(stored), out, settings, cats, kind, generation, now)
            missing = [n for n in missing if n not in stored]
        if not missing:
            return out
        table = self._value_table(cats, settings)
        key = cache_rows.stats_key(cats.version, settings)
        rows: list[cache_rows.StatsRow] = []

        def keep(number: int, figures: DayTotals, evidence: DayEvidence) -> None:
            out[number] = figures
            if self._complete(number, settings.day_start_s):
                blob = encode_stats(cast(DayStats, figures)) if full else b""
                totals = encode_totals(figures, evidence)
                rows.append((number, settings.day_start_s, user, key, totals, blob))

        if not full:
            # Days whose evidence under earlier rules suffices: no digest needed.
            for number in [n for n in missing if n in earlier]:
                carried = carried_totals(number, *earlier[number], table)
                if carried is not None:
                    keep(number, *carried)
            done = [n for n in missing if n in out]
            self._keep_stats(user, done, out, settings, cats, kind, generation, now)
            missing = [n for n in missing if n not in out]
        for run in _runs(missing):
            digests = self.digests(
                user, run[0], run[-1], settings.day_start_s, pieces=full, hosts=settings.hosts
            )
            self._prefetch(digests, table)
            for digest in digests:
                before = _evidence(earlier, digest.day)
                if full:
                    keep(
                        digest.day,
                        *day_stats(
                            digest,
                            table,
                            settings,
                            now,
                            before,
                            self._texts_of,
                            earlier_stats.get(digest.day),
                        ),
                    )
                else:
                    keep(digest.day, *day_totals(digest, table, before, self._texts_of))
            self._keep_stats(user, run, out, settings, cats, kind, generation, now)
        if not settings.hosts:  # a host's figures are kept in memory only
            self._write_rows(
                lambda conn: cache_rows.store_stats(conn, rows, totals_only=not full),
                cache_rows.clear_stats_days,
                [r[0] for r in rows],
                generation,
            )
        return out

    def _load_stats(
        self,
        user: int,
        numbers: list[int],
        settings: AnalyticsSettings,
        cats: CategorySet,
        *,
        full: bool,
        into: dict[int, DayStats],
        lent: dict[int, DayStats],
    ) -> tuple[dict[int, DayTotals], dict[int, tuple[int, DayEvidence]]]:
        """Stored statistics of these rules and settings, and the (AFK time, evidence) of the
        days stored under other rules or settings (and ``into`` their statistics, or the
        ``lent`` ones in memory instead of reading them). Rows of another format are
        ignored (``cache_rows.current_format``)."""
        key = cache_rows.stats_key(cats.version, settings)
        with self._store.connect() as conn:
            rows = cache_rows.load_stats_rows(
                conn, user, settings.day_start_s, numbers[0], numbers[-1], full=full
            )
        wanted = set(numbers)
        out: dict[int, DayTotals] = {}
        earlier: dict[int, tuple[int, DayEvidence]] = {}
        for number, row_key, totals, stats in rows:
            if number not in wanted or not cache_rows.current_format(row_key):
                continue
            try:
                if row_key != key or (full and not stats):
                    found = stored_evidence(totals)
                    if found is not None:
                        earlier[number] = found
                        if number in lent:
                            into[number] = lent[number]
                        elif stats:
                            into[number] = decode_stats(number, totals, stats)
                elif full:
                    assert stats is not None
                    out[number] = decode_stats(number, totals, stats)
                else:
                    out[number] = decode_totals(number, totals)
            except (ValueError, KeyError, TypeError):
                log.warning("Ignoring unreadable day statistics for day %s", number)
        return out, earlier

    def _keep_stats(
        self,
        user: int,
        run: list[int],
        out: dict[int, DayTotals],
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
                self._stats[_stats_key(user, number, settings, cats, kind)] = out[number]
            while len(self._stats) > _STATS_DAYS:
                self._stats.popitem(last=False)

    # -- what the app, the CLI and the API ask for --------------------------------------------
    def _day_evidence(
        self, user: int, first: int, last: int, settings: AnalyticsSettings, cats: CategorySet
    ) -> tuple[dict[int, DayEvidence], dict[int, DayEvidence]]:
        """The stored evidence of days ``first..last``: of these categories, and of others
        (rows of the current format; carried over by ``_categorized``)."""
        if settings.hosts:
            return {}, {}
        key = cache_rows.stats_key(cats.version, settings)
        with self._store.connect() as conn:
            rows = cache_rows.load_stats_rows(
                conn, user, settings.day_start_s, first, last, full=False
            )
        current: dict[int, DayEvidence] = {}
        earlier: dict[int, DayEvidence] = {}
        for number, row_key, totals, _stats in rows:
            if not cache_rows.current_format(row_key):
                continue
            try:
                found = stored_evidence(totals)
            except (ValueError, KeyError, TypeError, zlib.error):
                continue
            if found is not None:
                (current if row_key == key else earlier)[int(number)] = found[1]
        return current, earlier

    def value_totals(
        self,
        user: int,
        first: date,
        last: date,
        settings: AnalyticsSettings | None = None,
        *,
        categories: Sequence[Category] | None = None,
    ) -> ValueTotals:
        """Every distinct value of local days ``first..last`` with its time and category.

        From the day digests (ids and time per value) and the categories each stored day's
        statistics recorded for its values (their evidence): a year of a busy history (over
        100,000 values) without reading an event or searching a rule, once the days'
        statistics are stored. Days without them are categorized as a summary would.
        """
        settings, cats = self._prepare(user, settings, categories)
        table = self._value_table(cats, settings)
        d0, d1 = day_number(first), day_number(last)
        digests = self.digests(
            user, d0, d1, settings.day_start_s, pieces=False, hosts=settings.hosts
        )
        current, earlier = self._day_evidence(user, d0, d1, settings, cats)
        keys = list(cats.classifier.match_keys)

        def fits(digest: DayDigest) -> bool:
            found = current.get(digest.day)
            return found is not None and found.keys == keys and len(found.index) == digest.size

        missing = [d.day for d in digests if d.ids is not None and not fits(d)]
        if missing and not settings.hosts:
            # Statistics not stored yet under these categories: work them out once (they are
            # stored with their evidence, so the next call reads them).
            for run in _runs(missing):
                self.day_stats(user, run[0], run[-1], settings, cats)
            current, earlier = self._day_evidence(user, d0, d1, settings, cats)
        path_ids: dict[tuple[str, ...], int] = {}
        path_list: list[tuple[str, ...]] = []

        def path_id(path: tuple[str, ...]) -> int:
            found = path_ids.get(path)
            if found is None:
                found = path_ids[path] = len(path_list)
                path_list.append(path)
            return found

        path_for = cats.classifier.path_for
        ids: list[np.ndarray[Any, Any]] = []
        us: list[np.ndarray[Any, Any]] = []
        of_path: list[np.ndarray[Any, Any]] = []
        by_text: dict[str, list[int]] = {}  # days not stored: text -> [us, days, path id]
        for digest in digests:
            if digest.ids is None:
                for text, text_us in zip(digest.values, digest.value_us, strict=True):
                    info = table.info(text)
                    row = by_text.setdefault(text, [0, 0, path_id(info.path)])
                    row[0] += text_us
                    row[1] += 1
                continue
            evidence = current.get(digest.day)
            if evidence is not None and fits(digest):
                paths = np.fromiter((path_id(path_for(s)) for s in evidence.signatures), np.int32)
                of_path.append(paths[np.frombuffer(evidence.index, dtype=np.int32)])
            else:
                prior = earlier.get(digest.day)
                signature_ids = value_signature_ids(digest, table, prior, self._texts_of)
                paths = np.fromiter(
                    (path_id(path_for(s)) for s in table.signatures),
                    np.int32,
                    len(table.signatures),
                )
                of_path.append(paths[signature_ids])
            ids.append(digest.ids)
            us.append(np.asarray(digest.value_us, dtype=np.int64))
        out = ValueTotals()
        texts: list[str] = []
        value_us = np.zeros(0, dtype=np.int64)
        value_days = np.zeros(0, dtype=np.int32)
        value_path = np.zeros(0, dtype=np.int32)
        all_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        if all_ids.size:  # days with values (a day of AFK time alone has none)
            size = int(all_ids.max()) + 1
            total = np.bincount(all_ids, weights=np.concatenate(us), minlength=size)
            seen = np.bincount(all_ids, minlength=size)
            path_of = np.zeros(size, dtype=np.int32)
            path_of[all_ids] = np.concatenate(of_path)
            present = np.flatnonzero(seen)
            texts = self._texts_of(present)
            value_us = np.rint(total[present]).astype(np.int64)
            value_days = seen[present].astype(np.int32)
            value_path = path_of[present]
        if by_text:
            position = {text: i for i, text in enumerate(texts)}
            extra_us, extra_days, extra_path = [], [], []
            for text, (t_us, t_days, t_path) in by_text.items():
                at = position.get(text)
                if at is None:
                    texts.append(text)
                    extra_us.append(t_us)
                    extra_days.append(t_days)
                    extra_path.append(t_path)
                else:
                    value_us[at] += t_us
                    value_days[at] += t_days
            value_us = np.concatenate((value_us, np.asarray(extra_us, dtype=np.int64)))
            value_days = np.concatenate((value_days, np.asarray(extra_days, dtype=np.int32)))
            value_path = np.concatenate((value_path, np.asarray(extra_path, dtype=np.int32)))
        out.texts = texts
        out.us = value_us
        out.days = value_days
        out.paths = [path_list[i] for i in value_path.tolist()]
        return out

    def _prepare(
        self, user: int, settings: AnalyticsSettings | None, categories: Sequence[Category] | None
    ) -> tuple[AnalyticsSettings, CategorySet]:
        return settings or AnalyticsSettings(), self.category_set(user, categories)

    def summary_for_days(
        self,
        user: int,
        first: date,
        last: date,
        settings: AnalyticsSettings | None = None,
        *,
        categories: Sequence[Category] | None = None,
    ) -> Summary:
        """Everything the Activity view shows for local days ``first..last`` (inclusive),
        with ``categories`` or else ``user``'s stored ones."""
        settings, cats = self._prepare(user, settings, categories)
        days = self.day_stats(user, day_number(first), day_number(last), settings, cats)
        return combine(days, first, last, settings)

    def stats_for_days(
        self,
        user: int,
        first: date,
        last: date,
        settings: AnalyticsSettings | None = None,
        *,
        categories: Sequence[Category] | None = None,
    ) -> list[DayStats]:
        """Each local day's statistics (``first..last``, in order): what a summary adds up."""
        settings, cats = self._prepare(user, settings, categories)
        return self.day_stats(user, day_number(first), day_number(last), settings, cats)

    def daily_trend(
        self,
        user: int,
        first: date,
        last: date,
        settings: AnalyticsSettings | None = None,
        *,
        categories: Sequence[Category] | None = None,
    ) -> DailyTotals:
        """Active time per local day, stacked by top-level category (for trend charts)."""
        settings, cats = self._prepare(user, settings, categories)
        days = self.day_totals(user, day_number(first), day_number(last), settings, cats)
        return daily(days, first)

    def uncomputed_days(
        self,
        user: int,
        first: date,
        last: date,
        settings: AnalyticsSettings | None = None,
        *,
        categories: Sequence[Category] | None = None,
    ) -> int:
        """How many of local days ``first..last`` have no statistics yet, or (with
        ``categories``) none under these categories: nothing in memory, no row in the table.
        Those are worked out when asked for, from the events (a fraction of a second a day)
        or carried over from other rules (less). Views use it to show that work
        progressively."""
        settings = settings or AnalyticsSettings()
        cats = None if categories is None else self.category_set(user, categories)
        version = None if cats is None else cats.version
        d0, d1 = day_number(first), day_number(last)
        with self._lock:
            known = {
                k[1]
                for k in self._stats
                if k[0] == user and d0 <= k[1] <= d1 and k[3] == settings
                and version in (None, k[4])
            }  # fmt: skip
        if not settings.hosts:
            key = None if cats is None else cache_rows.stats_key(cats.version, settings)
            with self._store.connect() as conn:
                known |= cache_rows.days_with_stats(conn, user, settings.day_start_s, d0, d1, key)
        return (d1 - d0 + 1) - len(known)

    def day_pieces(
        self,
        user: int,
        first: date,
        last: date,
        settings: AnalyticsSettings | None = None,
        *,
        categories: Sequence[Category] | None = None,
    ) -> list[DayPieces]:
        """The active pieces of local days ``first..last``, day by day, as arrays with their
        values' category path: no Python object per piece, and for days whose statistics
        were just worked out (a summary of them) no value searched again, so a month of a
        busy year (~400k pieces) is ready in a fraction of a second."""
        settings, cats = self._prepare(user, settings, categories)
        table = self._value_table(cats, settings)
        path_for = cats.classifier.path_for
        by_signature: dict[int, tuple[str, ...]] = {}
        out: list[DayPieces] = []
        digests = self.digests(
            user, day_number(first), day_number(last), settings.day_start_s, hosts=settings.hosts
        )
        stored: dict[int, list[tuple[str, ...]]] | None = None
        for digest in digests:
            ids = digest.ids
            if ids is None:
                texts: list[str] = digest.values
                paths = [table.info(text).path for text in texts]
                text_of: Callable[[int], str] = texts.__getitem__
                out.append(day_pieces_of(digest, paths, text_of))
                continue
            signature_ids = table.signature_ids(ids).tolist()
            if min(signature_ids, default=0) < 0:  # values this process has not categorized
                if stored is None:  # the signatures the stored statistics found, read once
                    stored = self._stored_paths(user, digests, settings, cats)
                found = stored.get(digest.day)
                if found is not None and len(found) == digest.size:
                    out.append(day_pieces_of(digest, found, self._id_text(ids)))
                    continue
                texts = self._texts_of(ids)
                paths = [table.info(text).path for text in texts]
                text_of = texts.__getitem__
            else:
                for sid in set(signature_ids) - by_signature.keys():
                    by_signature[sid] = path_for(table.signatures[sid])
                paths = [by_signature[sid] for sid in signature_ids]
                text_of = self._id_text(ids)
            out.append(day_pieces_of(digest, paths, text_of))
        return out

    def _stored_paths(
        self,
        user: int,
        digests: Sequence[DayDigest],
        settings: AnalyticsSettings,
        cats: CategorySet,
    ) -> dict[int, list[tuple[str, ...]]]:
        """Each value's category path from the evidence stored with the days' statistics
        under these categories (value -> signature, in the digest's order): no value text is
        read or searched. Days without such a row are left out."""
        if settings.hosts or not digests:
            return {}
        key = cache_rows.stats_key(cats.version, settings)
        keys = list(cats.classifier.match_keys)
        path_for = cats.classifier.path_for
        with self._store.connect() as conn:
            rows = cache_rows.load_totals_of_key(
                conn, user, settings.day_start_s, digests[0].day, digests[-1].day, key
            )
        out: dict[int, list[tuple[str, ...]]] = {}
        for day, totals in rows:
            found = stored_evidence(totals)
            if found is None or found[1].keys != keys:
                continue
            evidence = found[1]
            by_signature = [path_for(signature) for signature in evidence.signatures]
            out[int(day)] = [by_signature[i] for i in evidence.index]
        return out

    def _id_text(self, ids: np.ndarray[Any, Any]) -> Callable[[int], str]:
        """A day's value texts by position, read from the value dictionary (all of the day's
        at once) the first time one is asked for."""
        texts: list[str] = []

        def text_of(value: int) -> str:
            if not texts:
                texts.extend(self._texts_of(ids))
            return texts[value]

        return text_of

    def categorized_pieces(
        self,
        user: int,
        first: date,
        last: date,
        settings: AnalyticsSettings | None = None,
        *,
        categories: Sequence[Category] | None = None,
    ) -> list[tuple[Event, tuple[str, ...]]]:
        """The active time of local days ``first..last`` as events with their category path.

        The same pieces the summary of those days is computed from (window time while
        present, browser windows split by tab, cut at day boundaries), oldest first: a
        timeline's category lane drawn from them adds up to the summary's active time.
        Events share their data dicts.
        """
        out: list[tuple[Event, tuple[str, ...]]] = []
        for day in self.day_pieces(user, first, last, settings, categories=categories):
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


def days_of(start_us: int, end_us: int, settings: AnalyticsSettings) -> tuple[date, date]:
    """The local days a UTC range covers (system zone; days start at the configured hour)."""
    offsets = OffsetResolver()
    first = local_day(start_us, offsets(start_us), settings.day_start_s)
    last = local_day(max(start_us, end_us - 1), offsets(end_us - 1), settings.day_start_s)
    return day_date(first), day_date(last)


def _evidence(earlier: dict[int, tuple[int, DayEvidence]], number: int) -> DayEvidence | None:
    found = earlier.get(number)
    return found[1] if found is not None else None


def _stats_key(
    user: int, number: int, settings: AnalyticsSettings, cats: CategorySet, kind: str
) -> tuple[int, int, str, AnalyticsSettings, str]:
    return (user, number, kind, settings, cats.version)


def _runs(numbers: Sequence[int]) -> list[list[int]]:
    """Consecutive runs of sorted day numbers."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][-1] == n - 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs
