"""What the other processes on a server database change, heard as they commit.

In server mode several processes write one PostgreSQL database (``serve --workers N``), and
each keeps analytics figures in memory (``core.analytics.service``). A process hears its
own writer's changes (its change listeners); this feed makes it hear the others', through
PostgreSQL's LISTEN/NOTIFY:

- **Announce.** Every writer's transaction that changes events sends, inside that
  transaction, the UTC days it may touch (``announce``, a writer transaction hook: the same
  days the cache rows are cleared of). PostgreSQL delivers a notification only if its
  transaction commits, and delivers them in the order the transactions committed.
- **Hear.** A thread per process listens on a connection of its own and hands the days of
  every other process's changes to its listeners (the analytics engine forgets them).
- **Catch up** (``sync``): before a process trusts what it remembers, it sends a marker of
  its own and waits until its thread has heard it. Whatever committed before the marker was
  delivered before it, so after ``sync`` every change another process had committed when
  ``sync`` was called has been heard. One round trip to the server (~0.3 ms on a local one).

While the listening connection is lost (a server restart), nothing can be heard: listeners
are told that any day may have changed (``None``), ``sync`` answers False until the feed
listens again, and once it does, they are told so once more (changes made meanwhile were
not heard).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import SQLAlchemyError
from timelygator.core.errors import StorageError
from timelygator.core.server_store import ServerStore

log = logging.getLogger(__name__)

CHANNEL = "timelygator_changes"
# How long the listening thread waits for a notification before it looks at its stop flag
# (a stop sends a notification of its own, so this only bounds a lost wake-up).
_POLL_S = 5.0
_RETRY_S = 1.0

# Days that may have changed: UTC day ranges (first, last), or None for any day.
DayRanges = list[tuple[int, int]] | None
FeedListener = Callable[[DayRanges], None]


class ChangeFeed:
    """The changes other processes commit to ``store``'s database (see the module)."""

    def __init__(self, store: ServerStore) -> None:
        self._store = store
        self.origin = uuid.uuid4().hex[:16]  # this process's mark on its notifications
        self._listeners: list[FeedListener] = []
        self._state = threading.Condition()
        self._asked = 0  # markers sent by ``sync``
        self._heard = 0  # the highest marker of ours heard back
        self._listening = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def add_listener(self, listener: FeedListener) -> None:
        """Call ``listener(days)`` (on the feed's thread) for every change another process
        commits, with the UTC day ranges it may touch (None: any day)."""
        self._listeners.append(listener)

    # -- announcing (the writer's transaction hook) ---------------------------------------
    def announce(self, conn: Connection, low: int, high: int) -> None:
        """Tell the other processes, when this transaction commits, that UTC days
        ``low..high`` may have changed (register with ``Writer.add_transaction_hook``)."""
        conn.execute(select(func.pg_notify(CHANNEL, f"{self.origin} days {low} {high}")))

    # -- hearing -------------------------------------------------------------------------
    def start(self) -> None:
        """Listen from now on (StorageError when the server cannot be reached)."""
        raw = self._listen()
        self._thread = threading.Thread(
            target=self._run, args=(raw,), name="timelygator-change-feed", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening (waits for the thread)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        with contextlib.suppress(StorageError):  # else it notices within _POLL_S
            self._send("stop")  # wakes the thread at once
        thread.join(_POLL_S + 1)
        with self._state:
            self._listening = False
            self._state.notify_all()

    def sync(self, timeout: float = 10.0) -> bool:
        """Wait until every change other processes committed before this call was heard
        (and given to the listeners); False when that cannot be known (not listening)."""
        with self._state:
            if not self._listening:
                return False
            self._asked += 1
            marker = self._asked
        try:
            self._send(f"sync {marker}")
        except StorageError:
            return False
        with self._state:
            self._state.wait_for(lambda: self._heard >= marker or not self._listening, timeout)
            return self._heard >= marker

    def _send(self, message: str) -> None:
        with self._store.connect() as conn:
            conn.execute(select(func.pg_notify(CHANNEL, f"{self.origin} {message}")))
            conn.commit()

    def _listen(self) -> Any:
        """A connection of the feed's own, listening (the driver's, in autocommit)."""
        try:
            raw = self._store.engine.raw_connection()
        except SQLAlchemyError as exc:
            raise self._store.error(exc) from None
        try:
            driver = raw.driver_connection
            assert driver is not None
            driver.autocommit = True
            driver.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:
            raw.invalidate()
            raise self._store.error(exc) from None
        with self._state:
            self._listening = True
            self._state.notify_all()
        return raw

    def _run(self, raw: Any) -> None:
        while not self._stopping.is_set():
            try:
                for note in raw.driver_connection.notifies(timeout=_POLL_S):
                    if not self._heard_note(note.payload):
                        raw.invalidate()
                        return
            except self._store.dbapi.Error:
                log.warning("Lost the server's change notifications; reconnecting")
                raw.invalidate()
                raw = self._reconnect()
                if raw is None:
                    return
        raw.invalidate()  # closed, not pooled: it still listens

    def _reconnect(self) -> Any:
        with self._state:
            self._listening = False
            self._state.notify_all()
        self._tell(None)  # what changed meanwhile is not known
        while not self._stopping.wait(_RETRY_S):
            try:
                raw = self._listen()
            except StorageError:
                continue
            self._tell(None)  # nor what changed until LISTEN took effect
            return raw
        return None

    def _heard_note(self, payload: str) -> bool:
        """Handle one notification; False when it asks this feed to stop."""
        origin, _, message = payload.partition(" ")
        kind, _, rest = message.partition(" ")
        if origin == self.origin:
            if kind == "sync":
                with self._state:
                    self._heard = max(self._heard, int(rest))
                    self._state.notify_all()
            return not (kind == "stop" and self._stopping.is_set())
        if kind == "days":
            low, high = (int(part) for part in rest.split())
            self._tell([(low, high)])
        return True

    def _tell(self, days: DayRanges) -> None:
        for listener in self._listeners:
            try:
                listener(days)
            except Exception:
                log.exception("A change feed listener failed")
