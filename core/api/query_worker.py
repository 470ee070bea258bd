"""Queries in worker processes of their own: they cannot hold the server's GIL, and a query
past its deadline is stopped by ending its process.

On a worker thread a CPU-heavy query (a big ``categorize``, many events) shares the
interpreter lock with the event loop and the writer, so every heartbeat waits for its turn;
measured with ``tests/benchmarks/hostile_load.py``, the good clients' p99 rose several-fold
while one client sent such queries back to back. In a process of its own the query runs
beside the server, on another core where there is one, and the server only waits for its
answer on a thread. The budgets of ``core.query.budget`` apply in the worker as before; the
deadline is also kept from outside: a worker that has not answered a second after it is
ended and replaced.

Workers open the database read-only with the server's key, or in server mode its URL
(handed over a pipe, never on a command line or in a log), and start with the server, so the
first query does not wait for one. ``timelygator serve`` uses them
(``ApiConfig.query_processes``); the desktop app keeps queries on threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from multiprocessing.connection import Connection as Pipe
from typing import Any

from sqlalchemy import Connection
from timelygator.core.errors import StorageError, TimelyGatorError, ValidationError
from timelygator.core.query.budget import QueryBudget, run_with_deadline
from timelygator.core.store import DataStore, ReaderSpec

log = logging.getLogger(__name__)

GRACE_S = 1.0  # how long past the deadline a worker may take before it is ended
START_TIMEOUT_S = 60.0


def run_query_json(
    conn: Connection,
    user_id: int,
    statements: list[str] | str,
    periods: list[str],
    budget: QueryBudget,
) -> bytes:
    """The query's answer as JSON, within ``budget`` (ValidationError naming a limit)."""
    from timelygator.core.api.wire import dumps
    from timelygator.core.query import run_query
    from timelygator.core.query.store_source import StoreDataSource

    source = StoreDataSource(conn, user_id)

    def answer() -> bytes:
        body = dumps(run_query(statements, periods, source, budget))
        budget.check_answer(len(body))
        return body

    try:
        return run_with_deadline(answer, budget)
    except StorageError:
        raise
    except TimelyGatorError as exc:  # unknown bucket, bad query, bad period, a limit
        raise ValidationError(str(exc)) from None
    except RecursionError:
        raise ValidationError("The query is nested too deeply.") from None
    except (ValueError, TypeError, OverflowError):
        raise ValidationError(
            "The query's answer cannot be written as JSON (a number that is infinite or "
            "out of range, or text that is not valid Unicode)."
        ) from None


def _serve(pipe: Pipe) -> None:
    """A worker process: open the store, answer queries until the pipe closes."""
    spec: ReaderSpec = pipe.recv()
    store = spec.open_reader()
    pipe.send(("ready", None))
    while True:
        try:
            request = pipe.recv()
        except (EOFError, OSError):
            break
        if request is None:
            break
        user_id, statements, periods, limits = request
        budget = QueryBudget(**limits).start()
        try:
            with store.connect() as conn:
                pipe.send(("ok", run_query_json(conn, user_id, statements, periods, budget)))
        except ValidationError as exc:
            pipe.send(("invalid", str(exc)))
        except StorageError as exc:
            pipe.send(("storage", str(exc)))
        except Exception as exc:
            pipe.send(("error", type(exc).__name__))
    store.engine.dispose()


class _Worker:
    def __init__(self, spec: ReaderSpec) -> None:
        self.spec = spec
        self.process: Any = None
        self.pipe: Pipe | None = None

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve, args=(theirs,), name="timelygator-query", daemon=True
        )
        process.start()
        theirs.close()
        ours.send(self.spec)
        if not ours.poll(START_TIMEOUT_S):
            process.kill()
            raise StorageError("A query worker did not start; retry the query.")
        ours.recv()
        self.process, self.pipe = process, ours

    def stop(self, *, kill: bool = False) -> None:
        """End the worker: asked to finish, or ``kill``ed at once (it overran)."""
        pipe, process, self.pipe, self.process = self.pipe, self.process, None, None
        if pipe is not None:
            if not kill:
                with suppress(OSError):
                    pipe.send(None)
            pipe.close()
        if process is not None:
            if not kill:
                process.join(2)
            if process.is_alive():
                process.kill()
                process.join(2)

    def run(self, request: tuple[Any, ...], budget: QueryBudget) -> bytes:
        if self.pipe is None or not self.process.is_alive():
            self.stop()
            self.start()
        assert self.pipe is not None
        self.pipe.send(request)
        if not self.pipe.poll(budget.timeout_s + GRACE_S):
            log.warning("A query worker overran its deadline; ending it")
            self.stop(kill=True)
            raise budget.timed_out()
        try:
            kind, value = self.pipe.recv()
        except (EOFError, OSError):
            self.stop(kill=True)
            raise StorageError("The query worker ended unexpectedly; retry the query.") from None
        if kind == "ok":
            assert isinstance(value, bytes)
            return value
        if kind == "invalid":
            raise ValidationError(value)
        if kind == "storage":
            raise StorageError(value)
        raise TimelyGatorError(f"The query could not be run (an internal error: {value}).")


class QueryWorkers:
    """``count`` worker processes over ``store``; ``run`` blocks (call it on a thread)."""

    def __init__(self, store: DataStore, count: int) -> None:
        spec = store.reader_spec()
        self._free: list[_Worker] = [_Worker(spec) for _ in range(count)]
        self._all = list(self._free)
        self._lock = threading.Condition()
        self._closed = False

    def start(self) -> None:
        """Start every worker (on a thread of its own, so the server does not wait)."""

        def start_all() -> None:
            for worker in self._all:
                with self._borrowed(worker):
                    if worker.pipe is None and not self._closed:
                        try:
                            worker.start()
                        except Exception:
                            log.warning("A query worker did not start", exc_info=True)

        threading.Thread(target=start_all, name="timelygator-query-start", daemon=True).start()

    @contextmanager
    def _borrowed(self, worker: _Worker | None = None) -> Iterator[_Worker]:
        with self._lock:
            while not self._free or (worker is not None and worker not in self._free):
                self._lock.wait()
            taken = worker if worker is not None else self._free[-1]
            self._free.remove(taken)
        try:
            yield taken
        finally:
            with self._lock:
                self._free.append(taken)
                self._lock.notify_all()

    def run(
        self, user_id: int, statements: list[str] | str, periods: list[str], budget: QueryBudget
    ) -> bytes:
        limits = asdict(budget)
        for name in ("deadline", "events_read", "sizes"):
            limits.pop(name)
        with self._borrowed() as worker:
            if self._closed:
                raise StorageError("The server is stopping; the query was not run.")
            return worker.run((user_id, statements, periods, limits), budget)

    def close(self) -> None:
        self._closed = True
        for worker in self._all:
            with self._borrowed(worker):
                worker.stop()
