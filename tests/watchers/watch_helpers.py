"""``timelygator watch`` as a subprocess, and its store read while it runs."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from timelygator.core.paths import resolve_dirs
from timelygator.core.reader import get_events
from timelygator.core.services import open_store
from timelygator.core.store import Store

from tests.watchers.sway_helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]
PASS = "desktop watch passphrase"


@dataclass
class Watch:
    proc: subprocess.Popen[str]
    output: Output
    data: Path

    def wait_line(self, prefix: str, timeout_s: float = 30) -> str:
        """The first status line starting with ``prefix`` (waits for it to be printed)."""

        def found() -> str | None:
            return next((line for line in self.output.lines() if line.startswith(prefix)), None)

        with self.output.changed:
            if not self.output.changed.wait_for(found, timeout_s):
                raise AssertionError(
                    f"no line starting {prefix!r} within {timeout_s} s: {self.output.lines()}"
                )
        return str(found())

    def stop(self) -> float:
        """SIGTERM, wait for the exit; returns when it was asked to stop (Unix time)."""
        at = time.time()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        return at


class Output:
    """Every line a process printed, kept; waiters are woken at each new one."""

    def __init__(self, stream: IO[str]) -> None:
        self.changed = threading.Condition()
        self._lines: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            with self.changed:
                self._lines.append(line.strip())
                self.changed.notify_all()

    def lines(self) -> list[str]:
        with self.changed:
            return list(self._lines)


@contextlib.contextmanager
def run_watch(env: dict[str, str], data: Path, args: list[str]) -> Iterator[Watch]:
    """Run ``timelygator watch --data-dir data *args``; it must exit cleanly afterwards."""
    env = {**env, "TIMELYGATOR_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "timelygator", "watch", "--data-dir", str(data), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        yield Watch(proc, Output(proc.stdout), data)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err[-2000:]


class StoredEvents:
    """Reads the watcher's store while it runs (one reader, opened once)."""

    def __init__(self, data: Path) -> None:
        wait_until(lambda: (data / "timelygator.db").exists(), 30, "the database")
        self.store: Store = open_store(resolve_dirs(data), PASS)

    def __enter__(self) -> StoredEvents:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def events(self, bucket_prefix: str) -> list[tuple[dict[str, object], float, float]]:
        """(data, start, duration) oldest first; start as a Unix time."""
        with self.store.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT id FROM buckets WHERE name LIKE ?", (f"{bucket_prefix}_%",)
            ).first()
            if row is None:
                return []
            events = get_events(conn, int(row[0]))
        return [(e.data, e.start_us / 1e6, e.duration_s) for e in reversed(events)]

    def window_events(self) -> list[tuple[str, str, float, float]]:
        """(app, title, start, duration) of the window bucket, oldest first."""
        return [
            (str(d["app"]), str(d["title"]), start, duration)
            for d, start, duration in self.events("aw-watcher-window")
        ]

    def holds(self, app: str, title: str, seconds: float) -> bool:
        """Whether the newest window event is ``app``/``title`` lasting at least ``seconds``."""
        last = self.window_events()[-1:] or [("", "", 0.0, 0.0)]
        return last[0][:2] == (app, title) and last[0][3] >= seconds

    def close(self) -> None:
        self.store.engine.dispose()
