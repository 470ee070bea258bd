"""Process-wide settings that every TimelyGator process applies when it starts."""

from __future__ import annotations

import gc

# Net allocations of container objects between two collections of the youngest generation
# (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Run the cyclic garbage collector's young collections 14x less often.

    Every write allocates several container objects that live until its transaction has
    committed: the caller's future (with its condition, lock and lists), the queued
    operation, the event and its data. With the default threshold the collector runs every
    few dozen heartbeats and walks all of them again and again as they move through the
    older generations; in ``tests/benchmarks/storage.py`` that costs more than the writes
    themselves (pipelined heartbeats: 15 -> 9 µs each). A young generation of 10,000
    objects is still collected in well under a millisecond, and cycles are still freed.
    A higher threshold set by someone else is left alone.
    """
    young, *older = gc.get_threshold()
    if young < GC_YOUNG_THRESHOLD:
        gc.set_threshold(GC_YOUNG_THRESHOLD, *older)
