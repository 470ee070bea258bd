#!/usr/bin/env python3
"""Good clients' latency with and without hostile clients, in one run (prints ONE JSON object).

Starts ``timelygator serve`` (encrypted store, a write token), then runs the same good load
twice: alone, and while hostile clients run beside it in processes of their own (bad imports,
ReDoS queries, concat bombs, floods of wrong tokens; see tests/helpers/load.py). Good clients
are watchers in one process: a heartbeat every 20 ms each (an insert of 10 events every 50th),
on keep-alive connections. Reported per phase: p50/p99/max of every good request, statuses,
and what the hostile clients got. Progress goes to stderr.

  python tests/benchmarks/hostile_load.py [--seconds 20] [--good 3] [--out result.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from servers import free_port, stop, wait_ready

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.helpers.load import (  # noqa: E402
    HOSTILE_KINDS,
    GoodResult,
    connect,
    good_client,
    hostile_client,
    percentile,
    request,
    victim_events,
)

PASSPHRASE = "hostile load passphrase"
CLI = (
    "import sys; from timelygator.core.cli import build_parser, run; "
    "sys.exit(run(build_parser().parse_args(sys.argv[1:])))"
)


def log(text: str) -> None:
    print(f"[hostile_load] {text}", file=sys.stderr, flush=True)


def _hostile_process(kind: str, port: int, token: str, seconds: float, out: Any) -> None:
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    out.put((kind, dict(hostile_client(kind, port, token, stop))))


def phase(
    port: int, token: str, args: argparse.Namespace, hostile: bool, day: str
) -> dict[str, Any]:
    queue: Any = multiprocessing.Queue()
    procs = []
    if hostile:
        for kind in args.kinds.split(","):
            proc = multiprocessing.Process(
                target=_hostile_process, args=(kind, port, token, args.seconds + 1, queue)
            )
            proc.start()
            procs.append(proc)
    with ThreadPoolExecutor(args.good) as pool:
        futures = [
            pool.submit(good_client, port, token, f"good-{i}", seconds=args.seconds, day=day)
            for i in range(args.good)
        ]
        results: list[GoodResult] = [f.result() for f in futures]
    abuse: dict[str, dict[str, int]] = {}
    for proc in procs:
        kind, statuses = queue.get(timeout=120)
        abuse[kind] = {str(k): v for k, v in sorted(statuses.items())}
        proc.join(30)
    latencies = [v for r in results for v in r.latencies]
    statuses: Counter[int] = Counter()
    for r in results:
        statuses.update(r.statuses)
    return {
        "good_requests": len(latencies),
        "good_statuses": {str(k): v for k, v in sorted(statuses.items())},
        "good_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "good_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "good_max_ms": round(max(latencies) * 1000, 2),
        "hostile": abuse,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--good", type=int, default=3, help="good clients (watchers)")
    parser.add_argument(
        "--kinds", default=",".join(HOSTILE_KINDS), help="hostile clients, comma-separated"
    )
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tg-hostile-") as tmp:
        env = {**os.environ, "TIMELYGATOR_PASSPHRASE": PASSPHRASE,
               "TIMELYGATOR_DATA_DIR": str(Path(tmp) / "tg"), "PYTHONPATH": str(ROOT)}  # fmt: skip
        base = [sys.executable, "-c", CLI]
        token = subprocess.run(
            [*base, "token", "create", "--scope", "write", "--name", "bench"],
            env=env, capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout.strip()  # fmt: skip
        port = free_port()
        proc = subprocess.Popen(
            [*base, "serve", "--port", str(port)], env=env, cwd=ROOT, stderr=subprocess.DEVNULL
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}", proc)
            conn = connect(port)
            request(conn, "POST", "/api/0/buckets/victim", token, b'{"type": "currentwindow"}')
            request(conn, "POST", "/api/0/buckets/victim/events", token,
                    json.dumps(victim_events()).encode())  # fmt: skip
            log(f"good clients alone for {args.seconds:g} s")
            alone = phase(port, token, args, hostile=False, day="2024-06-01")
            log(f"good clients beside hostile ones for {args.seconds:g} s")
            attacked = phase(port, token, args, hostile=True, day="2024-06-02")
        finally:
            stop(proc)
    result = {
        "good_clients": args.good,
        "seconds_per_phase": args.seconds,
        "alone": alone,
        "with_hostile_clients": attacked,
        "p99_ratio_with_to_alone": round(attacked["good_p99_ms"] / alone["good_p99_ms"], 2),
        "cpus": os.cpu_count(),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
