"""Storage benchmark: the real (SQLCipher) store vs plain SQLite, same workload, one run.

Prints one JSON object. Figures:
- heartbeats_pipelined_per_s: 4 producers submit heartbeats without waiting (as concurrent API
  clients and watchers do), all acknowledged after commit.
- heartbeats_sequential_per_s: one producer that waits for each acknowledgement.
- bulk_insert_per_s: insert_events in batches of 5,000.
- day_read_ms: one-day range read (clipped, newest first) on a 1M-event database.
- open_ms: opening that 1M-event database (key, schema check, first query).
- heartbeats_sequential_one_cpu_per_s: the sequential figure with the producer and the writer
  sharing one CPU (Linux), and handoff_round_trip_us: what a bare request/answer between two
  threads costs on this machine, with the writer's own primitives (SimpleQueue + Future) and
  no work at all, on two CPUs and on one. Diagnostics, not targets: they show how much of the
  sequential figure is the machine waking an idle CPU rather than the work of a write;
  machine_idle records the CPU idle policy that sets that cost.
The process runs with TimelyGator's garbage-collector setting (core.runtime.tune_gc).
Usage: python tests/benchmarks/storage.py [--events 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from timelygator.core import reader
from timelygator.core.analytics.cache_rows import clear_days
from timelygator.core.event import Event
from timelygator.core.keys import DataKey
from timelygator.core.runtime import tune_gc
from timelygator.core.schema import ensure_schema
from timelygator.core.store import CURRENT_LAYOUT, Store
from timelygator.core.writer import Writer

S = 1_000_000
T0 = 1_735_689_600 * S  # 2025-01-01
APPS = [f"app{i}" for i in range(120)]


def open_backend(path: Path, key: DataKey | None) -> tuple[Store, Writer, int]:
    store = Store(path, key)
    ensure_schema(store)
    with store.engine.begin() as conn:
        if conn.exec_driver_sql("SELECT count(*) FROM users").scalar_one() == 0:
            conn.exec_driver_sql("INSERT INTO users (name, created_us) VALUES ('local', 0)")
    writer = Writer(store)
    writer.add_transaction_hook(clear_days)  # as every writer the app opens (new_writer)
    writer.start()
    return store, writer, 1


def heartbeat_stream(n: int, seed: int, start_us: int) -> list[Event]:
    """Window heartbeats every second; the window changes every 1-30 s (merges + new events)."""
    rng = random.Random(seed)
    out: list[Event] = []
    t = start_us
    while len(out) < n:
        app = rng.choice(APPS)
        data = {"app": app, "title": f"{app} — document {rng.randrange(5000)}.txt"}
        for _ in range(rng.randint(1, 30)):
            out.append(Event(t, t, data))
            t += S
            if len(out) >= n:
                break
    return out


def bench_pipelined(writer: Writer, user_id: int, n: int) -> float:
    keys = [
        writer.create_bucket(user_id, f"pipe{i}", type="currentwindow", client="b", hostname="h")
        .result()
        .key  # type: ignore[union-attr]
        for i in range(4)
    ]
    streams = [heartbeat_stream(n // 4, i, T0) for i in range(4)]
    barrier = threading.Barrier(5)

    def produce(key: int, events: list[Event]) -> None:
        barrier.wait()
        futures = [writer.heartbeat(key, e, 1.5) for e in events]
        for f in futures:
            f.result()

    threads = [threading.Thread(target=produce, args=a) for a in zip(keys, streams, strict=True)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return n / (time.perf_counter() - start)


def bench_sequential(writer: Writer, user_id: int, n: int) -> tuple[float, float]:
    info = writer.create_bucket(user_id, "seq", type="currentwindow", client="b", hostname="h")
    key = info.result().key  # type: ignore[union-attr]
    events = heartbeat_stream(n, 99, T0)
    latencies = []
    start = time.perf_counter()
    for e in events:
        t = time.perf_counter()
        writer.heartbeat(key, e, 1.5).result()
        latencies.append(time.perf_counter() - t)
    rate = n / (time.perf_counter() - start)
    return rate, statistics.quantiles(latencies, n=100)[98] * 1000


@contextmanager
def one_cpu() -> Iterator[bool]:
    """Run the calling thread, and the threads it starts meanwhile, on one CPU (Linux only).

    Yields False where affinity cannot be set; the caller then skips its figure.
    """
    if not hasattr(os, "sched_setaffinity"):
        yield False
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield True
    finally:
        os.sched_setaffinity(0, before)


def machine_idle() -> dict[str, str]:
    """The CPU idle policy, which sets what waking the writer costs (Linux; {} elsewhere).

    With ``haltpoll`` and ``guest_halt_poll_ns = 0`` an idle virtual CPU halts at once and
    every hand-off between two threads pays for waking it through the host.
    """
    sources = {
        "cpuidle_driver": "/sys/devices/system/cpu/cpuidle/current_driver",
        "guest_halt_poll_ns": "/sys/module/haltpoll/parameters/guest_halt_poll_ns",
    }
    found: dict[str, str] = {}
    for name, source in sources.items():
        try:
            found[name] = Path(source).read_text(encoding="ascii").strip()
        except OSError:
            continue
    return found


def handoff_round_trip_us(n: int = 5000) -> float:
    """Median time for one bare request/answer between two threads, in microseconds.

    The writer's own primitives (a SimpleQueue to it, a Future back) with no work between:
    the least any acknowledged write through a writer thread can take on this machine.
    """
    requests: queue.SimpleQueue[Future[None] | None] = queue.SimpleQueue()

    def answer() -> None:
        while (request := requests.get()) is not None:
            request.set_result(None)

    thread = threading.Thread(target=answer)
    thread.start()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        future: Future[None] = Future()
        requests.put(future)
        future.result()
        times.append(time.perf_counter() - t)
    requests.put(None)
    thread.join()
    return statistics.median(times) * 1e6


def bench_bulk(writer: Writer, user_id: int, n: int, name: str = "bulk") -> float:
    info = writer.create_bucket(user_id, name, type="currentwindow", client="b", hostname="h")
    key = info.result().key  # type: ignore[union-attr]
    rng = random.Random(7)
    start_us = T0
    batches = []
    for b in range(0, n, 5000):
        batch = []
        for i in range(b, min(n, b + 5000)):
            app = rng.choice(APPS)
            batch.append(
                Event(
                    start_us + i * 10 * S,
                    start_us + i * 10 * S + 9 * S,
                    {"app": app, "title": f"{app} {i % 3000}"},
                )
            )
        batches.append(batch)
    start = time.perf_counter()
    futures = [writer.insert_events(key, batch) for batch in batches]
    for f in futures:
        f.result()
    return n / (time.perf_counter() - start)


def day_reader(store: Store, bucket: str) -> Callable[[], tuple[float, int]]:
    """A function timing one read of the middle day of ``bucket`` (ms, events read)."""
    with store.connect() as conn:
        key = reader.bucket_key(conn, 1, bucket)
        first, last = conn.exec_driver_sql(
            "SELECT min(start_us), max(end_us) FROM events WHERE bucket_id = ?", (key,)
        ).one()
    day_start = first + (last - first) // 2

    def read() -> tuple[float, int]:
        with store.connect() as conn:
            t = time.perf_counter()
            events = reader.get_events(conn, key, day_start, day_start + 86_400 * S)
            return (time.perf_counter() - t) * 1000, len(events)

    return read


def time_open(path: Path, key: DataKey | None) -> float:
    """Open the database as the app does (key, schema check, first query); ms."""
    t = time.perf_counter()
    store = Store(path, key)
    ensure_schema(store)
    with store.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM buckets").scalar_one()
    elapsed = time.perf_counter() - t
    store.engine.dispose()
    return elapsed * 1000


def write_round(
    name: str, key: DataKey | None, args: argparse.Namespace, tmp: Path
) -> dict[str, float]:
    """One round of the write figures on a fresh database."""
    path = tmp / f"{name}-{time.monotonic_ns()}.db"
    store, writer, user = open_backend(path, key)
    result = {"heartbeats_pipelined_per_s": bench_pipelined(writer, user, args.heartbeats)}
    rate, p99 = bench_sequential(writer, user, args.sequential)
    result["heartbeats_sequential_per_s"] = rate
    result["heartbeat_sequential_p99_ms"] = p99
    result["bulk_insert_per_s"] = bench_bulk(writer, user, args.bulk)
    writer.stop()
    store.close()
    with one_cpu() as pinned:
        if pinned:  # a fresh writer, so its thread starts on the one CPU too
            store, writer, user = open_backend(path.with_suffix(".one-cpu.db"), key)
            result["heartbeats_sequential_one_cpu_per_s"] = bench_sequential(
                writer, user, args.sequential
            )[0]
            writer.stop()
            store.close()
    return result


def read_figures(
    keys: dict[str, DataKey | None], args: argparse.Namespace, tmp: Path
) -> dict[str, dict[str, float]]:
    """Build the large database of each store, then time one-day reads and opening them,
    alternating between the stores repeat by repeat (medians)."""
    paths = {name: tmp / f"{name}-big.db" for name in keys}
    for name, key in keys.items():
        store, writer, user = open_backend(paths[name], key)
        bench_bulk(writer, user, args.events, name="big")
        writer.stop()
        store.close()
    stores = {name: Store(paths[name], key) for name, key in keys.items()}
    readers = {name: day_reader(store, "big") for name, store in stores.items()}
    times: dict[str, dict[str, list[float]]] = {name: {"read": [], "open": []} for name in keys}
    counts = dict.fromkeys(keys, 0)
    for _ in range(args.read_repeats):
        for name, key in keys.items():
            read_ms, counts[name] = readers[name]()
            times[name]["read"].append(read_ms)
            times[name]["open"].append(time_open(paths[name], key))
    for store in stores.values():
        store.engine.dispose()
    return {
        name: {
            "day_read_ms": statistics.median(times[name]["read"]),
            "day_read_events": counts[name],
            "open_ms": statistics.median(times[name]["open"]),
            "file_mb": paths[name].stat().st_size / 1e6,
        }
        for name in keys
    }


def run_all(
    args: argparse.Namespace, tmp: Path
) -> tuple[dict[str, float], dict[str, float], dict[str, list[dict[str, float]]]]:
    """Alternate the two stores round by round (machines are noisy) and keep medians.

    Also returns every round's write figures: one-second runs on a 2-core VM vary by tens of
    percent from round to round, which the medians smooth and the JSON shows.
    """
    key = DataKey.generate()
    rounds: dict[str, list[dict[str, float]]] = {"sqlcipher": [], "sqlite": []}
    for _ in range(args.rounds):
        rounds["sqlcipher"].append(write_round("sqlcipher", key, args, tmp))
        rounds["sqlite"].append(write_round("sqlite", None, args, tmp))
    medians = {
        name: {k: statistics.median(r[k] for r in results) for k in results[0]}
        for name, results in rounds.items()
    }
    for name, figures in read_figures({"sqlcipher": key, "sqlite": None}, args, tmp).items():
        medians[name].update(figures)
    return medians["sqlcipher"], medians["sqlite"], rounds


def null_bind_ratio(key: DataKey, tmp: Path, rows: int = 20_000, repeats: int = 7) -> float:
    """Time to insert rows binding one NULL each over rows binding an integer (best of
    ``repeats``, alternating): ~1.25x with ``core.store.bind_none_directly``'s adapter on the
    development VM, ~2.3x without it. (Moved here from the test suite: a speed, not a rule.)"""
    store = Store(tmp / "binding.db", key)
    try:
        with store.connect() as conn:
            raw: Any = conn.connection.driver_connection
            best = {"nulls": float("inf"), "numbers": float("inf")}
            data = {
                "nulls": [(i, None) for i in range(rows)],
                "numbers": [(i, 3600) for i in range(rows)],
            }
            for table in best:
                raw.execute(f"CREATE TEMP TABLE {table} (a INTEGER, b INTEGER)")
            for _ in range(repeats):
                for table, values in data.items():
                    raw.execute(f"DELETE FROM {table}")
                    started = time.perf_counter()
                    raw.executemany(f"INSERT INTO {table} VALUES (?, ?)", values)
                    best[table] = min(best[table], time.perf_counter() - started)
    finally:
        store.close()
    return best["nulls"] / best["numbers"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="size of the read/open database"
    )
    parser.add_argument("--heartbeats", type=int, default=200_000)
    parser.add_argument("--sequential", type=int, default=10_000)
    parser.add_argument("--bulk", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds (medians)")
    parser.add_argument(
        "--read-repeats", type=int, default=9, help="alternating day reads and opens (medians)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.events, args.heartbeats, args.sequential, args.bulk = 100_000, 20_000, 2_000, 20_000
    tune_gc()  # as every TimelyGator process does when it starts (core.cli.run, the app's main)
    handoff = {"two_cpus": handoff_round_trip_us()}
    with one_cpu() as pinned:
        if pinned:
            handoff["one_cpu"] = handoff_round_trip_us()
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        encrypted, plain, rounds = run_all(args, Path(tmp))
        null_ratio = null_bind_ratio(DataKey.generate(), Path(tmp))
    overhead = {
        "heartbeats_pipelined": plain["heartbeats_pipelined_per_s"]
        / encrypted["heartbeats_pipelined_per_s"],
        "heartbeats_sequential": plain["heartbeats_sequential_per_s"]
        / encrypted["heartbeats_sequential_per_s"],
        "bulk_insert": plain["bulk_insert_per_s"] / encrypted["bulk_insert_per_s"],
        "day_read": encrypted["day_read_ms"] / plain["day_read_ms"],
        "open": encrypted["open_ms"] / plain["open_ms"],
    }
    targets = {
        "heartbeats_pipelined_per_s>=50000": encrypted["heartbeats_pipelined_per_s"] >= 50_000,
        "heartbeats_sequential_per_s>=10000": encrypted["heartbeats_sequential_per_s"] >= 10_000,
        "bulk_insert_per_s>=100000": encrypted["bulk_insert_per_s"] >= 100_000,
        "encryption_overhead<=1.3x": all(v <= 1.3 for v in overhead.values()),
        "open_ms<50": encrypted["open_ms"] < 50,
        "null_bind_vs_integer<1.75x": null_ratio < 1.75,
    }
    print(
        json.dumps(
            {
                "events_in_read_db": args.events,
                "rounds": args.rounds,
                "sqlcipher": {k: round(v, 2) for k, v in encrypted.items()},
                "sqlite": {k: round(v, 2) for k, v in plain.items()},
                "encryption_overhead_x": {k: round(v, 3) for k, v in overhead.items()},
                "targets_met": targets,
                "handoff_round_trip_us": {k: round(v, 1) for k, v in handoff.items()},
                "null_bind_vs_integer_x": round(null_ratio, 2),
                "machine_idle": machine_idle(),
                "sqlcipher_layout": CURRENT_LAYOUT.describe(),
                "per_round": {
                    name: [{k: round(v, 2) for k, v in r.items()} for r in results]
                    for name, results in rounds.items()
                },
                "python": sys.version.split()[0],
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
