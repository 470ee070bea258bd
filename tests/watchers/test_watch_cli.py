"""``timelygator watch`` as a user runs it, on a real X11 display, writing the real store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from timelygator.core.paths import resolve_dirs
from timelygator.core.reader import get_events
from timelygator.core.services import open_store

from tests.watchers.x11_helpers import TITLE

pytestmark = pytest.mark.x11
ROOT = Path(__file__).resolve().parents[2]
PASS = "watch cli passphrase"


def _titles(data_dir: Path) -> list[str]:
    store = open_store(resolve_dirs(data_dir), PASS, create=False)
    try:
        with store.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT id FROM buckets WHERE name LIKE 'aw-watcher-window_%'"
            ).first()
            if row is None:
                return []
            return [str(e.data.get("title")) for e in get_events(conn, int(row[0]))]
    finally:
        store.engine.dispose()


def test_watch_records_the_active_window_and_stops_cleanly_on_sigterm(
    test_window: Any, tmp_path: Path
) -> None:
    data = tmp_path / "watch-data"
    env = {**os.environ, "TIMELYGATOR_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "timelygator", "watch", "--data-dir", str(data),
         "--no-web", "--no-afk", "--poll", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith("window: running"):
                break
        # The watcher process owns the directory lock; reading needs only the key.
        waited = threading.Event()
        for _ in range(100):
            if (data / "timelygator.db").exists() and TITLE in _titles(data):
                break
            waited.wait(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err[-2000:]
    assert "window: stopped" in out
    assert TITLE in _titles(data)
