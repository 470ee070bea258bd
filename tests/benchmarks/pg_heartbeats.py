#!/usr/bin/env python3
"""Heartbeats per second through ``serve --workers 2`` on PostgreSQL, from 8 clients (and
through ``serve`` on SQLite, as the peer).

Server mode merges a heartbeat into its bucket's last event under a lock of the bucket
(``core.writer``, ``sql_dialect.lock_buckets``): without one, two workers could both extend
the same event (one extension lost) or both start a new one. This measures the rate with
the lock, in one run, on a throwaway cluster (tests/helpers/postgres.py; fsync off, so the
commit's flush does not hide the lock's cost); the alternatives it was compared with, and
their figures, are in ``lock_buckets``' docstring:

- ``own_buckets``: each of 8 client processes sends heartbeats to a bucket of its own (watchers of
  8 devices): the locks never wait for each other;
- ``one_bucket``: the 8 clients send to one bucket: every heartbeat waits for the lock;

each beside the same load on ``serve`` as one process on an encrypted SQLite data folder
(the desktop's store, one writer, no lock).

Each client sends ``BEATS`` heartbeats one after the other (each waits for its answer),
1 s apart and with equal data, so each merges into the last event (an UPDATE). Each runs on
a database of its own, ``RUNS`` times, alternating; the median is kept.

Prints ONE JSON object. Run from the checkout (PostgreSQL's server programs installed):

  python tests/benchmarks/pg_heartbeats.py
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.helpers import postgres  # noqa: E402
from tests.helpers.processes import serve_workers  # noqa: E402

CLIENTS = 8
BEATS = 300
RUNS = 3
T0 = 1_714_550_400  # 2024-05-01 08:00 UTC


def _client(base: str, bucket: str, ready: Any, start: Any) -> None:
    with httpx.Client(base_url=base, timeout=60) as http:
        http.get("/api/0/info")  # connected before the clock starts
        ready.release()
        start.wait()
        for n in range(BEATS):
            when = datetime.fromtimestamp(T0 + n, UTC).isoformat()
            answer = http.post(
                f"/api/0/buckets/{bucket}/heartbeat?pulsetime=60",
                json={"timestamp": when, "duration": 0, "data": {"app": "editor"}},
            )
            answer.raise_for_status()


@contextlib.contextmanager
def _serve_sqlite(folder: Path) -> Iterator[str]:
    """The peer: ``serve`` as one process on an encrypted SQLite data folder."""
    env = {
        **os.environ,
        "TIMELYGATOR_DATA_DIR": str(folder),
        "TIMELYGATOR_PASSPHRASE": "a benchmark passphrase",
    }
    env.pop("TIMELYGATOR_DATABASE_URL", None)
    code = (
        "import sys; from timelygator.core.cli import build_parser, run; "
        "sys.exit(run(build_parser().parse_args(sys.argv[1:])))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", "0", "--compat", "--query-processes", "0"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                yield found.group(1)
                break
        else:
            raise RuntimeError("serve did not start")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        proc.stderr.close()


def _run(cluster: postgres.Cluster | None, shared: bool, folder: Path) -> tuple[float, int]:
    """Heartbeats per second of one run (on SQLite without ``cluster``), and how many events
    the first bucket holds (1: every heartbeat merged, as it must)."""
    names = ["hb"] * CLIENTS if shared else [f"hb{n}" for n in range(CLIENTS)]
    context = multiprocessing.get_context("spawn")
    server: contextlib.AbstractContextManager[Any]
    if cluster is None:
        server = _serve_sqlite(folder / uuid.uuid4().hex)
    else:
        url = cluster.create_database(f"b{uuid.uuid4().hex}")
        server = serve_workers(url, 2, folder / uuid.uuid4().hex)
    with server as served:
        base = served if cluster is None else served[0]
        for name in set(names):
            bucket = {"type": "currentwindow", "client": "bench", "hostname": name}
            httpx.post(f"{base}/api/0/buckets/{name}", json=bucket).raise_for_status()
        ready, start = context.Semaphore(0), context.Event()
        clients = [
            context.Process(target=_client, args=(base, name, ready, start)) for name in names
        ]
        for process in clients:
            process.start()
        for _ in clients:
            ready.acquire()  # every client connected
        began = time.perf_counter()
        start.set()
        for process in clients:
            process.join(600)
            assert process.exitcode == 0
        elapsed = time.perf_counter() - began
        events = httpx.get(f"{base}/api/0/buckets/{names[0]}/events?limit=-1").json()
    return CLIENTS * BEATS / elapsed, len(events)


def main() -> None:
    results: dict[str, list[float]] = {}
    events: dict[str, int] = {}
    with postgres.temporary_cluster() as cluster, tempfile.TemporaryDirectory() as tmp:
        for run in range(RUNS):
            for engine, shared in itertools.product(("postgresql", "sqlite"), (False, True)):
                key = f"{engine}_{'one_bucket' if shared else 'own_buckets'}"
                rate, count = _run(cluster if engine != "sqlite" else None, shared, Path(tmp))
                results.setdefault(key, []).append(rate)
                events[key] = max(events.get(key, 0), count)
                print(f"run {run} {key}: {rate:.0f}/s, {count} events", file=sys.stderr)
    print(
        json.dumps(
            {
                "clients": CLIENTS,
                "workers": {"postgresql": 2, "sqlite": 1},
                "heartbeats_per_client": BEATS,
                "heartbeats_per_s": {k: round(statistics.median(v)) for k, v in results.items()},
                "events_in_first_bucket_max": events,  # 1: every heartbeat merged, as due
                "cpus": os.cpu_count(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
