"""What one query may spend: time, events read, items built, bytes answered.

A query is a small program a read token may send, and a read token must not be able to stall
or exhaust the server: ``x = concat(x, x);`` doubles a list per statement, ``x = [x, x];``
doubles what serialising it costs, a year of events can be asked for in one period. The
interpreter charges every step to a ``QueryBudget`` and stops the query with a
``QueryLimitError`` (a 400 that names the limit) as soon as one is spent:

* **items**: every list, dict and event list the query builds is sized when it is built
  (shared parts counted each time they appear, as serialising would), before it is built
  where that is possible (``concat``);
* **events**: ``query_bucket`` reads at most what is left of the budget, plus one to notice;
* **time**: checked before and after every function call; ``run_with_deadline`` also raises
  ``QueryTimeout`` inside the query's thread when the deadline passes, so even a long loop
  inside one function stops (at its next Python instruction);
* **answer bytes**: checked when the answer is written.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from timelygator.core.query.errors import QueryError

T = TypeVar("T")


class QueryLimitError(QueryError):
    """The query spent one of its budgets; the message names the limit."""


class QueryTimeout(BaseException):
    """Raised inside a query's thread when its deadline passes (``run_with_deadline``).

    A BaseException, like KeyboardInterrupt, so no ``except Exception`` on the way swallows
    it; ``finally`` blocks (connections, locks) still run."""


@dataclass(slots=True)
class QueryBudget:
    timeout_s: float = 30.0
    max_events: int = 2_000_000
    max_items: int = 1_000_000
    max_answer_bytes: int = 64 * 1024 * 1024
    deadline: float = field(default=0.0)
    events_read: int = 0
    # id(value) -> (value, size) for the lists and dicts this query built (the value is held
    # so its id is not reused while the query runs).
    sizes: dict[int, tuple[Any, int]] = field(default_factory=dict)

    def start(self) -> QueryBudget:
        self.deadline = time.monotonic() + self.timeout_s
        return self

    # -- time -------------------------------------------------------------------------------
    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise self.timed_out()

    def timed_out(self) -> QueryLimitError:
        return QueryLimitError(
            f"The query ran longer than its time limit of {self.timeout_s:g} s and was "
            "stopped: query a shorter period, fewer buckets or fewer steps."
        )

    # -- events -----------------------------------------------------------------------------
    def events_left(self) -> int:
        return max(self.max_events - self.events_read, 0)

    def take_events(self, count: int) -> None:
        self.events_read += count
        if self.events_read > self.max_events:
            raise QueryLimitError(
                f"The query reads more than its limit of {self.max_events} events: query "
                "a shorter period or fewer buckets."
            )

    # -- items ------------------------------------------------------------------------------
    def size_of(self, value: Any) -> int:
        """Items in ``value`` as serialising it would count them (1 for a plain value)."""
        if type(value) is list or type(value) is dict:
            known = self.sizes.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
            return 1 + len(value)
        return 1

    def built(self, value: T, size: int, what: str) -> T:
        """Record that the query built ``value`` of ``size`` items; refuse it past the limit."""
        self.check_items(size, what)
        if type(value) is list or type(value) is dict:
            self.sizes[id(value)] = (value, size)
        return value

    def check_items(self, size: int, what: str) -> None:
        if size > self.max_items:
            raise QueryLimitError(
                f"The query builds {what} of more than {self.max_items} items, its limit: "
                "narrow it down (fewer events, fewer repetitions)."
            )

    # -- answer -----------------------------------------------------------------------------
    def check_answer(self, size: int) -> None:
        if size > self.max_answer_bytes:
            raise QueryLimitError(
                f"The query's answer would be {size} bytes, more than its limit of "
                f"{self.max_answer_bytes}: return less (e.g. merge or limit the events)."
            )


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    """Have ``exc`` raised in thread ``thread_id`` at its next instruction (None: forget a
    pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id),
        ctypes.py_object(exc) if exc is not None else ctypes.c_void_p(None),
    )


REPEAT_S = 0.1  # a QueryTimeout raised where it is swallowed is raised again this soon


def run_with_deadline(fn: Callable[[], T], budget: QueryBudget) -> T:
    """``fn()`` on this thread; from ``budget.deadline`` on a watchdog raises
    ``QueryTimeout`` in it, which stops Python code at its next instruction (a call into C
    finishes first, and every C step of a query is bounded by the item and event limits).

    An exception raised inside a garbage-collector or ``__del__`` callback is reported and
    swallowed by Python, so the watchdog raises it again every ``REPEAT_S`` until ``fn``
    has ended.
    """
    thread_id = threading.get_ident()
    lock = threading.Lock()
    running = True
    timer: threading.Timer | None = None

    def interrupt() -> None:
        nonlocal timer
        with lock:
            if not running:
                return
            _set_async_exc(thread_id, QueryTimeout)
            timer = threading.Timer(REPEAT_S, interrupt)
            timer.daemon = True
            timer.start()

    with lock:
        timer = threading.Timer(max(budget.deadline - time.monotonic(), 0.0), interrupt)
        timer.daemon = True
        timer.start()
    try:
        return fn()
    except QueryTimeout:
        raise budget.timed_out() from None
    finally:
        with lock:
            running = False
            if timer is not None:
                timer.cancel()
            _set_async_exc(thread_id, None)  # one raised too late for fn: never delivered
