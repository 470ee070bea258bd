#!/usr/bin/env python3
"""TimelyGator's API vs ActivityWatch's Python server, same machine, same run.

Starts ``timelygator serve`` (encrypted store, passphrase-wrapped key, a write token, no
compatibility mode) and ``aw-server --testing`` (from its own venv; see --aw-server), runs
``shared/bench/api_workload.py`` against each and prints ONE JSON object: both servers'
figures and the ratios (TimelyGator / ActivityWatch for throughput, ActivityWatch /
TimelyGator for latency). Progress goes to stderr.

Set up ActivityWatch once:
  python -m venv /tmp/awvenv && /tmp/awvenv/bin/pip install aw-server "peewee<4" "flask>=2.2,<2.3"
Run:
  python tests/benchmarks/api_bench.py [--aw-server /tmp/awvenv/bin/aw-server] [--quick]
      [--client auto|httpx|stdlib]

The load generator runs on the same machine and costs CPU of its own: with httpx (the
default), about 0.5 ms per request on a 2-core VM, so even a server that answers instantly
sees at most ~1.7-1.8k heartbeats/s, sequential or from 4 threads (one GIL). That caps the
TimelyGator figures of the heartbeat phases, not ActivityWatch's (~4 ms per request).
``--client stdlib`` (http.client, ~0.1 ms per request) is used for both servers alike.
"load generator ceiling (x)" in the output is the ratio a server answering instantly would
reach with the chosen client, from the client's CPU per request measured in this run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from servers import free_port, stop, wait_ready

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = ROOT.parent / "shared" / "bench" / "api_workload.py"
PASSPHRASE = "benchmark passphrase"
CLI = (
    "import sys; from timelygator.core.cli import build_parser, run; "
    "sys.exit(run(build_parser().parse_args(sys.argv[1:])))"
)


def log(text: str) -> None:
    print(f"[api_bench] {text}", file=sys.stderr, flush=True)


def run_workload(url: str, pid: int, token: str | None, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(WORKLOAD), "--base-url", url, "--server-pid", str(pid)]
    cmd += ["--client", args.client]
    if token:
        cmd += ["--token", token]
    if args.quick:
        cmd += ["--heartbeats", "1000", "--concurrent-heartbeats", "300", "--bulk-events", "20000"]
    cmd += args.workload_args
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=1800)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def timelygator(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = {
        **os.environ,
        "TIMELYGATOR_PASSPHRASE": PASSPHRASE,
        "TIMELYGATOR_DATA_DIR": str(tmp / "tg"),
    }
    base = [sys.executable, "-c", CLI]
    # Create the encrypted database (passphrase-wrapped key), then a write token.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, timelygator.core.paths, timelygator.core.services as s; s.Services.open("
            "timelygator.core.paths.resolve_dirs(sys.argv[1]), sys.argv[2], create=True).close()",
            str(tmp / "tg"),
            PASSPHRASE,
        ],
        env=env,
        check=True,
        cwd=ROOT,
    )
    token = subprocess.run(
        [*base, "token", "create", "--scope", "write", "--name", "benchmark"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()
    port = free_port()
    proc = subprocess.Popen(
        [*base, "serve", "--port", str(port)], env=env, cwd=ROOT, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        log(f"TimelyGator on {url}: running the workload")
        return run_workload(url, proc.pid, token, args)
    finally:
        stop(proc)


def activitywatch(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    home = tmp / "aw"
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    port = free_port()
    proc = subprocess.Popen(
        [args.aw_server, "--testing", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        log(f"ActivityWatch on {url}: running the workload")
        return run_workload(url, proc.pid, None, args)
    finally:
        stop(proc)


def client_ms(phase: dict[str, Any], requests: int) -> float | None:
    cpu = phase.get("cpu", {}).get("client_cpu_s")
    return round(cpu * 1000 / requests, 3) if cpu and requests else None


def ceilings(tg: dict[str, Any], aw: dict[str, Any]) -> dict[str, float | None]:
    """The ratio a server answering in no time at all would reach with this client.

    The client sends at most 1000 / (its CPU ms per request) requests a second (one
    process, one GIL, also for 4 threads); divided by ActivityWatch's rate in this run.
    """
    out: dict[str, float | None] = {}
    for rate, cpu in (
        ("heartbeats_per_s", "heartbeat_client_cpu_ms"),
        ("concurrent_heartbeats_per_s", "concurrent_client_cpu_ms"),
    ):
        ms = tg.get(cpu)
        out[rate] = round(1000 / ms / aw[rate], 2) if ms and aw[rate] else None
    return out


def figures(r: dict[str, Any]) -> dict[str, Any]:
    reads = r.get("reads", {})
    query = r.get("query", {})
    return {
        "ping_p50_ms": r["ping"]["latency"]["p50_ms"],
        "heartbeats_per_s": r["heartbeats"]["heartbeats_per_s"],
        "heartbeat_p99_ms": r["heartbeats"]["latency"]["p99_ms"],
        "heartbeats_ok": r["heartbeats"]["correctness"]["ok"],
        "concurrent_heartbeats_per_s": r["concurrent_heartbeats"]["heartbeats_per_s"],
        "concurrent_p99_ms": r["concurrent_heartbeats"]["latency"]["p99_ms"],
        "concurrent_ok": r["concurrent_heartbeats"]["correctness"]["ok"],
        # The load generator's own CPU per request: it bounds what any server can score.
        "heartbeat_client_cpu_ms": client_ms(r["heartbeats"], r["heartbeats"]["sent"]),
        "concurrent_client_cpu_ms": client_ms(
            r["concurrent_heartbeats"], r["concurrent_heartbeats"]["sent_total"]
        ),
        "bulk_events_per_s": r["bulk_insert"]["events_per_s"],
        "read_day_p50_ms": reads["one_day_window"]["latency"]["p50_ms"],
        "read_all_p50_ms": reads["all_events_limit_-1"]["latency"]["p50_ms"],
        "read_all_events": reads["all_events_limit_-1"]["events_returned"],
        "query_all_p50_ms": query["all_events"]["latency"]["p50_ms"],
        "query_day_p50_ms": query["one_day"]["latency"]["p50_ms"],
        "query_ok": query["all_events"]["correctness"]["ok"],
        "errors": r.get("errors", []),
    }


THROUGHPUT = ("heartbeats_per_s", "concurrent_heartbeats_per_s", "bulk_events_per_s")
LATENCY = (
    "ping_p50_ms",
    "heartbeat_p99_ms",
    "concurrent_p99_ms",
    "read_day_p50_ms",
    "read_all_p50_ms",
    "query_all_p50_ms",
    "query_day_p50_ms",
)
TARGETS = {
    "heartbeats_per_s": 5,
    "concurrent_heartbeats_per_s": 10,
    "bulk_events_per_s": 5,
    "read_all_p50_ms": 10,
    "query_all_p50_ms": 10,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aw-server", default="/tmp/awvenv/bin/aw-server")
    parser.add_argument("--quick", action="store_true", help="smaller workload")
    parser.add_argument(
        "--client",
        choices=("auto", "httpx", "stdlib"),
        default="auto",
        help="the workload's HTTP client, for both servers (auto: httpx when installed)",
    )
    parser.add_argument("--out", help="also write the JSON here")
    parser.add_argument(
        "workload_args", nargs="*", help="extra api_workload.py arguments (after --)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tg-api-bench-") as tmp:
        tg = figures(timelygator(Path(tmp), args))
        aw = figures(activitywatch(Path(tmp), args))
    ratios: dict[str, float | None] = {}
    for key in THROUGHPUT:
        ratios[key] = round(tg[key] / aw[key], 2) if aw[key] else None
    for key in LATENCY:
        ratios[key] = round(aw[key] / tg[key], 2) if tg[key] else None
    result = {
        "client": args.client,
        "timelygator": tg,
        "activitywatch": aw,
        "ratios (x better)": ratios,
        "targets (x)": TARGETS,
        "load generator ceiling (x)": ceilings(tg, aw),
        "met": {k: (ratios[k] or 0) >= v for k, v in TARGETS.items()}
        | {"concurrent_p99_under_20ms": tg["concurrent_p99_ms"] < 20},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
