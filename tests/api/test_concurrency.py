"""Good and hostile clients at once against the real server (``timelygator serve``): bad
imports, ReDoS queries, concat bombs and floods of wrong tokens run while three watchers
write. Every write the watchers were told is stored is stored; no one gets a 5xx.

(How fast the good clients are answered meanwhile is measured, not asserted, by
``tests/benchmarks/hostile_load.py``.)
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from timelygator.core import reader, tokens
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.helpers.load import (
    HOSTILE_KINDS,
    connect,
    good_client,
    hostile_client,
    request,
    victim_events,
)
from tests.helpers.serve import ServeProcess, free_port

PASS = "concurrency passphrase"


@pytest.mark.slow
def test_good_writes_survive_hostile_clients(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        token = tokens.create(services.writer, services.user_id, "write", "load").result().secret
    serve = ServeProcess(dirs, free_port(), PASS)
    serve.start()
    try:
        conn = connect(serve.port)
        request(conn, "POST", "/api/0/buckets/victim", token, b'{"type": "currentwindow"}')
        status, _ = request(
            conn, "POST", "/api/0/buckets/victim/events", token,
            json.dumps(victim_events()).encode(),
        )  # fmt: skip
        assert status == 200
        stop = threading.Event()
        with ThreadPoolExecutor(len(HOSTILE_KINDS) + 3) as pool:
            hostile = [
                pool.submit(hostile_client, kind, serve.port, token, stop) for kind in HOSTILE_KINDS
            ]
            good = [
                pool.submit(good_client, serve.port, token, f"good-{i}", beats=300)
                for i in range(3)
            ]
            results = [future.result(timeout=300) for future in good]
            stop.set()
            abuse: Counter[int] = Counter()
            for future in hostile:
                abuse.update(future.result(timeout=60))
    finally:
        serve.stop()
    for result in results:
        assert result.statuses == Counter({200: 300}), result.statuses
    assert not [s for s in abuse if s >= 500 or s == -1], abuse
    assert abuse[400] > 0 and abuse[401] + abuse[429] > 0  # the abuse really ran
    with Services.open(dirs, PASS) as services, services.read() as conn_:
        for result in results:
            for event_id, bucket in result.acknowledged.items():
                key = reader.bucket_key(conn_, services.user_id, bucket)
                assert reader.get_event(conn_, key, event_id).id == event_id
        assert {b.name for b in reader.list_buckets(conn_, services.user_id)} == {
            "victim", "good-0", "good-1", "good-2",
        }  # fmt: skip
