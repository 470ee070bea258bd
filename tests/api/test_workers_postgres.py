"""``timelygator serve --workers 2`` on a real PostgreSQL server, end to end.

Two worker processes on one port and one database: every write acknowledged by either is
read back through both, and SIGTERM stops them in order. Skipped until ``serve`` has
``--database-url`` (the PostgreSQL work of issue 18 adds it) and where PostgreSQL's server
programs are not installed (Debian: postgresql); then it runs the real command with no
stand-in.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from timelygator.core.cli import build_parser

from tests.helpers import postgres
from tests.helpers.processes import Supervised, children, holds_socket, listening_inode

ROOT = Path(__file__).resolve().parents[2]


def _serve_takes_a_database_url() -> bool:
    _args, unknown = build_parser().parse_known_args(["serve", "--database-url", "x"])
    return not unknown


pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc's process tree"),
    pytest.mark.skipif(
        not _serve_takes_a_database_url(), reason="serve has no --database-url (PostgreSQL) yet"
    ),
    pytest.mark.skipif(postgres.server_bin() is None, reason="PostgreSQL is not installed"),
    pytest.mark.slow,
]


def test_two_workers_share_one_postgresql_database(tmp_path: Path) -> None:
    with postgres.temporary_cluster() as cluster:
        url = cluster.create_database("timelygator_workers")
        code = (
            "import sys; from timelygator.core.cli import build_parser, run; "
            "sys.exit(run(build_parser().parse_args(sys.argv[1:])))"
        )
        env = {
            **os.environ,
            "TIMELYGATOR_DATA_DIR": str(tmp_path / "data"),
            "TIMELYGATOR_DATABASE_URL": url,
            "TIMELYGATOR_WORKERS": "2",
            "TIMELYGATOR_PASSPHRASE": "correct horse battery",
        }
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--port", "0", "--compat"],
            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        sup = Supervised(proc)
        try:
            base, pids = sup.listening()
            assert len(set(pids)) == 2 and children(proc.pid) >= set(pids)
            inode = listening_inode(int(base.rsplit(":", 1)[1]))
            assert all(holds_socket(pid, inode) for pid in pids)
            bucket = {"type": "t", "client": "c", "hostname": "h"}
            assert httpx.post(f"{base}/api/0/buckets/w", json=bucket).status_code in (200, 201)
            for i in range(20):  # a new connection each: either worker may take it
                event = {"timestamp": f"2024-05-01T10:{i:02d}:00Z", "duration": 1, "data": {"i": i}}
                answer = httpx.post(f"{base}/api/0/buckets/w/events", json=[event])
                assert answer.status_code == 200
            for _ in range(4):
                events = httpx.get(f"{base}/api/0/buckets/w/events?limit=-1").json()
                assert sorted(e["data"]["i"] for e in events) == list(range(20))
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(90) == 0
            assert proc.stderr is not None and "All API workers stopped" in proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
