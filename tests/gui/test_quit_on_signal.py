"""``kill`` (SIGTERM) ends the app the orderly way: watchers stopped, data saved, exit 0."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from timelygator.core.event import Event
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services

ROOT = Path(__file__).resolve().parents[2]
PASS = "signal test passphrase"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_the_app_in_order(tmp_path: Path) -> None:
    dirs = resolve_dirs(tmp_path / "app-data")
    with Services.open(dirs, PASS) as services:
        key = services.ensure_bucket("kept", type="t", client="c", hostname="h")
        services.writer.insert_events(key, [Event(0, 10, {"x": 1})]).result()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TIMELYGATOR_PASSPHRASE": PASS,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DISPLAY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "timelygator", "--data-dir", str(dirs.data)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    seen: list[str] = []
    for line in proc.stdout:
        seen.append(line)
        if "afk watcher:" in line:  # services are open and the watchers were started
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=30)
    output = "".join(seen) + rest
    assert proc.returncode == 0, output[-3000:]
    assert "afk watcher: stopped" in output
    assert not Path(str(dirs.database) + "-wal").exists() or (
        Path(str(dirs.database) + "-wal").stat().st_size == 0
    )
    with Services.open(dirs, PASS) as services:  # the folder lock was released
        assert [e.data for e in services.events("kept")] == [{"x": 1}]
    # The app's log file: what the console showed, owner-only, without the passphrase.
    log_file = dirs.logs / "timelygator.log"
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(dirs.logs.stat().st_mode) == 0o700
    logged = log_file.read_text(encoding="utf-8")
    assert "afk watcher: stopped" in logged
    assert PASS not in logged
