"""``serve --workers N``: the supervisor (core.api.supervisor) and its workers.

Several workers need PostgreSQL, so most of these run the real supervisor and the real
``ApiServer`` around a stand-in app (tests/helpers/fake_worker.py) and look at the process
tree: N processes accepting on one port, each connection answered by one of them, a worker
killed is replaced, a first worker that fails stops everything, SIGTERM stops all, and the
workers do not outlive a supervisor killed with SIGKILL. One test runs the real ``serve``
command as the single worker of a supervisor, on a SQLite data folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services

from tests.helpers.fake_worker import FAIL_ENV, FIFOS_ENV
from tests.helpers.processes import (
    Supervised,
    children,
    holds_socket,
    listening_inode,
    wait_for_exit,
)

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc's process tree"),
    pytest.mark.slow,
]

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def supervisor(tmp_path: Path, workers: int, **env: str) -> Iterator[Supervised]:
    code = f"import sys; from tests.helpers.fake_worker import main; sys.exit(main({workers}))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, FIFOS_ENV: str(tmp_path), **env},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Supervised(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


def test_two_workers_share_one_port_are_replaced_and_stop_together(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "held")
    os.mkfifo(tmp_path / "release")
    with supervisor(tmp_path, 2) as sup:
        url, pids = sup.listening()
        # The process tree: the two workers, each holding the one listening socket.
        assert len(set(pids)) == 2
        assert children(sup.proc.pid) >= set(pids)
        inode = listening_inode(int(url.rsplit(":", 1)[1]))
        assert all(holds_socket(pid, inode) for pid in pids)
        # Hold one worker's event loop: the next connection must be taken by the other.
        answers: list[int] = []
        holder = threading.Thread(
            target=lambda: answers.append(httpx.get(f"{url}/hold", timeout=30).json()["pid"])
        )
        holder.start()
        with open(tmp_path / "held", encoding="utf-8") as held:
            held_pid = int(held.readline())
        other = httpx.get(f"{url}/pid", timeout=30).json()["pid"]
        with open(tmp_path / "release", "w", encoding="utf-8") as release:
            release.write("go\n")
        holder.join(30)
        assert answers == [held_pid]
        assert {held_pid, other} == set(pids)
        # A worker that dies is replaced by a new process on the same socket.
        os.kill(pids[1], signal.SIGKILL)
        sup.read_until(r"API worker 2 exited \(code -9\); starting another")
        new_pid = int(sup.read_until(r"API worker 2 is listening again \(pid (\d+)\)").group(1))
        assert new_pid not in pids
        assert children(sup.proc.pid) >= {pids[0], new_pid}
        assert holds_socket(new_pid, inode)
        assert httpx.get(f"{url}/pid", timeout=30).json()["pid"] in {pids[0], new_pid}
        # SIGTERM: every worker stops, then the supervisor, cleanly.
        sup.proc.send_signal(signal.SIGTERM)
        assert sup.proc.wait(60) == 0
        assert "All API workers stopped" in sup.stderr.read()
        assert not any(Path(f"/proc/{pid}").exists() for pid in (pids[0], new_pid))


def test_a_first_worker_that_cannot_start_stops_everything(tmp_path: Path) -> None:
    with supervisor(tmp_path, 3, **{FAIL_ENV: "1"}) as sup:
        assert sup.proc.wait(60) == 3
        rest = sup.stderr.read()
    # One worker was started and said why it failed; the other two never were.
    assert rest.count("failing on purpose") == 1
    assert "listening on" not in rest


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    with supervisor(tmp_path, 2) as sup:
        _url, pids = sup.listening()
        sup.proc.kill()
        sup.proc.wait()
        assert all(wait_for_exit(pid, 60) for pid in pids)


def test_the_serve_command_runs_as_a_supervised_worker(tmp_path: Path) -> None:
    """The real ``serve`` in a worker process, on SQLite (so one worker): the options and
    environment reach it, it serves on the supervisor's socket, and a SIGTERM to the
    supervisor stops it in order (its writes are saved)."""
    data = tmp_path / "data"
    code = (
        "import sys\n"
        "from timelygator.core.cli import build_parser, run\n"
        "from timelygator.core.api import server_config, supervisor\n"
        "args = build_parser().parse_args(['serve', '--port', '0', '--compat'])\n"
        "settings = server_config.resolve(args)\n"
        "sys.exit(supervisor.run_workers(args, settings, run))\n"
    )
    env = {
        **os.environ,
        "TIMELYGATOR_DATA_DIR": str(data),
        "TIMELYGATOR_PASSPHRASE": "correct horse battery",
        "TIMELYGATOR_LOG_LEVEL": "info",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    sup = Supervised(proc)
    try:
        url, [pid] = sup.listening()
        assert children(proc.pid) >= {pid}
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.get("/health").json()["status"] == "ok"
            bucket = {"type": "t", "client": "c", "hostname": "h"}
            assert http.post("/api/0/buckets/w", json=bucket).status_code in (200, 201)
            event = [{"timestamp": "2024-05-01T10:00:00Z", "duration": 5, "data": {"k": "v"}}]
            assert http.post("/api/0/buckets/w/events", json=event).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        rest = proc.stderr.read() if proc.stderr else ""
        assert "Stopped; all writes are saved." in rest
        assert "All API workers stopped" in rest
        # The worker's own log line says it listened (TIMELYGATOR_LOG_LEVEL=info reached it).
        assert "API worker 1 (pid" in "".join(sup.seen) + rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    with Services.open(resolve_dirs(data), "correct horse battery", create=False) as svc:
        assert [e.data for e in svc.events("w")] == [{"k": "v"}]
