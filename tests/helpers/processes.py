"""The process tree of ``serve --workers N`` as Linux shows it (/proc), and its supervisor's
stderr read line by line (tests/api/test_supervisor.py, test_workers_postgres.py)."""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"listening on (http://\S+) \((\d+) worker processes: ([\d, ]+)\)")


def children(pid: int) -> set[int]:
    """The process ids of ``pid``'s children (every thread's)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text(encoding="ascii")
        found.update(int(p) for p in text.split())
    return found


def listening_inode(port: int) -> str:
    """The inode of the socket listening on 127.0.0.1:port (/proc/net/tcp, state 0A)."""
    for line in Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            return inode
    raise AssertionError(f"nothing listens on port {port}")


def holds_socket(pid: int, inode: str) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    return any(os.readlink(fd) == f"socket:[{inode}]" for fd in fds.iterdir())


def wait_for_exit(pid: int, timeout: float) -> bool:
    """True once ``pid`` (not our child) has exited; waits on a pidfd, not in a loop."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


class Supervised:
    """A supervisor (``serve --workers N``) in a subprocess, its stderr read line by line."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        assert proc.stderr is not None
        self.stderr = proc.stderr
        self.seen: list[str] = []

    def read_until(self, pattern: str) -> re.Match[str]:
        for line in self.stderr:
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no {pattern!r} in {self.seen}")

    def listening(self) -> tuple[str, list[int]]:
        found = self.read_until(LISTENING.pattern)
        pids = [int(p) for p in found.group(3).split(", ")]
        assert int(found.group(2)) == len(pids)
        return found.group(1), pids


@contextlib.contextmanager
def serve_workers(
    url: str, workers: int, data_dir: Path
) -> Iterator[tuple[str, list[int], Supervised]]:
    """The real ``timelygator serve --workers N --compat`` on the PostgreSQL database ``url``
    and a free loopback port (queries on the workers' threads: no query processes to
    start); yields its base URL, the workers' process ids and the
    supervisor. Stopped with SIGTERM when the context ends (it must exit with 0; killed if
    it does not stop); what it printed is in the supervisor's ``seen`` afterwards."""
    code = (
        "import sys; from timelygator.core.cli import build_parser, run; "
        "sys.exit(run(build_parser().parse_args(sys.argv[1:])))"
    )
    env = {
        **os.environ,
        "TIMELYGATOR_DATA_DIR": str(data_dir),
        "TIMELYGATOR_DATABASE_URL": url,
        "TIMELYGATOR_WORKERS": str(workers),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", "0", "--compat", "--query-processes", "0"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    sup = Supervised(proc)
    try:
        base, pids = sup.listening()
        assert len(set(pids)) == workers
        yield base, pids, sup
        proc.send_signal(signal.SIGTERM)
        code_at_exit = proc.wait(90)
        sup.seen.append(sup.stderr.read())
        assert code_at_exit == 0, "".join(sup.seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sup.stderr.close()
