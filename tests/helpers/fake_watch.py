"""The real ``timelygator watch`` process, with a scripted window probe instead of the OS's.

``python -m tests.helpers.fake_watch SCRIPT.json [watch options]`` runs the ``timelygator``
entry point with ``watch`` and the options, after replacing the OS window probe with one that
reports the windows listed in ``SCRIPT.json`` (``[[app, title, polls], ...]``), each for that
many polls, and then asks the process to stop (SIGTERM, as a user's ``kill`` would): the
test waits for the process to exit, never for a time.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from timelygator.watchers.probes import WindowInfo


class ScriptedWindowProbe:
    """Reports the scripted windows in order, then nothing, and stops the process once."""

    def __init__(self, script: list[tuple[str, str, int]]) -> None:
        self._polls = [WindowInfo(app, title) for app, title, polls in script for _ in range(polls)]
        self._lock = threading.Lock()
        self._stopped = False

    def active_window(self) -> WindowInfo | None:
        with self._lock:
            if self._polls:
                return self._polls.pop(0)
            if not self._stopped:
                self._stopped = True
                os.kill(os.getpid(), signal.SIGTERM)
            return None


def main(argv: list[str]) -> int:
    raw = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    probe = ScriptedWindowProbe([(str(app), str(title), int(n)) for app, title, n in raw])

    import timelygator.watchers.headless

    # The name build_watchers calls (it picks the OS/session's probe through it).
    timelygator.watchers.headless.default_window_probe = lambda *_a, **_k: probe  # type: ignore[attr-defined]

    from timelygator.gui.main import main as run_timelygator

    return run_timelygator(["watch", *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
