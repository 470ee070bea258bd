"""The one writer: every database write goes through this thread.

Callers submit operations (``core.write_ops``: one typed dataclass per kind of change, applied
by one ``match``) and get a ``Future``; the writer applies them in order, many per
transaction (group commit: it commits as soon as its queue drains, or after ``max_delay``
seconds of continuous load), and resolves each future only after the transaction holding
it has committed. A caller that saw its result can rely on the data being on disk (WAL).

Heartbeats merge against a per-bucket cache of the last event, so the common case (the
same window as a second ago) costs no read at all; consecutive merges into one event within
a transaction become a single UPDATE. The cache of a bucket is dropped by any other change
in that bucket, and all caches are dropped when a transaction fails.

Transaction hooks (``add_transaction_hook``) hear, inside the transaction of any event change,
which UTC days it may touch (``core.timeutil.touched_days``), once per transaction for the union
of those days: the analytics caches delete their rows of those days there, so a stored figure is
never older than the events (the writer itself knows no cache table). Days already reported
since the last ``call`` (the only way cache rows are written) are not reported again, so a
stream of heartbeats costs no extra statement.

Copying the write-ahead log back into the database file (checkpointing) happens beside the
writer, on ``core.checkpoint.WalCheckpointer``'s thread, not inside its commits.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, assert_never, cast

from sqlalchemy import Connection, Table, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from timelygator.core import jsoncodec, models, sql_dialect
from timelygator.core.checkpoint import WRITER_CHECKPOINT_PAGES, WalCheckpointer
from timelygator.core.errors import (
    ChangeFailedError,
    NotFoundError,
    StorageError,
    TimelyGatorError,
    ValidationError,
)
from timelygator.core.event import BucketInfo, Event
from timelygator.core.heartbeat import merge_heartbeat
from timelygator.core.reader import split_new_events
from timelygator.core.store import DataStore
from timelygator.core.timeutil import (
    EARLIEST_US,
    EVERY_DAY,
    LATEST_US,
    Clock,
    SystemClock,
    check_time_range,
    touched_days,
)
from timelygator.core.write_ops import (
    BUCKET_FIELDS,
    BucketFields,
    Call,
    CreateBucket,
    DeleteBucket,
    DeleteEvents,
    Heartbeat,
    ImportBuckets,
    ImportDone,
    ImportItem,
    InsertEvents,
    JsonObject,
    Operation,
    PurgeBefore,
    UpdateBucket,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# The hot path (every heartbeat): hand-written, run on the driver's connection, measured in
# tests/benchmarks/storage.py; plain SQL that PostgreSQL's drivers accept with %s marks.
_INSERT_SQL = (
    "INSERT INTO events (id, bucket_id, start_us, end_us, tz_offset_s, data) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_UPDATE_END_SQL = "UPDATE events SET end_us = ? WHERE id = ?"
_MIN_DURATION_BOUND_US = 600 * 1_000_000
_LAST_EVENT_SQL = (
    "SELECT id, start_us, end_us, tz_offset_s, data FROM events WHERE bucket_id = ? "
    "ORDER BY start_us DESC, id DESC LIMIT 1"
)
_EVENTS = cast(Table, models.Event.__table__)
_BUCKET_BOUND_SQL = "SELECT max_duration_us FROM buckets WHERE id = ?"
_MAX_EVENT_ID = select(func.max(models.Event.id))
_DURATION_BOUNDS = select(models.Bucket.id, models.Bucket.max_duration_us)


dump_data = jsoncodec.dumps


class WriterState(StrEnum):
    """What the writer is doing; the app pauses tracking while it is FAILING."""

    STOPPED = "stopped"
    RUNNING = "running"
    FAILING = "failing"


@dataclass(slots=True)
class Change:
    """One committed change, reported to listeners (live views, caches, the SSE stream).

    Read-only by convention: every listener sees the same objects. (Not a frozen dataclass:
    a bulk insert makes one per event, and a frozen one costs three times as much to build.)
    """

    # "event" (inserted or updated), "event_deleted", "events_purged", "bucket",
    # "bucket_deleted", "other"
    kind: str
    bucket_key: int | None
    event: Event | None = None
    event_id: int | None = None
    # True when an existing event was replaced as a whole (it may have moved in time); a
    # heartbeat extending the last event is not a replacement.
    replaced: bool = False
    # The time the change vacated: a deleted event's span, or a replaced event's old span
    # (start_us, end_us); None when unknown.
    span: tuple[int, int] | None = None

    def day_ranges(self) -> list[tuple[int, int]] | None:
        """The UTC day ranges (``core.timeutil.touched_days``) whose figures this change
        may alter: around the event and the time it vacated; none for "other" (no event
        changed); None when any day may have (purges, buckets, an old span unknown)."""
        if self.kind == "other":
            return []
        if self.kind not in ("event", "event_deleted"):
            return None
        if self.span is None and (self.replaced or self.kind == "event_deleted"):
            return None
        out = [] if self.event is None else [touched_days(self.event.start_us, self.event.end_us)]
        if self.span is not None:
            out.append(touched_days(*self.span))
        return out


ChangeListener = Callable[[list[Change]], None]
# Called inside a write transaction with the UTC days (first, last, both included) its event
# changes may touch; it may write on the connection (it joins the transaction).
TransactionHook = Callable[[Connection, int, int], None]
StateListener = Callable[[WriterState, StorageError | None], None]


class _Job:
    """One submitted operation and its caller's future; ``outcome`` is "pending", "done" or
    "error" (``value`` holds the result or the error). ``op`` stays as submitted, so it can
    be applied again."""

    __slots__ = ("future", "op", "outcome", "value")

    def __init__(self, op: Operation, future: Future[Any]) -> None:
        self.op = op
        self.future = future  # its type follows the operation (see the public methods)
        self.outcome = "pending"
        self.value: object = None


_STOP = object()


class _CallFailed(Exception):
    """A ``Writer.call`` function raised; its savepoint was rolled back (cause attached)."""


class Writer:
    """Owns all writes to one Store. Thread-safe ``submit`` side; one internal thread."""

    def __init__(
        self,
        store: DataStore,
        *,
        clock: Clock | None = None,
        max_delay: float = 1.0,
        max_batch: int = 20_000,
        checkpoint_interval: float | None = 0.25,
    ) -> None:
        """``checkpoint_interval``: seconds between background checkpoints (None: SQLite's
        own checkpoints inside commits, as without ``WalCheckpointer``)."""
        self._store = store
        self._clock = clock or SystemClock()
        self._max_delay = max_delay
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._accepting = False
        self._lock = threading.Lock()
        self._change_listeners: list[ChangeListener] = []
        self._transaction_hooks: list[TransactionHook] = []
        self._state_listeners: list[StateListener] = []
        self.state = WriterState.STOPPED
        self.last_error: StorageError | None = None
        self.committed_transactions = 0
        self.checkpointer = (
            None
            if checkpoint_interval is None
            else WalCheckpointer(
                store, lambda: self.committed_transactions, interval=checkpoint_interval
            )
        )
        # Writer-thread state (touched only by the writer thread once started).
        self._conn: Connection | None = None
        self._raw: Any = None  # the driver's connection (sqlcipher3 ships no types)
        self._next_id = 1
        # Other processes write the same database (a server): nothing remembered of it is
        # trusted beyond the transaction it was read in, and ids come from its sequences.
        self._shared = False
        self._buckets: dict[int, int] = {}  # bucket key -> max_duration_us as stored
        self._last: dict[int, Event | None] = {}
        self._pending_inserts: dict[int, list[int | str | None]] = {}
        self._pending_ends: dict[int, int] = {}
        self._max_dur_dirty: dict[int, int] = {}
        self._changes: list[Change] = []
        # Days touched in this transaction and not yet reported to the hooks; days reported
        # in committed transactions with no ``call`` since.
        self._touched_days: tuple[int, int] | None = None
        self._reported_days: tuple[int, int] | None = None

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Open the writer's connection and start its thread."""
        if self._thread is not None:
            return
        try:
            self._conn = self._store.engine.connect()
            self._shared = sql_dialect.shared_database(self._conn)
            if self.checkpointer is not None:
                raw = self._conn.connection.driver_connection
                assert raw is not None
                raw.execute(f"PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}")
            self._load_state()
        except SQLAlchemyError as exc:
            raise self._store.error(exc) from None
        if self.checkpointer is not None:
            self.checkpointer.start()
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="timelygator-writer", daemon=True)
        self._set_state(WriterState.RUNNING, None)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Apply everything already submitted, commit, and stop the thread."""
        with self._lock:
            if not self._accepting:
                return
            self._accepting = False
        self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("Writer did not stop within %.1f s", timeout)
        self._thread = None
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._set_state(WriterState.STOPPED, None)

    @property
    def queue_depth(self) -> int:
        """Operations waiting for the writer (approximate; for metrics)."""
        return self._queue.qsize()

    def add_change_listener(self, listener: ChangeListener) -> None:
        """Call ``listener(changes)`` on the writer thread after each commit; keep it quick."""
        self._change_listeners.append(listener)

    def add_transaction_hook(self, hook: TransactionHook) -> None:
        """Call ``hook(connection, first_day, last_day)`` inside each transaction that changes
        events, with the UTC days the changes may touch (``core.timeutil.touched_days``).

        Register before ``start``. A hook that raises fails the transaction like a failing
        statement. Days reported once are not reported again until a ``call`` runs (it may
        have written rows of those days) or a transaction fails.
        """
        self._transaction_hooks.append(hook)

    def add_state_listener(self, listener: StateListener) -> None:
        """Call ``listener(state, error)`` whenever the writer starts, fails, recovers or stops."""
        self._state_listeners.append(listener)

    # -- submitting ---------------------------------------------------------------------
    def _submit(self, op: Operation) -> Future[Any]:
        if not self._accepting:
            raise StorageError("The database is closed; nothing can be written now.")
        future: Future[Any] = Future()
        self._queue.put(_Job(op, future))
        return future

    def heartbeat(self, bucket_key: int, event: Event, pulsetime_s: float) -> Future[Event]:
        """Merge ``event`` into the bucket's last event or store it as new (API-COMPAT rule)."""
        if pulsetime_s < 0:
            raise ValidationError("pulsetime must not be negative.")
        _check_event(event)
        return self._submit(Heartbeat(bucket_key, event, round(pulsetime_s * 1_000_000)))

    def insert_events(
        self, bucket_key: int, events: Iterable[Event], *, adopt: bool = False
    ) -> Future[list[Event]]:
        """Insert events; events with an ``id`` of this bucket are updated in place.

        The result holds the stored events with their ids. With ``adopt`` the caller hands the
        ``Event`` objects over (as the API does with the ones it parsed): the writer sets their
        ids and returns them instead of copies.
        """
        batch = list(events)
        for item in batch:
            _check_event(item)
        # The ids as given: an adopted event gets its id set when applied, and a change
        # applied again (see _retry) must start from the ids its sender gave.
        given = [item.id for item in batch] if adopt else None
        return self._submit(InsertEvents(bucket_key, batch, adopt, given))

    def delete_events(self, bucket_key: int, event_ids: Iterable[int]) -> Future[int]:
        """Delete events of a bucket by id; returns how many existed."""
        return self._submit(DeleteEvents(bucket_key, list(event_ids)))

    def create_bucket(
        self,
        user_id: int,
        name: str,
        *,
        type: str,
        client: str,
        hostname: str,
        data: JsonObject | None = None,
        created_us: int | None = None,
    ) -> Future[BucketInfo | None]:
        """Create a bucket; the future gives its info, or None when it already existed."""
        if created_us is not None:
            check_time_range(created_us, None, "A bucket's 'created' time")
        return self._submit(
            CreateBucket(user_id, name, type, client, hostname, data or {}, created_us)
        )

    def update_bucket(self, bucket_key: int, fields: BucketFields) -> Future[None]:
        """Update type/client/hostname/data of a bucket (only the given fields)."""
        unknown = set(fields) - BUCKET_FIELDS
        if unknown:
            raise ValidationError(f"Unknown bucket fields: {', '.join(sorted(unknown))}.")
        return self._submit(UpdateBucket(bucket_key, fields))

    def delete_bucket(self, bucket_key: int) -> Future[None]:
        """Delete a bucket and all its events."""
        return self._submit(DeleteBucket(bucket_key))

    def import_buckets(
        self,
        user_id: int,
        buckets: list[ImportItem],
        also: Callable[[Connection], object] | None = None,
    ) -> Future[list[ImportDone]]:
        """Create missing buckets and insert their new events, all in one transaction.

        Events equal to stored ones, or repeated in ``buckets``, are skipped
        (``reader.split_new_events``): importing the same history twice changes nothing, and
        an import that fails leaves nothing behind. ``also(connection)`` runs in the same
        transaction (categories that come with the history); it must not touch events.
        """
        for bucket in buckets:
            for item in bucket.events:
                _check_event(item)
        return self._submit(ImportBuckets(user_id, list(buckets), also))

    def purge_before(self, cutoff_us: int) -> Future[int]:
        """Delete every event that ended before ``cutoff_us`` (retention); returns how many."""
        return self._submit(PurgeBefore(cutoff_us))

    def call(self, fn: Callable[[Connection], T], *, events: bool = False) -> Future[T]:
        """Run ``fn(connection)`` in the writer's transaction (inside a savepoint).

        For the small writes that have no dedicated operation (settings, tokens,
        categories). ``fn`` must not touch the events table unless ``events`` is true (a
        repair): then every bucket's cached last event, duration bound and the next event
        id are read again after it, and listeners hear that events changed everywhere
        ("events_purged").
        """
        return self._submit(Call(fn, events))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything submitted so far is committed."""
        self.call(lambda _conn: None).result(timeout)

    # -- writer thread ------------------------------------------------------------------
    def _load_state(self) -> None:
        assert self._conn is not None
        with self._conn.begin():
            max_id = None if self._shared else self._conn.execute(_MAX_EVENT_ID).scalar()
            rows = self._conn.execute(_DURATION_BOUNDS).all()
        self._next_id = int(max_id or 0) + 1
        self._buckets = {int(r[0]): int(r[1]) for r in rows}
        self._last.clear()
        self._touched_days = None
        self._reported_days = None

    def _run(self) -> None:
        assert self._conn is not None
        conn = self._conn
        # The hot path talks to the driver directly (BEGIN/COMMIT, executemany); the
        # occasional Core statement joins the same transaction (see store._begin).
        raw: Any = sql_dialect.writer_driver(conn)
        self._raw = raw
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            assert isinstance(first, _Job)
            batch: list[_Job] = [first]
            deadline = time.monotonic() + self._max_delay
            try:
                sql_dialect.begin_writer(conn, raw)
                self._apply(conn, first)
                while len(batch) < self._max_batch and time.monotonic() < deadline:
                    if self._queue.empty():  # this thread is the only consumer
                        break
                    op = self._queue.get_nowait()
                    if op is _STOP:
                        stopping = True
                        break
                    assert isinstance(op, _Job)
                    batch.append(op)
                    self._apply(conn, op)
                self._commit(conn)
            except Exception as exc:
                # Nothing of this transaction is kept. Whatever failed (a statement, the
                # commit, a value the driver cannot bind, a bug) must neither end the one
                # thread every write depends on nor fail the other changes of the batch.
                self._recover(batch, exc)
                continue
            self._finish_batch(batch)
        self._fail_leftovers()

    def _commit(self, conn: Connection) -> None:
        self._flush_pending(conn)
        if conn.in_transaction():
            conn.commit()
        else:
            self._raw.execute("COMMIT")
        if self._shared:
            # Another process may change a bucket's last event or store cache rows of the
            # days reported here before this writer's next transaction.
            self._last.clear()
            self._reported_days = None

    # -- a failed transaction -----------------------------------------------------------
    def _recover(self, batch: list[_Job], exc: Exception) -> None:
        """After a failed transaction: fail every change if the database cannot be written,
        else find the failing change(s) and store all the others.

        Which change failed is found by applying halves of the batch again, each in a
        transaction of its own (a few transactions for one bad change among thousands); a
        change that fails alone fails only its own caller. The normal path pays nothing
        for this: no savepoint per change.
        """
        if self._rollback(exc):
            self._fail_batch(batch, exc)
        else:
            self._retry(batch, exc)

    def _rollback(self, exc: BaseException) -> bool:
        """Roll back and reset the writer's state; True (all of the batch is failed by the
        caller's ``_fail_batch``) when the database itself is failing."""
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                self._conn.rollback()
            elif self._raw is not None and self._raw.in_transaction:
                self._raw.execute("ROLLBACK")
        except (SQLAlchemyError, self._store.dbapi.Error):
            log.warning("Rollback after a failed transaction failed too")
        self._pending_inserts.clear()
        self._pending_ends.clear()
        self._max_dur_dirty.clear()
        self._changes.clear()
        try:
            self._load_state()  # also forgets which days were reported (rolled back)
        except SQLAlchemyError:
            self._last.clear()
            return True
        return self._store.failure(exc)

    def _retry(self, ops: list[_Job], exc: BaseException) -> None:
        if len(ops) == 1:
            log.error("A change could not be saved (%s); the others were", type(exc).__name__,
                      exc_info=exc)  # fmt: skip
            _resolve(ops[0].future, None, ChangeFailedError())
            return
        middle = len(ops) // 2
        for part in (ops[:middle], ops[middle:]):
            self._attempt(part)

    def _attempt(self, ops: list[_Job]) -> None:
        """Apply ``ops`` again in a transaction of their own."""
        assert self._conn is not None
        for job in ops:
            job.outcome, job.value = "pending", None
            op = job.op
            if isinstance(op, InsertEvents) and op.given is not None:
                for event, given in zip(op.events, op.given, strict=True):
                    event.id = given
        try:
            sql_dialect.begin_writer(self._conn, self._raw)
            for job in ops:
                self._apply(self._conn, job)
            self._commit(self._conn)
        except Exception as exc:
            if self._rollback(exc):
                self._fail_batch(ops, exc)
            else:
                self._retry(ops, exc)
            return
        self._finish_batch(ops)

    def _fail_leftovers(self) -> None:
        """Operations that raced with stop(): refuse them rather than leave them hanging."""
        while True:
            try:
                op = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(op, _Job):
                closed = StorageError("The database was closed before this change could be saved.")
                _resolve(op.future, None, closed)

    def _apply(self, conn: Connection, job: _Job) -> None:
        """Apply one op inside the open transaction; its result waits for the commit.

        Validation errors fail only this op (they are raised before anything is written);
        a database error propagates and fails the whole batch.
        """
        try:
            job.outcome, job.value = "done", self._dispatch(conn, job.op)
        except (TimelyGatorError, _CallFailed) as exc:
            job.outcome = "error"
            job.value = exc.__cause__ if isinstance(exc, _CallFailed) else exc

    def _dispatch(self, conn: Connection, op: Operation) -> object:
        """The handler of each kind of operation. Heartbeats and inserts work with buffered
        rows; everything else first writes what is buffered."""
        if not isinstance(op, Heartbeat | InsertEvents):
            self._flush_pending(conn)
        match op:
            case Heartbeat():
                return self._heartbeat(op)
            case InsertEvents():
                return self._insert(conn, op.bucket_key, op.events, adopt=op.adopt)
            case Call():
                return self._call(conn, op)
            case DeleteEvents():
                return self._delete(conn, op)
            case CreateBucket():
                return self._create_bucket(conn, op)
            case UpdateBucket():
                self._update_bucket(conn, op)
                return None
            case DeleteBucket():
                self._delete_bucket(conn, op)
                return None
            case ImportBuckets():
                return self._import(conn, op)
            case PurgeBefore():
                return self._purge(op)
            case _:
                assert_never(op)

    def _call(self, conn: Connection, op: Call) -> object:
        savepoint = conn.begin_nested()
        try:
            result = op.fn(conn)
        except BaseException as exc:
            savepoint.rollback()
            if isinstance(exc, SQLAlchemyError):
                raise _CallFailed() from self._store.error(exc)
            if isinstance(exc, Exception):
                raise _CallFailed() from exc
            raise
        savepoint.commit()
        self._reported_days = None  # ``fn`` may have stored cache rows of any day
        if op.events:
            self._last.clear()
            if not self._shared:
                top = conn.execute(_MAX_EVENT_ID).scalar()
                self._next_id = max(self._next_id, int(top or 0) + 1)
            for key, bound in conn.execute(_DURATION_BOUNDS):
                self._buckets[int(key)] = int(bound)
            self._changes.append(Change("events_purged", None))
        else:
            self._changes.append(Change("other", None))
        return result

    def _finish_batch(self, batch: list[_Job]) -> None:
        self.committed_transactions += 1
        changes, self._changes = self._changes, []
        if self.state is WriterState.FAILING:
            self._set_state(WriterState.RUNNING, None)
        # Listeners first (caches are invalidated), then the callers hear back: a caller that
        # saw its result never reads a cache from before its own change.
        if changes:
            for listener in self._change_listeners:
                try:
                    listener(changes)
                except Exception:
                    log.exception("A change listener failed")
        for job in batch:
            if job.outcome == "done":
                _resolve(job.future, job.value, None)
            else:
                _resolve(job.future, None, cast(BaseException, job.value))

    def _fail_batch(self, batch: list[_Job], exc: BaseException) -> None:
        """The database cannot be written (disk full, read-only, locked, damaged): every
        change of the batch fails with that error; the app pauses tracking (FAILING)."""
        error = self._store.error(exc)
        log.error("A write transaction failed: %s", error)
        self._set_state(WriterState.FAILING, error)
        for job in batch:
            failure = cast(BaseException, job.value) if job.outcome == "error" else error
            _resolve(job.future, None, failure)

    def _set_state(self, state: WriterState, error: StorageError | None) -> None:
        self.state = state
        self.last_error = error
        for listener in self._state_listeners:
            try:
                listener(state, error)
            except Exception:
                log.exception("A writer state listener failed")

    # -- operations (writer thread) -----------------------------------------------------
    def _require_bucket(self, bucket_key: int) -> None:
        if bucket_key in self._buckets:
            return
        if self._shared:  # made by another process?
            bound = self._raw.execute(_BUCKET_BOUND_SQL, (bucket_key,)).fetchone()
            if bound is not None:
                self._buckets[bucket_key] = int(bound[0])
                return
        raise NotFoundError(f"There is no bucket with key {bucket_key}.")

    def _last_event(self, bucket_key: int) -> Event | None:
        if bucket_key in self._last:
            return self._last[bucket_key]
        row = self._raw.execute(_LAST_EVENT_SQL, (bucket_key,)).fetchone()
        last = None
        if row is not None:
            last = Event(row[1], row[2], jsoncodec.loads(row[4]), row[0], row[3])
        self._last[bucket_key] = last
        return last

    def _touch(self, start_us: int, end_us: int) -> None:
        """Note the days an event spanning ``start_us..end_us`` may touch (for the hooks)."""
        low, high = touched_days(start_us, end_us)
        self._touch_days(low, high)

    def _touch_days(self, low: int, high: int) -> None:
        reported = self._reported_days
        if reported is not None and reported[0] <= low and high <= reported[1]:
            return
        touched = self._touched_days
        self._touched_days = (
            (low, high) if touched is None else (min(touched[0], low), max(touched[1], high))
        )

    def _report_days(self, conn: Connection) -> None:
        """Tell the hooks the days touched since the last report (inside the transaction)."""
        if self._touched_days is None:
            return
        low, high = self._touched_days
        self._touched_days = None
        for hook in self._transaction_hooks:
            hook(conn, low, high)
        reported = self._reported_days
        if reported is None or high < reported[0] - 1 or low > reported[1] + 1:
            self._reported_days = (low, high)
        else:
            self._reported_days = (min(reported[0], low), max(reported[1], high))

    def _note_duration(self, bucket_key: int, duration_us: int) -> None:
        """Keep the bucket's stored duration bound above its longest event.

        The bound is raised with headroom (twice the duration, at least 10 minutes) so a
        growing event rewrites the bucket row a handful of times, not on every heartbeat.
        """
        if duration_us > self._buckets.get(bucket_key, 0):
            bound = max(2 * duration_us, _MIN_DURATION_BOUND_US)
            self._buckets[bucket_key] = bound
            self._max_dur_dirty[bucket_key] = bound

    def _heartbeat(self, op: Heartbeat) -> Event:
        bucket_key, event = op.bucket_key, op.event
        self._require_bucket(bucket_key)
        last = self._last_event(bucket_key)
        merged = merge_heartbeat(last, event, op.pulsetime_us)
        if merged is not None and merged.id is not None:
            pending = self._pending_inserts.get(merged.id)
            if pending is not None:
                pending[3] = merged.end_us
            else:
                self._pending_ends[merged.id] = merged.end_us
            self._last[bucket_key] = merged
            self._touch(merged.start_us, merged.end_us)
            self._note_duration(bucket_key, merged.end_us - merged.start_us)
            if self._change_listeners:
                self._changes.append(Change("event", bucket_key, merged))
            return merged
        if self._shared:
            assert self._conn is not None
            (new_id,) = sql_dialect.new_ids(self._conn, _EVENTS, 1)
        else:
            new_id = self._next_id
            self._next_id += 1
        stored = Event(event.start_us, event.end_us, event.data, new_id, event.tz_offset_s)
        self._pending_inserts[new_id] = [
            new_id,
            bucket_key,
            stored.start_us,
            stored.end_us,
            stored.tz_offset_s,
            dump_data(stored.data),
        ]
        if last is None or stored.start_us >= last.start_us:
            self._last[bucket_key] = stored
        self._touch(stored.start_us, stored.end_us)
        self._note_duration(bucket_key, stored.end_us - stored.start_us)
        if self._change_listeners:
            self._changes.append(Change("event", bucket_key, stored))
        return stored

    def _insert(
        self, conn: Connection, bucket_key: int, events: list[Event], *, adopt: bool
    ) -> list[Event]:
        self._require_bucket(bucket_key)
        updates = [e for e in events if e.id is not None]
        if updates:
            self._flush_pending(conn)
            ids = [e.id for e in updates]
            found: dict[int, tuple[int, int]] = {}
            for event_id, old_start, old_end in conn.execute(
                select(models.Event.id, models.Event.start_us, models.Event.end_us).where(
                    models.Event.bucket_id == bucket_key, models.Event.id.in_(ids)
                )
            ):
                found[int(event_id)] = (int(old_start), int(old_end))
                self._touch(old_start, old_end)
        else:
            found = {}
        stored: list[Event] = []
        new_rows: list[tuple[int | str | None, ...]] = []
        changed_rows: list[tuple[int | str | None, ...]] = []
        next_id = self._next_id
        fresh_ids: Iterator[int] | None = None
        if self._shared:
            wanted = sum(1 for item in events if item.id is None or item.id not in found)
            if wanted:
                fresh_ids = iter(sql_dialect.new_ids(conn, _EVENTS, wanted))
        low = high = events[0].start_us if events else 0
        longest = 0
        for item in events:
            start, end, offset = item.start_us, item.end_us, item.tz_offset_s
            text = dump_data(item.data)
            if item.id is not None and item.id in found:
                event_id = item.id
                changed_rows.append((start, end, offset, text, event_id))
            else:
                if fresh_ids is None:
                    event_id = next_id
                    next_id += 1
                else:
                    event_id = next(fresh_ids)
                new_rows.append((event_id, bucket_key, start, end, offset, text))
            if adopt:
                item.id = event_id
                stored.append(item)
            else:
                stored.append(Event(start, end, item.data, event_id, offset))
            if start < low:
                low = start
            if end > high:
                high = end
            if end - start > longest:
                longest = end - start
        self._next_id = next_id
        if stored:
            self._touch(low, high)
            self._note_duration(bucket_key, longest)
        if new_rows:
            self._flush_pending(conn)
            self._raw.executemany(_INSERT_SQL, new_rows)
        if changed_rows:
            self._raw.executemany(
                "UPDATE events SET start_us = ?, end_us = ?, tz_offset_s = ?, data = ? "
                "WHERE id = ?",
                changed_rows,
            )
        self._last.pop(bucket_key, None)
        if self._change_listeners:
            self._changes.extend(
                Change("event", bucket_key, e, replaced=e.id in found, span=found.get(e.id or -1))
                for e in stored
            )
        return stored

    def _delete(self, conn: Connection, op: DeleteEvents) -> int:
        bucket_key, event_ids = op.bucket_key, op.event_ids
        self._require_bucket(bucket_key)
        if not event_ids:
            return 0
        spans = conn.execute(
            delete(models.Event)
            .where(models.Event.bucket_id == bucket_key, models.Event.id.in_(event_ids))
            .returning(models.Event.id, models.Event.start_us, models.Event.end_us)
        ).all()
        for _id, start_us, end_us in spans:
            self._touch(start_us, end_us)
        self._last.pop(bucket_key, None)
        self._changes.extend(
            Change("event_deleted", bucket_key, event_id=int(i), span=(int(s), int(e)))
            for i, s, e in spans
        )
        return len(spans)

    def _import(self, conn: Connection, op: ImportBuckets) -> list[ImportDone]:
        # All or nothing: a savepoint, and the writer's own state restored if it fails.
        self._flush_pending(conn)
        snapshot = (dict(self._buckets), dict(self._last), self._next_id, len(self._changes))
        savepoint = conn.begin_nested()
        try:
            done = self._import_all(conn, op.user_id, op.buckets, op.also)
        except BaseException as exc:
            savepoint.rollback()
            self._buckets, self._last, self._next_id, kept = snapshot
            del self._changes[kept:]
            self._pending_inserts.clear()
            self._pending_ends.clear()
            self._max_dur_dirty.clear()
            if isinstance(exc, SQLAlchemyError):
                raise self._store.error(exc) from None
            raise
        savepoint.commit()
        return done

    def _import_all(
        self,
        conn: Connection,
        user_id: int,
        buckets: list[ImportItem],
        also: Callable[[Connection], object] | None,
    ) -> list[ImportDone]:
        done = []
        if also is not None:
            also(conn)
            self._reported_days = None
            self._changes.append(Change("other", None))
        for bucket in buckets:
            created = self._create_bucket(
                conn,
                CreateBucket(
                    user_id,
                    bucket.name,
                    bucket.type,
                    bucket.client,
                    bucket.hostname,
                    bucket.data,
                    bucket.created_us,
                ),
            )
            if created is not None:
                key = created.key
            else:
                key = int(
                    conn.execute(
                        select(models.Bucket.id).where(
                            models.Bucket.user_id == user_id, models.Bucket.name == bucket.name
                        )
                    ).scalar_one()
                )
            fresh, present, repeated = split_new_events(conn, key=key, events=bucket.events)
            if fresh:
                self._insert(conn, key, fresh, adopt=True)
                self._flush_pending(conn)
            done.append(ImportDone(bucket.name, created is not None, len(fresh), present, repeated))
        return done

    def _purge(self, op: PurgeBefore) -> int:
        cutoff_us = op.cutoff_us
        deleted = 0
        for key in list(self._buckets):
            cursor = self._raw.execute(
                "DELETE FROM events WHERE bucket_id = ? AND start_us < ? AND end_us < ?",
                (key, cutoff_us, cutoff_us),
            )
            deleted += int(cursor.rowcount)
        self._last.clear()
        if deleted:
            self._touch(EVERY_DAY[0], cutoff_us)
        if deleted:
            self._changes.append(Change("events_purged", None))
        return deleted

    def _create_bucket(self, conn: Connection, op: CreateBucket) -> BucketInfo | None:
        user_id, name, created_us = op.user_id, op.name, op.created_us
        if not name or len(name) > 500:
            raise ValidationError("A bucket id must be 1 to 500 characters long.")
        existing = conn.execute(
            select(models.Bucket.id).where(
                models.Bucket.user_id == user_id, models.Bucket.name == name
            )
        ).first()
        if existing is not None:
            return None
        created = created_us if created_us is not None else self._clock.now_us()
        key = conn.execute(
            insert(models.Bucket)
            .values(
                user_id=user_id,
                name=name,
                type=op.type,
                client=op.client,
                hostname=op.hostname,
                created_us=created,
                data=dump_data(op.data),
                max_duration_us=0,
            )
            .returning(models.Bucket.id)
        ).scalar_one()
        self._buckets[int(key)] = 0
        self._last[int(key)] = None
        self._changes.append(Change("bucket", int(key)))
        return BucketInfo(int(key), name, op.type, op.client, op.hostname, created, op.data)

    def _update_bucket(self, conn: Connection, op: UpdateBucket) -> None:
        bucket_key = op.bucket_key
        self._require_bucket(bucket_key)
        values: dict[str, object] = dict(op.fields)
        if "data" in values:
            values["data"] = dump_data(op.fields["data"])
        if values:
            conn.execute(
                update(models.Bucket).where(models.Bucket.id == bucket_key).values(**values)
            )
        if "type" in values:  # analytics pick buckets by type
            self._touch_days(*EVERY_DAY)
        self._changes.append(Change("bucket", bucket_key))

    def _delete_bucket(self, conn: Connection, op: DeleteBucket) -> None:
        bucket_key = op.bucket_key
        self._require_bucket(bucket_key)
        conn.execute(delete(models.Event).where(models.Event.bucket_id == bucket_key))
        conn.execute(delete(models.Bucket).where(models.Bucket.id == bucket_key))
        self._touch_days(*EVERY_DAY)
        del self._buckets[bucket_key]
        self._last.pop(bucket_key, None)
        self._max_dur_dirty.pop(bucket_key, None)
        self._changes.append(Change("bucket_deleted", bucket_key))

    def _flush_pending(self, conn: Connection) -> None:
        """Write buffered heartbeat inserts/extensions (called before reads and commit)."""
        self._report_days(conn)
        if self._pending_inserts:
            rows = [tuple(r) for r in self._pending_inserts.values()]
            self._pending_inserts.clear()
            self._raw.executemany(_INSERT_SQL, rows)
        if self._pending_ends:
            ends = [(end, event_id) for event_id, end in self._pending_ends.items()]
            self._pending_ends.clear()
            if len(ends) == 1:  # the common case: one heartbeat extended its event
                self._raw.execute(_UPDATE_END_SQL, ends[0])
            else:
                self._raw.executemany(_UPDATE_END_SQL, ends)
        if self._max_dur_dirty:
            durs = [(d, key) for key, d in self._max_dur_dirty.items()]
            self._max_dur_dirty.clear()
            self._raw.executemany(
                "UPDATE buckets SET max_duration_us = ? WHERE id = ? AND max_duration_us < ?",
                [(d, key, d) for d, key in durs],
            )


def _resolve(future: Future[Any], result: object, error: BaseException | None) -> None:
    """Hand a result to its caller; a caller that cancelled its future no longer cares."""
    try:
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
    except InvalidStateError:
        pass  # cancelled in the meantime


def _check_event(event: Event) -> None:
    start, end = event.start_us, event.end_us
    if end < start:
        raise ValidationError("An event's duration must not be negative.")
    if start < EARLIEST_US or end > LATEST_US:  # inline: every heartbeat passes here
        check_time_range(start, end, "An event's time")
    if not isinstance(event.data, dict):
        raise ValidationError("An event's data must be a JSON object.")
