"""The sync against a real ``timelygator serve``: a device's first push of its history, a
sync with nothing new, a sync after one heartbeat, a full resend (which changes nothing on
the server), and a second device pulling it all; the peer is ``POST /api/0/import`` of the
same events into a fresh server (what a one-off copy costs without the sync's idempotence).

Prints one JSON object (progress on stderr): events, seconds and events/s per step, and
milliseconds for the small syncs.

Usage: python tests/benchmarks/sync_bench.py [--days 7] [--page-size 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from timelygator.core import reader, tokens  # noqa: E402
from timelygator.core.client.sync_client import SyncClient  # noqa: E402
from timelygator.core.event import Event  # noqa: E402
from timelygator.core.paths import resolve_dirs  # noqa: E402
from timelygator.core.services import Services  # noqa: E402
from timelygator.core.sync.engine import SyncEngine  # noqa: E402

from tests.benchmarks.dataset import (  # noqa: E402
    WINDOW_BUCKET,
    build_catalog,
    day_events,
    days,
    to_aw_export,
    write_to_services,
)
from tests.helpers.serve import ServeProcess, free_port  # noqa: E402

PASS = "sync benchmark passphrase"
T = TypeVar("T")


def log(text: str) -> None:
    print(f"[sync_bench] {text}", file=sys.stderr, flush=True)


def server(root: Path, name: str) -> tuple[ServeProcess, str]:
    dirs = resolve_dirs(root / name)
    with Services.open(dirs, PASS) as services:
        token = tokens.create(services.writer, services.user_id, "write", "bench").result()
    serve = ServeProcess(dirs, free_port(), PASS)
    serve.start()
    return serve, token.secret


def timed(step: str, fn: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    log(f"{step}: {seconds:.2f} s")
    return seconds, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    out: dict[str, object] = {"days": args.days, "page_size": args.page_size}
    with tempfile.TemporaryDirectory(prefix="tg-sync-bench-") as tmp:
        root = Path(tmp)
        serve, token = server(root, "server")
        peer, peer_token = server(root, "peer")
        try:
            first = date(2024, 3, 4)
            device = Services.open(resolve_dirs(root / "device"), PASS)
            total = write_to_services(device, first, args.days, progress=True)
            out["events"] = total
            log(f"{total:,} events on the device")
            url = f"http://127.0.0.1:{serve.port}"
            engine = SyncEngine(
                device, SyncClient(url, token), pull=False, page_size=args.page_size
            )
            seconds, _ = timed("first push", engine.sync_once)
            out["first_push_s"] = round(seconds, 2)
            out["first_push_events_per_s"] = round(total / seconds)
            seconds, _ = timed("nothing new", engine.sync_once)
            out["nothing_new_ms"] = round(seconds * 1000, 1)
            key = device.bucket_key(WINDOW_BUCKET)
            with device.read() as conn:
                last = reader.events_starting(conn, key)[-1]
            beat = Event(last.end_us, last.end_us + 1_000_000, last.data, None, last.tz_offset_s)
            device.writer.heartbeat(key, beat, 2.0).result()
            seconds, _ = timed("one heartbeat", engine.sync_once)
            out["one_heartbeat_ms"] = round(seconds * 1000, 1)
            engine.resend_all()
            seconds, report = timed("full resend", engine.sync_once)
            changed = sum(c.changed for c in report.pushed.values())
            out["full_resend_s"] = round(seconds, 2)
            out["full_resend_server_changes"] = changed
            engine.client.close()
            device.close()

            other = Services.open(resolve_dirs(root / "other"), PASS)
            puller = SyncEngine(other, SyncClient(url, token), page_size=args.page_size)
            seconds, _ = timed("second device pulls", puller.sync_once)
            out["pull_s"] = round(seconds, 2)
            out["pull_events_per_s"] = round(total / seconds)
            puller.client.close()
            other.close()

            catalog = build_catalog(1)
            doc = to_aw_export([day_events(d, 1, catalog) for d in days(first, args.days)])
            body = json.dumps(doc).encode()
            peer_url = f"http://127.0.0.1:{peer.port}/api/0/import"
            headers = {"Authorization": f"Bearer {peer_token}", "Content-Type": "application/json"}
            with httpx.Client(timeout=3600) as http:
                seconds, answer = timed(
                    "peer: /api/0/import",
                    lambda: http.post(peer_url, content=body, headers=headers),
                )
            assert answer.status_code == 200, answer.text
            out["import_s"] = round(seconds, 2)
            out["import_events_per_s"] = round(total / seconds)
            out["first_push_vs_import"] = round(float(str(out["first_push_s"])) / seconds, 2)
        finally:
            serve.stop()
            peer.stop()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
