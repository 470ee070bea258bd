"""``timelygator serve --workers N`` on a real PostgreSQL server, end to end.

Worker processes on one port and one database (the real command, no stand-in, on the
session's throwaway cluster; skipped where PostgreSQL's server programs are not installed,
Debian: postgresql): every write acknowledged by any of them is read back through all,
heartbeats from many clients to one bucket merge exactly as one writer would merge them,
and SIGTERM stops them in order.
"""

from __future__ import annotations

import random
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import postgres
from tests.helpers.processes import children, holds_socket, listening_inode, serve_workers

BUCKET = {"type": "currentwindow", "client": "c", "hostname": "h"}
pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc's process tree"),
    pytest.mark.slow,
]


def test_two_workers_share_one_postgresql_database(
    pg_cluster: postgres.Cluster, tmp_path: Path
) -> None:
    url = pg_cluster.create_database(f"t{uuid.uuid4().hex}")
    with serve_workers(url, 2, tmp_path / "data") as (base, pids, sup):
        assert children(sup.proc.pid) >= set(pids)
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
    assert "All API workers stopped" in "".join(sup.seen)


ROUNDS, CLIENTS, BEATS = 25, 8, 4


def test_heartbeats_from_many_clients_to_one_bucket_merge_exactly(
    pg_cluster: postgres.Cluster, tmp_path: Path
) -> None:
    """Eight clients send heartbeats to one bucket through three worker processes at once.

    The workload makes the merge rule's answer (``core.heartbeat``) the same in any order of
    arrival: in round r every heartbeat starts at the same time T_r with the data
    {"round": r}, and each lasts a different number of seconds. The first of a round to be
    applied starts a new event (the last one is the previous round's, with other data); each
    other one starts where that event starts and merges into it. So each round leaves exactly
    one event, [T_r, T_r + the longest duration of the round]. Two workers merging without
    each other would leave two events of a round (both start one) or a shorter end (one
    extension overwrites another). The rounds are separated (every client waits for all
    answers of a round), so their order is fixed.
    """
    url = pg_cluster.create_database(f"t{uuid.uuid4().hex}")
    chance = random.Random(18)
    durations = [
        chance.sample(range(1, CLIENTS * BEATS + 1), CLIENTS * BEATS) for _ in range(ROUNDS)
    ]
    start = [1_714_550_400 + 3600 * r for r in range(ROUNDS)]  # 2024-05-01 08:00 UTC, hourly
    failures: list[str] = []
    barrier = threading.Barrier(CLIENTS, timeout=60)

    def client(number: int, base: str) -> None:
        try:
            for r in range(ROUNDS):
                barrier.wait()
                with httpx.Client(base_url=base, timeout=30) as http:  # a new connection
                    for beat in range(BEATS):
                        seconds = durations[r][number * BEATS + beat]
                        answer = http.post(
                            "/api/0/buckets/hb/heartbeat?pulsetime=0",
                            json={
                                "timestamp": datetime.fromtimestamp(start[r], UTC).isoformat(),
                                "duration": seconds,
                                "data": {"round": r},
                            },
                        )
                        if answer.status_code != 200:
                            failures.append(f"{answer.status_code} {answer.text}")
        except BaseException as exc:  # shown by the main thread
            failures.append(repr(exc))
            barrier.abort()

    with serve_workers(url, 3, tmp_path / "data") as (base, _pids, _sup):
        made = httpx.post(f"{base}/api/0/buckets/hb", json=BUCKET)
        assert made.status_code in (200, 201)
        threads = [threading.Thread(target=client, args=(n, base)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert not failures, failures[:3]
        events: list[dict[str, Any]] = httpx.get(f"{base}/api/0/buckets/hb/events?limit=-1").json()
    stored = sorted(
        (datetime.fromisoformat(e["timestamp"]).timestamp(), e["duration"], e["data"]["round"])
        for e in events
    )
    expected = [(float(start[r]), float(max(durations[r])), r) for r in range(ROUNDS)]
    assert stored == expected
