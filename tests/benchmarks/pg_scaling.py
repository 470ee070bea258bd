#!/usr/bin/env python3
"""Server mode's scaling: ``serve`` with 1, 2 and 4 worker processes on PostgreSQL against
the single-process ``serve`` on an encrypted SQLite data folder, the same workload on each,
in one run (issue 18).

Servers, one after the other, each on a store of its own: ``serve`` on a new encrypted
data folder (the desktop's store: one process, one writer), then ``serve --workers N``
for N = 1, 2, 4 on a new database each of one throwaway PostgreSQL cluster
(tests/helpers/postgres.py: fsync off). All run with ``--compat`` (no tokens) and
``--rate-limit 0`` (every client comes from 127.0.0.1 and would share one limit),
otherwise with serve's defaults (one query process per worker).

The workload, every phase in client *processes* (threads of one process would share its
interpreter lock and cap the load), each client connected before the clock starts:

- ``heartbeats_own`` / ``heartbeats_one``: 8 clients each send ``beats`` heartbeats one
  after the other (each waits for its answer), 1 s apart with equal data (every one merges
  into the bucket's last event: an UPDATE under the bucket's lock), each to a bucket of its
  own / all to one bucket: heartbeats/s, p50/p95 latency. Checked: each bucket holds one
  event, from the first heartbeat to the last, as the merge rule says.
- ``bulk``: one client inserts ``bulk`` events (100k) in batches of 1000; ``bulk_4``: 4
  clients insert a quarter each into buckets of their own (one client keeps one worker
  busy at a time): events/s. Checked: each bucket's event count.
- ``read``: one client reads the 100k events (``GET …/events?limit=100000``) ``reads``
  times: median ms; ``read_4``: 4 clients read them at once: requests/s (reads are what
  more processes should scale). Checked: each answer's size, its events' count and total
  duration.
- ``query``: ``POST /api/0/query/`` (query_bucket, merge_events_by_keys app,
  sort_by_duration; shared/bench/api_workload.py's) over the 100k events: median ms;
  ``query_4``: 4 clients at once: queries/s. Checked: each app's time against the events
  inserted, the order, every answer alike.

Each phase records where the CPU went (seconds): the clients', the server's (the process
and its children: workers, query processes), PostgreSQL's (the postmaster and its
children, /proc/PID/stat) and the whole machine's (/proc/stat); ``cores_busy`` is the
machine's busy time over the phase's wall time: at ``cpus`` it had no CPU left to scale on.

Prints ONE JSON object: per server its figures, CPU and checks; the ratios ("x better":
throughput over throughput, latency the other way round) against SQLite and against one
worker; progress on stderr; exits 1 when a check failed. Run from the checkout
(PostgreSQL's server programs installed; the shared load generator in
../shared/bench/api_workload.py):

  python tests/benchmarks/pg_scaling.py            # the full run, ~10 min on 2 CPUs
  python tests/benchmarks/pg_scaling.py --quick    # a small smoke run
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.helpers import postgres  # noqa: E402
from tests.helpers.processes import children  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "api_workload", ROOT.parent / "shared" / "bench" / "api_workload.py"
)
assert _spec is not None and _spec.loader is not None
workload: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workload)

CLI = (
    "import sys; from timelygator.core.cli import build_parser, run; "
    "sys.exit(run(build_parser().parse_args(sys.argv[1:])))"
)
CLIENTS = 8
PARALLEL = 4  # clients of the bulk, read and query phases that run at once
T0 = 1_714_550_400  # 2024-05-01 08:00 UTC: the heartbeats' first timestamp
BULK_END_MS = T0 * 1000  # the bulk events end here (about 35 days of them before)
SEED = 20240601
API = "/api/0"


@dataclasses.dataclass(frozen=True)
class Sizes:
    beats: int  # heartbeats per client
    bulk: int  # events inserted (once by one client, once by PARALLEL clients)
    batch: int  # events per insert request
    reads: int  # reads of all events by one client
    reads_each: int  # by each of PARALLEL clients at once
    queries: int
    queries_each: int
    warmup_beats: int


FULL = Sizes(
    beats=300, bulk=100_000, batch=1000, reads=5, reads_each=5, queries=5, queries_each=3,
    warmup_beats=20,
)  # fmt: skip
QUICK = Sizes(
    beats=20, bulk=4_000, batch=1000, reads=2, reads_each=2, queries=2, queries_each=2,
    warmup_beats=5,
)  # fmt: skip


def log(text: str) -> None:
    print(f"[pg_scaling {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# CPU time from /proc
# ---------------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its descendants: their own (utime + stime) and that of the
    children they have reaped (cutime + cstime), so a process that ended meanwhile counts."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        kids = children(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    own = sum(int(f) for f in fields[11:15]) / TICKS  # utime stime cutime cstime
    return own + sum(tree_cpu(kid) for kid in kids)


def machine_cpu() -> tuple[float, float]:
    """CPU seconds of the whole machine since boot (all CPUs; /proc/stat): busy, and stolen
    (the VM's CPU given to another guest while this one wanted it)."""
    with open("/proc/stat", encoding="ascii") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(v) for v in stat.readline().split()[1:9]
        )
    return (user + nice + system + irq + softirq) / TICKS, steal / TICKS


