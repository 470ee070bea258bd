"""Copying the write-ahead log into the database file, off the writer's path.

By default SQLite checkpoints a WAL database inside the commit that leaves more than 1,000
pages in the log: that commit's writer, and every caller waiting for its acknowledgement,
then waits while up to 4 MB are copied and synced (10-70 ms on an ordinary disk, measured
with ``tests/benchmarks/storage.py``-style bulk loads). Here a thread with its own connection
runs *passive* checkpoints a few times a second while there are new commits. A passive
checkpoint never blocks the writer or the readers, and SQLite releases the GIL for all of it,
so the copying runs beside the writer instead of inside it.

The writer keeps SQLite's automatic checkpoint as a backstop with a higher threshold
(``WRITER_CHECKPOINT_PAGES``). It also restarts the log at its beginning when everything in
it has been copied, so the file does not keep growing under a continuous load.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from timelygator.core import sql_dialect
from timelygator.core.store import DataStore

log = logging.getLogger(__name__)

# The writer's own automatic checkpoint, in pages (SQLite's default is 1,000).
WRITER_CHECKPOINT_PAGES = 10_000


class WalCheckpointer:
    """Runs passive WAL checkpoints (``sql_dialect.checkpoint_passive``) on its own thread
    after new commits.

    ``commits`` returns how many transactions the writer has committed so far; a checkpoint
    runs at most every ``interval`` seconds, and only when that number changed.
    """

    def __init__(self, store: DataStore, commits: Callable[[], int], *, interval: float = 0.25):
        self._store = store
        self._commits = commits
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress = threading.Condition()
        self.covered = 0  # commits included in a finished checkpoint
        self.checkpoints = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="timelygator-checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._thread = None

    def wait_covered(self, commits: int, timeout: float) -> bool:
        """Wait until a checkpoint has copied at least the first ``commits`` transactions."""
        with self._progress:
            return self._progress.wait_for(lambda: self.covered >= commits, timeout)

    def _run(self) -> None:
        try:
            conn = self._store.engine.connect()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("No background checkpoints (%s); SQLite's own ones remain", exc)
            return
        seen = 0
        try:
            while not self._stop.wait(self._interval):
                commits = self._commits()
                if commits == seen:
                    continue
                try:
                    sql_dialect.checkpoint_passive(conn)
                except self._store.dbapi.Error as exc:
                    # Busy or a failing disk: the next round (or the writer's backstop) retries.
                    log.debug("Background checkpoint skipped: %s", type(exc).__name__)
                    continue
                seen = commits
                with self._progress:
                    self.covered = commits
                    self.checkpoints += 1
                    self._progress.notify_all()
        finally:
            conn.close()
