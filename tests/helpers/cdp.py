"""A small Chrome DevTools Protocol client (JSON over one websocket) and a Chromium launcher,
for tests that drive a real browser with TimelyGator's extension loaded unpacked."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def wait_for(condition: Any, timeout: float, what: str, step: float = 0.05) -> Any:
    """Poll ``condition()`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        select.select([], [], [], step)


class CdpError(RuntimeError):
    pass


class Cdp:
    """One websocket to the browser; sessions of attached targets are flat (sessionId)."""

    def __init__(self, url: str) -> None:
        self._stack = contextlib.ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(url, max_size=None, open_timeout=10)
        )
        self.ids = itertools.count(1)

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
        timeout: float = 20,
    ) -> dict[str, Any]:  # fmt: skip
        message_id = next(self.ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError(f"{method}: no answer in {timeout} s")
            answer = json.loads(self.ws.recv(timeout=left))
            if answer.get("id") == message_id:
                if "error" in answer:
                    raise CdpError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result

    def attach(self, target_id: str) -> str:
        session: str = self.call("Target.attachToTarget", {"targetId": target_id, "flatten": True})[
            "sessionId"
        ]
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited) in an attached target."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session,
        )
        if "exceptionDetails" in result:
            raise CdpError(str(result["exceptionDetails"])[:500])
        return result["result"].get("value")

    def targets(self) -> list[dict[str, Any]]:
        infos: list[dict[str, Any]] = self.call("Target.getTargets")["targetInfos"]
        return infos

    def close(self) -> None:
        self._stack.close()


class Chromium:
    """Chromium with one unpacked extension, a fresh profile and a DevTools port."""

    def __init__(self, executable: str, profile: Path, extension: Path, display: str) -> None:
        self.executable = executable
        self.profile = profile
        self.extension = extension
        self.display = display
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Cdp:
        args = [
            self.executable,
            f"--user-data-dir={self.profile}",
            "--remote-debugging-port=0",
            f"--load-extension={self.extension}",
            f"--disable-extensions-except={self.extension}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--password-store=basic",
            "--window-size=1000,700",
            "about:blank",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
        env = {**os.environ, "DISPLAY": self.display}
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        port_file = self.profile / "DevToolsActivePort"
        lines = wait_for(
            lambda: port_file.exists() and port_file.read_text().splitlines(),
            30,
            "Chromium's DevTools port",
        )
        return Cdp(f"ws://127.0.0.1:{lines[0]}{lines[1]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # the browser and its helper processes
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
