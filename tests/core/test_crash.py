"""SIGKILL mid-stream: everything acknowledged survives and the file stays consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

ROOT = Path(__file__).resolve().parents[2]
PASS = "crash test passphrase"

WRITER_SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from timelygator.core.paths import resolve_dirs
    from timelygator.core.services import Services
    from timelygator.core.event import Event
    S = 1_000_000
    T = 1_700_000_000 * S
    services = Services.open(resolve_dirs(sys.argv[1]), sys.argv[2])
    key = services.ensure_bucket("w", type="currentwindow", client="crash", hostname="h")
    out = sys.stdout
    lock = threading.Lock()

    def produce(worker):
        i = 0
        while True:
            start = T + i * S
            # Three apps in turn with repeats: a mix of merges and new events.
            data = {"app": f"app{worker}-{(i // 5) % 3}", "title": f"t{i // 5}"}
            fut = services.writer.heartbeat(key, Event(start, start + S, data), 1.0)
            stored = fut.result()
            with lock:
                out.write(f"{stored.id} {stored.start_us} {stored.end_us}\\n")
                out.flush()
            i += 1

    for w in range(3):
        threading.Thread(target=produce, args=(w,), daemon=True).start()
    threading.Event().wait()
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_loses_nothing_acknowledged(dirs: AppDirs) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(dirs.data), PASS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    acked: dict[int, tuple[int, int]] = {}
    try:
        for line in proc.stdout:
            event_id, start, end = (int(x) for x in line.split())
            previous = acked.get(event_id, (start, end))
            acked[event_id] = (start, max(end, previous[1]))
            if len(acked) >= 1500:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= 1500

    with Services.open(dirs, PASS) as services:
        stored = {e.id: (e.start_us, e.end_us) for e in services.events("w")}
        assert services.file_store.integrity_check() == []
    missing = [i for i in acked if i not in stored]
    assert missing == []
    shrunk = [i for i, (s, e) in acked.items() if stored[i][0] != s or stored[i][1] < e]
    assert shrunk == []
