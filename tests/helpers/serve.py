"""``timelygator serve`` in a subprocess, for tests that need the real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from timelygator.core.paths import AppDirs

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServeProcess:
    """``timelygator serve`` in a subprocess, started and stopped by the test."""

    def __init__(self, dirs: AppDirs, port: int, passphrase: str) -> None:
        self.dirs = dirs
        self.port = port
        self.passphrase = passphrase
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        env = {**os.environ, "TIMELYGATOR_PASSPHRASE": self.passphrase, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "timelygator", "serve", "--data-dir", str(self.dirs.data),
             "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if "listening on" in line:
                return
        raise AssertionError(f"serve did not start (exit {self.proc.wait(5)})")

    def kill(self) -> None:
        """End it with SIGKILL, as a crash or a power cut would: nothing flushed or closed."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(20)
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
            assert self.proc.returncode == 0
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
