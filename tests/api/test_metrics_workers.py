"""``/metrics`` counts the whole server under ``serve --workers N`` (core.api.metrics).

Every worker keeps its metric values in files of one directory its supervisor made
(prometheus_client's multiprocess mode) and whichever worker answers a scrape adds them up:
requests and latencies of all workers, including one that was killed and replaced, the
writer queues of the workers alive, and the events stored once. Checked end to end on the
real ``serve --workers 2`` on PostgreSQL (which worker answered is read from the workers'
own files, before they are added up), and with stand-in worker processes that run
``ApiMetrics`` alone (no database: exact queue depths, a worker marked dead). One process
(the desktop app's API, one worker) keeps its metrics in memory: no directory, no files.
"""

from __future__ import annotations

import os
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient
from timelygator.core.api.metrics import MULTIPROCESS_ENV, ApiMetrics, shared_directory
from timelygator.core.api.supervisor import shared_metrics_directory
from timelygator.core.errors import TimelyGatorError

from tests.helpers.processes import serve_workers

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc's process tree"
)

REQUESTS = "timelygator_http_requests_total"
LATENCY_COUNT = "timelygator_http_request_duration_seconds_count"
QUEUE = "timelygator_writer_queue_depth"
STORED = "timelygator_events_stored"
INFO = "/api/0/info"
DEADLINE_S = 60.0


def _samples(text: str, name: str, **labels: str) -> list[float]:
    """The values of the samples called ``name`` whose labels include ``labels``."""
    return [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    ]


def _one(text: str, name: str, **labels: str) -> float:
    found = _samples(text, name, **labels)
    assert len(found) == 1, (name, labels, found)
    return found[0]


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail after DEADLINE_S (a hang, not a timing)."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"


# -- one process: in memory ----------------------------------------------------------------


def test_one_process_keeps_its_metrics_in_memory(app: FastAPI, client: TestClient) -> None:
    assert app.state.ctx.metrics.shared_dir is None
    assert not any(t.name == "timelygator-metrics" for t in threading.enumerate())
    for _ in range(3):
        assert client.get(INFO).status_code == 200
    text = client.get("/metrics").text
    assert _one(text, REQUESTS, route=INFO, method="GET", status="200") == 3
    assert _one(text, LATENCY_COUNT, route=INFO) == 3
    assert len(_samples(text, QUEUE)) == 1  # read when scraped (a token's use may be waiting)
    assert _one(text, STORED) == 0


def test_one_worker_gets_no_directory_several_get_a_private_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
    with shared_metrics_directory(1) as none:
        assert none is None
        assert MULTIPROCESS_ENV not in os.environ
    assert list(temporary.iterdir()) == []

    monkeypatch.setenv(MULTIPROCESS_ENV, "/somebody/elses")
    with shared_metrics_directory(2) as made:
        assert made is not None and made.parent == temporary
        assert stat.S_IMODE(made.stat().st_mode) == 0o700
        assert os.environ[MULTIPROCESS_ENV] == str(made)
        (made / "counter_1.db").write_bytes(b"")  # a worker's file goes with it
    assert list(temporary.iterdir()) == []
    assert os.environ[MULTIPROCESS_ENV] == "/somebody/elses"

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "not-there"))
    with pytest.raises(TimelyGatorError, match="point TMPDIR at a folder"):
        with shared_metrics_directory(2):
            pass
    assert os.environ[MULTIPROCESS_ENV] == "/somebody/elses"


def test_a_directory_that_is_not_there_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path / "gone"))
    with pytest.raises(TimelyGatorError, match="is not a directory"):
        shared_directory()
    # Set after prometheus_client was imported (as here): values would stay in memory.
    with pytest.raises(RuntimeError, match="before prometheus_client is imported"):
        ApiMetrics(lambda: 0.0, lambda: 0.0, tmp_path)


# -- several processes: stand-in workers ---------------------------------------------------


_RUNNING: list[ApiMetrics] = []  # in a stand-in worker's process: its metrics


def _start_worker(requests: dict[str, int], queue_depth: float, events_stored: float) -> int:
    """A stand-in worker (in a process of its own): answers ``requests`` and has
    ``queue_depth`` changes waiting; its pid."""
    metrics = ApiMetrics(lambda: queue_depth, lambda: events_stored, shared_directory())
    _RUNNING.append(metrics)
    for route, count in requests.items():
        for _ in range(count):
            metrics.observe(route, "GET", 200, 0.003)
    return os.getpid()


def _scrape() -> str:
    """``/metrics`` as this stand-in worker answers it."""
    return _RUNNING[0].render().decode()


@pytest.mark.slow
def test_workers_files_add_up_and_a_dead_workers_queue_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))  # inherited by the processes below
    spawn = get_context("spawn")
    with (
        ProcessPoolExecutor(1, mp_context=spawn) as one,
        ProcessPoolExecutor(1, mp_context=spawn) as two,
    ):
        started = [
            one.submit(_start_worker, {"/a": 3}, 2.0, 41.0),
            two.submit(_start_worker, {"/a": 4, "/b": 1}, 5.0, 42.0),
        ]
        first, second = (future.result(timeout=DEADLINE_S) for future in started)
        assert first != second
        for pool, stored in ((one, 41), (two, 42)):
            text = pool.submit(_scrape).result(timeout=DEADLINE_S)
            assert _one(text, REQUESTS, route="/a", method="GET", status="200") == 7
            assert _one(text, REQUESTS, route="/b", method="GET", status="200") == 1
            assert _one(text, LATENCY_COUNT, route="/a") == 7
            bucket = "timelygator_http_request_duration_seconds_bucket"
            assert _one(text, bucket, route="/a", le="0.005") == 7  # each took 3 ms
            assert _one(text, bucket, route="/a", le="0.0025") == 0
            assert _one(text, QUEUE) == 2 + 5
            assert _one(text, STORED) == stored  # once: the answering worker's reading
        # The first worker exits and the supervisor reaps it: its queue is gone, its
        # requests still count.
        one.shutdown()
        mark_process_dead(first, str(tmp_path))
        text = two.submit(_scrape).result(timeout=DEADLINE_S)
        assert _one(text, QUEUE) == 5
        assert _one(text, REQUESTS, route="/a", method="GET", status="200") == 7
        assert _one(text, LATENCY_COUNT, route="/a") == 7