def settle(pids: tuple[int, int | None], timeout: float = 180) -> None:
    """Wait until the server and PostgreSQL are idle (less than 5% of a CPU over a second):
    ``serve`` says it listens before its query processes have started, and PostgreSQL
    vacuums after a bulk insert; neither belongs to the next phase."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = sum(tree_cpu(pid) for pid in pids if pid is not None)
        pause.wait(1.0)
        if sum(tree_cpu(pid) for pid in pids if pid is not None) - before < 0.05:
            return
    raise RuntimeError(f"the server was still busy after {timeout} s")


class Meter:
    """Wall time and CPU seconds of a phase: the server's process tree, PostgreSQL's and
    the whole machine's (the clients' are added from what they report)."""

    def __init__(self, server: int, postgres_pid: int | None) -> None:
        self.pids = {"server": server}
        if postgres_pid is not None:
            self.pids["postgres"] = postgres_pid

    def __enter__(self) -> Meter:
        self.start = {name: tree_cpu(pid) for name, pid in self.pids.items()}
        self.machine = machine_cpu()
        self.began = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.began
        busy, stolen = (end - start for end, start in zip(machine_cpu(), self.machine, strict=True))
        self.cpu = {
            f"{name}_cpu_s": round(tree_cpu(pid) - self.start[name], 2)
            for name, pid in self.pids.items()
        }
        self.cpu |= {"machine_cpu_s": round(busy, 2), "stolen_cpu_s": round(stolen, 2)}
        self.cpu["cores_busy"] = round(busy / self.wall, 2)

    def as_dict(self, clients_cpu: float) -> dict[str, float]:
        """The figures, with the clients' CPU; ``other_cpu_s``: the machine's busy time
        that none of them used (the kernel's work for them, anything else running)."""
        known = clients_cpu + sum(
            v for k, v in self.cpu.items() if k.startswith(("server", "postgres"))
        )
        other = self.cpu["machine_cpu_s"] - known
        return (
            {"wall_s": round(self.wall, 3), "clients_cpu_s": round(clients_cpu, 2)}
            | self.cpu
            | {"other_cpu_s": round(other, 2)}
        )


# ---------------------------------------------------------------------------------------
# the servers
# ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def serve(env: dict[str, str], options: list[str]) -> Iterator[tuple[str, int]]:
    """``timelygator serve`` with ``options`` on a free loopback port; its base URL and
    process id. Its stderr is read on a thread (a full pipe would stop it); stopped with
    SIGTERM at the end, which it must survive with exit code 0."""
    command = [sys.executable, "-c", CLI, "serve", "--port", "0", "--compat",
               "--rate-limit", "0", *options]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    said: collections.deque[str] = collections.deque(maxlen=40)
    try:
        for line in proc.stderr:
            said.append(line)
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                break
        else:
            raise RuntimeError(f"serve did not start: {''.join(said)}")
        reader = threading.Thread(target=said.extend, args=(proc.stderr,), daemon=True)
        reader.start()
        try:
            yield found.group(1), proc.pid
        except BaseException:
            log(f"serve said (last lines): {''.join(said)}")
            raise
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(120)
        reader.join(10)
        if code != 0:
            raise RuntimeError(f"serve exited with {code}: {''.join(said)}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


# ---------------------------------------------------------------------------------------
# client processes
# ---------------------------------------------------------------------------------------

# A job is made in the client process before the clock starts (connected, bodies encoded):
# ``work(client, *params)`` returns the timed part, which returns the client's result,
# and a check run after the clock stopped (decoding answers), which adds to it.
Result = dict[str, Any]
Job = tuple[Callable[[], Result], Callable[[Result], None]]


def _client(
    work: Callable[..., Job], base: str, kind: str, params: tuple[Any, ...], gates: Any
) -> None:
    ready, start, done, out = gates
    args = argparse.Namespace(
        base_url=base, token=None, client=kind, timeout=180.0
    )  # a read of 100k ~1 s
    client = workload.make_client(args)
    released = False
    try:
        workload.call(client, "GET", f"{API}/info")  # connected before the clock starts
        timed, check = work(client, *params)
        ready.release()
        released = True
        start.wait()
        cpu = time.process_time()
        result = timed()
        result["cpu_s"] = time.process_time() - cpu
        done.release()
        check(result)
        out.put(result)
    except BaseException as error:  # the parent reports it
        out.put({"error": f"{type(error).__name__}: {error}"})
        if not released:
            ready.release()
        done.release()
        raise
    finally:
        client.close()


def run_clients(
    base: str,
    kind: str,
    work: Callable[..., Job],
    params: list[tuple[Any, ...]],
    pids: tuple[int, int | None],
) -> tuple[list[Result], dict[str, float]]:
    """``work`` in one client process per item of ``params``, all started at once; their
    results and the phase's wall time and CPU (Meter)."""
    context = multiprocessing.get_context("spawn")
    gates = (context.Semaphore(0), context.Event(), context.Semaphore(0), context.Queue())
    ready, start, done, out = gates
    procs = [
        context.Process(target=_client, args=(work, base, kind, item, gates)) for item in params
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        if not ready.acquire(timeout=300):
            raise RuntimeError("a client did not get ready")
    settle(pids)
    with Meter(*pids) as meter:
        start.set()
        for _ in procs:
            if not done.acquire(timeout=3600):
                raise RuntimeError("a client did not finish within an hour")
    results = [out.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join(60)
    failed = [r["error"] for r in results if "error" in r]
    if failed:
        raise RuntimeError(f"a client failed: {failed[0]}")
    return results, meter.as_dict(sum(r["cpu_s"] for r in results))


def _beats(client: Any, bucket: str, count: int) -> Job:
    path = f"{API}/buckets/{bucket}/heartbeat"
    bodies = [
        json.dumps({"timestamp": _iso(T0 + n), "duration": 0, "data": {"app": "editor"}}).encode()
        for n in range(count)
    ]

    def timed() -> Result:
        latencies = []
        for body in bodies:
            began = time.perf_counter()
            workload.call(client, "POST", path, params={"pulsetime": "60"}, raw_body=body)
            latencies.append(time.perf_counter() - began)
        return {"latencies": latencies}

    return timed, lambda _result: None


def _insert(client: Any, bucket: str, count: int, seed: int, batch: int) -> Job:
    events = workload.events_json(workload.make_bulk_events(count, BULK_END_MS, seed))
    path = f"{API}/buckets/{bucket}/events"
    bodies = [json.dumps(events[i : i + batch]).encode() for i in range(0, count, batch)]

    def timed() -> Result:
        for body in bodies:
            workload.call(client, "POST", path, raw_body=body)
        return {}

    return timed, lambda _result: None


def _read(client: Any, bucket: str, limit: int, times: int) -> Job:
    answers: list[bytes] = []

    def timed() -> Result:
        latencies = []
        for _ in range(times):
            began = time.perf_counter()
            _, content = workload.call(
                client, "GET", f"{API}/buckets/{bucket}/events", params={"limit": str(limit)}
            )
            latencies.append(time.perf_counter() - began)
            answers.append(content)
        return {"latencies": latencies}

    def check(result: Result) -> None:
        events = json.loads(answers[0])
        result["sizes"] = sorted({len(a) for a in answers})
        result["alike"] = len({hashlib.sha256(a).digest() for a in answers}) == 1
        result["events"] = len(events)
        result["duration_s"] = round(sum(e["duration"] for e in events), 3)

    return timed, check


def _query(client: Any, bucket: str, period: tuple[int, int], times: int) -> Job:
    answers: list[Any] = []

    def timed() -> Result:
        latencies = []
        for _ in range(times):
            took, answer = workload.run_query(client, bucket, *period)
            latencies.append(took)
            answers.append(answer)
        return {"latencies": latencies}

    def check(result: Result) -> None:
        result["answer"] = answers[0]
        result["alike"] = all(a == answers[0] for a in answers)

    return timed, check


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


# ---------------------------------------------------------------------------------------
# the workload on one server
# ---------------------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> float:
    return round(workload.percentile(sorted(values), q) * 1000, 1)


class Workload:
    """The phases on one server, its figures, CPU and checks."""

    def __init__(self, base: str, pids: tuple[int, int | None], sizes: Sizes, kind: str):
        self.base, self.pids, self.sizes, self.kind = base, pids, sizes, kind
        self.http = httpx.Client(base_url=base, timeout=600)
        self.figures: dict[str, float] = {}
        self.cpu: dict[str, dict[str, float]] = {}
        self.checks: dict[str, Any] = {}

    def bucket(self, name: str) -> str:
        body = {"type": "currentwindow", "client": "pg_scaling", "hostname": name}
        self.http.post(f"{API}/buckets/{name}", json=body).raise_for_status()
        return name

    def events(self, bucket: str) -> list[dict[str, Any]]:
        answer = self.http.get(f"{API}/buckets/{bucket}/events", params={"limit": "-1"})
        answer.raise_for_status()
        events: list[dict[str, Any]] = answer.json()
        return events

    def count(self, bucket: str) -> int:
        answer = self.http.get(f"{API}/buckets/{bucket}/events/count")
        answer.raise_for_status()
        return int(answer.text)

    def phase(
        self, name: str, work: Callable[..., Job], params: list[tuple[Any, ...]]
    ) -> list[Result]:
        log(f"  {name}: {len(params)} client(s)")
        results, cpu = run_clients(self.base, self.kind, work, params, self.pids)
        self.cpu[name] = cpu
        return results

    def run(self) -> None:
        size = self.sizes
        warm = [(self.bucket(f"warm{n}"), size.warmup_beats) for n in range(CLIENTS)]
        run_clients(self.base, self.kind, _beats, warm, self.pids)  # every worker started
        for name, shared in (("heartbeats_own", False), ("heartbeats_one", True)):
            buckets = [f"{name}{0 if shared else n}" for n in range(CLIENTS)]
            for bucket in set(buckets):
                self.bucket(bucket)
            results = self.phase(name, _beats, [(b, size.beats) for b in buckets])
            latencies = [x for r in results for x in r["latencies"]]
            self.figures[f"{name}_per_s"] = round(len(latencies) / self.cpu[name]["wall_s"])
            self.figures[f"{name}_p50_ms"] = _ms(latencies, 0.50)
            self.figures[f"{name}_p95_ms"] = _ms(latencies, 0.95)
            # Every heartbeat merged into one event: from the first to the last timestamp.
            got = {b: self.events(b) for b in set(buckets)}
            self.checks[name] = all(
                len(events) == 1
                and datetime.fromisoformat(events[0]["timestamp"])
                == datetime.fromtimestamp(T0, UTC)
                and events[0]["duration"] == size.beats - 1
                and events[0]["data"] == {"app": "editor"}
                for events in got.values()
            ) or {b: events[:3] for b, events in got.items()}

        main = self.bucket("bulk")
        self.phase("bulk", _insert, [(main, size.bulk, SEED, size.batch)])
        self.figures["bulk_events_per_s"] = round(size.bulk / self.cpu["bulk"]["wall_s"])
        count = self.count(main)
        self.checks["bulk"] = count == size.bulk or count
        quarter = size.bulk // PARALLEL
        own = [
            (self.bucket(f"bulk{n}"), quarter, SEED + 1 + n, size.batch) for n in range(PARALLEL)
        ]
        self.phase("bulk_4", _insert, own)
        inserted = quarter * PARALLEL / self.cpu["bulk_4"]["wall_s"]
        self.figures["bulk_4_events_per_s"] = round(inserted)
        counts = [self.count(bucket) for bucket, *_ in own]
        self.checks["bulk_4"] = counts == [quarter] * PARALLEL or counts

        events = workload.make_bulk_events(size.bulk, BULK_END_MS, SEED)
        seconds = round(sum(d for _, d, _ in events) / 1000, 3)
        for name, times, readers in (
            ("read", size.reads, 1),
            ("read_4", size.reads_each, PARALLEL),
        ):
            results = self.phase(name, _read, [(main, size.bulk, times)] * readers)
            latencies = [x for r in results for x in r["latencies"]]
            if readers == 1:
                self.figures["read_ms"] = _ms(latencies, 0.5)
            else:
                self.figures["read_4_per_s"] = round(len(latencies) / self.cpu[name]["wall_s"], 2)
                self.figures["read_4_p50_ms"] = _ms(latencies, 0.5)
            bad = [
                {k: r[k] for k in ("sizes", "alike", "events", "duration_s")}
                for r in results
                if not (r["alike"] and r["events"] == size.bulk and r["duration_s"] == seconds)
            ]
            self.checks[name] = bad or True

        period = (events[0][0] - 60_000, events[-1][0] + events[-1][1] + 60_000)
        expected = workload.expected_by_app(events, *period)
        for name, times, clients in (
            ("query", size.queries, 1),
            ("query_4", size.queries_each, PARALLEL),
        ):
            results = self.phase(name, _query, [(main, period, times)] * clients)
            latencies = [x for r in results for x in r["latencies"]]
            if clients == 1:
                self.figures["query_ms"] = _ms(latencies, 0.5)
            else:
                rate = len(latencies) / self.cpu[name]["wall_s"]
                self.figures["query_4_per_s"] = round(rate, 2)
                self.figures["query_4_p50_ms"] = _ms(latencies, 0.5)
            verdicts = [workload.check_query_result(r["answer"], expected) for r in results]
            good = all(v["ok"] for v in verdicts) and all(r["alike"] for r in results)
            self.checks[name] = good or verdicts

    def close(self) -> None:
        self.http.close()


# ---------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------

THROUGHPUT = ("per_s",)  # figure names ending so: more is better; "_ms": less is better


def better(mine: dict[str, float], theirs: dict[str, float]) -> dict[str, float | None]:
    """How many times better ``mine`` is than ``theirs``, figure by figure."""
    out: dict[str, float | None] = {}
    for key, value in mine.items():
        other = theirs.get(key)
        if not value or not other:
            out[key] = None
        elif key.endswith(THROUGHPUT):
            out[key] = round(value / other, 2)
        else:
            out[key] = round(other / value, 2)
    return out


def measure(
    label: str, env: dict[str, str], options: list[str], postgres_pid: int | None, args: Any
) -> dict[str, Any]:
    log(f"{label}: starting serve {' '.join(options)}")
    with serve(env, options) as (base, pid):
        log(f"{label}: {base}")
        load = Workload(base, (pid, postgres_pid), QUICK if args.quick else FULL, args.client)
        try:
            load.run()
        finally:
            load.close()
    ok = all(v is True for v in load.checks.values())
    log(f"{label}: {'all checks passed' if ok else 'CHECKS FAILED'}; {load.figures}")
    return {"figures": load.figures, "cpu_s": load.cpu, "checks": load.checks, "ok": ok}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument(
        "--workers", default="1,2,4", help="worker counts on PostgreSQL (default 1,2,4)"
    )
    parser.add_argument(
        "--client",
        choices=("stdlib", "httpx"),
        default="stdlib",
        help="the clients' HTTP library (api_workload.py's; stdlib: the least CPU per request)",
    )
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    sizes = QUICK if args.quick else FULL
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("TIMELYGATOR_")}
    servers: dict[str, dict[str, Any]] = {}
    began = time.monotonic()
    with postgres.temporary_cluster() as cluster, tempfile.TemporaryDirectory() as tmp:
        pid_file = cluster.folder / "data" / "postmaster.pid"
        postmaster = int(pid_file.read_text(encoding="ascii").split()[0])
        version = str(cluster.execute("SHOW server_version")[0][0])
        env = base_env | {
            "TIMELYGATOR_DATA_DIR": str(Path(tmp) / "sqlite"),
            "TIMELYGATOR_PASSPHRASE": "a benchmark passphrase",
        }
        servers["sqlite"] = measure("sqlite", env, [], None, args)
        for workers in counts:
            url = cluster.create_database(f"scale_workers_{workers}")
            env = base_env | {
                "TIMELYGATOR_DATA_DIR": str(Path(tmp) / f"pg{workers}"),
                "TIMELYGATOR_DATABASE_URL": url,
            }
            options = ["--workers", str(workers)]
            label = f"postgresql_workers_{workers}"
            servers[label] = measure(label, env, options, postmaster, args)
    figures = {name: server["figures"] for name, server in servers.items()}
    first = f"postgresql_workers_{counts[0]}"
    result = {
        "cpus": os.cpu_count(),
        "clients": CLIENTS,
        "parallel_clients": PARALLEL,
        "sizes": dataclasses.asdict(sizes),
        "client": args.client,
        "postgresql": version,
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "total_s": round(time.monotonic() - began),
        "servers": servers,
        "x_better_vs_sqlite": {
            name: better(mine, figures["sqlite"])
            for name, mine in figures.items()
            if name != "sqlite"
        },
        f"x_better_vs_workers_{counts[0]}": {
            name: better(mine, figures[first])
            for name, mine in figures.items()
            if name not in ("sqlite", first)
        },
        "ok": all(server["ok"] for server in servers.values()),
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
