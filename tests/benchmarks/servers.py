"""Starting and stopping servers for the benchmarks (ours and ActivityWatch's)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from typing import Any

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[Any], timeout: float = 90) -> None:
    """Wait until ``url``/api/0/info answers (or the process died, or time ran out)."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server for {url} exited early with {proc.returncode}")
        try:
            if httpx.get(f"{url}/api/0/info", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        pause.wait(0.2)
    raise SystemExit(f"{url} did not come up")


def stop(proc: subprocess.Popen[Any]) -> None:
    """Ask the server to stop; kill it after 30 s."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