# -- the real server: serve --workers 2 on PostgreSQL --------------------------------------


def _shared_dir_of(pid: int) -> Path:
    """The metrics directory a worker was started with (its environment, from /proc)."""
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    prefix = f"{MULTIPROCESS_ENV}=".encode()
    (value,) = [v[len(prefix) :] for v in environ if v.startswith(prefix)]
    return Path(value.decode())


def _answered(shared: Path, pid: int, route: str) -> float:
    """Requests to ``route`` that worker ``pid`` answered, from its own file alone."""
    path = shared / f"counter_{pid}.db"
    if not path.exists():
        return 0.0
    return sum(
        float(sample.value)
        for family in MultiProcessCollector.merge([str(path)])
        for sample in family.samples
        if sample.name == REQUESTS and sample.labels["route"] == route
    )


@contextmanager
def _clients() -> Iterator[Callable[[str, int], int]]:
    """``send(url, n)``: n GETs at once, each on a new connection (any worker may take
    it); the number answered 200 (all must be)."""
    with ThreadPoolExecutor(8) as pool:

        def send(url: str, count: int) -> int:
            codes = list(pool.map(lambda _: httpx.get(url, timeout=30).status_code, range(count)))
            assert codes == [200] * count
            return count

        yield send


def _until_each_answered(shared: Path, pids: list[int], route: str, send: Callable[[], int]) -> int:
    """Call ``send`` until every worker in ``pids`` answered ``route``; the requests sent."""
    sent = 0

    def each_answered() -> bool:
        nonlocal sent
        if all(_answered(shared, pid, route) > 0 for pid in pids):
            return True
        sent += send()
        return False

    _until(each_answered, f"each of the workers {pids} to answer {route}")
    return sent


def _scrapes_count(base: str, shared: Path, pids: list[int], expected: int) -> None:
    """Scrape until each worker in ``pids`` answered a scrape (at least four): every one
    reports ``expected`` requests to INFO, with a latency for each, and the events once."""
    scrapes = 0

    def each_scraped() -> bool:
        nonlocal scrapes
        if scrapes >= 4 and all(_answered(shared, pid, "/metrics") > 0 for pid in pids):
            return True
        answer = httpx.get(f"{base}/metrics", timeout=30)
        assert answer.status_code == 200
        assert _one(answer.text, REQUESTS, route=INFO, method="GET", status="200") == expected
        assert _one(answer.text, LATENCY_COUNT, route=INFO) == expected
        assert _one(answer.text, STORED) == 3
        scrapes += 1
        return False

    _until(each_scraped, f"each of the workers {pids} to answer a scrape")


@linux_only
@pytest.mark.slow
def test_every_scrape_counts_all_workers_and_survives_a_killed_worker(
    pg_url: str, tmp_path: Path
) -> None:
    with serve_workers(pg_url, 2, tmp_path / "data") as (base, pids, sup), _clients() as send:
        shared = _shared_dir_of(pids[0])
        assert _shared_dir_of(pids[1]) == shared
        assert stat.S_IMODE(shared.stat().st_mode) == 0o700
        bucket = {"type": "t", "client": "c", "hostname": "h"}
        assert httpx.post(f"{base}/api/0/buckets/w", json=bucket).status_code in (200, 201)
        events = [
            {"timestamp": f"2024-05-01T10:0{i}:00Z", "duration": 1, "data": {"i": i}}
            for i in range(3)
        ]
        assert httpx.post(f"{base}/api/0/buckets/w/events", json=events).status_code == 200

        # Requests until both workers answered some; their files then hold all of them.
        sent = _until_each_answered(shared, pids, INFO, lambda: send(f"{base}{INFO}", 8))
        _until(lambda: sum(_answered(shared, p, INFO) for p in pids) == sent, "the counts")
        _scrapes_count(base, shared, pids, sent)
        # Idle, every live worker's queue is empty (each writes it at least once a second).
        _until(lambda: _one(httpx.get(f"{base}/metrics").text, QUEUE) == 0, "empty queues")

        # A worker killed and replaced: its requests still count, its queue no longer does.
        assert (shared / f"gauge_livesum_{pids[1]}.db").exists()
        os.kill(pids[1], signal.SIGKILL)
        found = sup.read_until(r"API worker 2 is listening again \(pid (\d+)\)")
        live = [pids[0], int(found.group(1))]
        assert not (shared / f"gauge_livesum_{pids[1]}.db").exists()
        assert _answered(shared, pids[1], INFO) > 0
        _scrapes_count(base, shared, live, sent)
        more = _until_each_answered(shared, live[1:], INFO, lambda: send(f"{base}{INFO}", 8))
        everyone = [*pids, live[1]]
        _until(lambda: sum(_answered(shared, p, INFO) for p in everyone) == sent + more, "counts")
        _scrapes_count(base, shared, live, sent + more)
    assert not shared.exists()  # the supervisor removed it when it stopped
