"""Real probes on a real X11 display (Xvfb + openbox in CI). Skipped without a display."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from timelygator.core.timeutil import US_PER_S
from timelygator.watchers.afk_watcher import AfkWatcher
from timelygator.watchers.idle_probe import X11IdleProbe
from timelygator.watchers.supervisor import Supervisor
from timelygator.watchers.window_probe import PyWinCtlWindowProbe
from timelygator.watchers.window_watcher import WindowWatcher

from tests.watchers.fakes import RecordingSink
from tests.watchers.x11_helpers import TITLE, xdotool

pytestmark = pytest.mark.x11


def test_window_watcher_records_the_active_window(test_window: Any) -> None:
    sink = RecordingSink()
    watcher = WindowWatcher(sink, PyWinCtlWindowProbe(), hostname="x11", poll_interval_s=0.1)
    supervisor = Supervisor(watcher)
    supervisor.start()
    try:
        hb = sink.wait_for(lambda h: h.data.get("title") == TITLE, timeout_s=10)
    finally:
        assert supervisor.stop()
    app = Path(f"/proc/{os.getpid()}/comm").read_text().strip()
    assert hb.data == {"app": app, "title": TITLE}
    assert hb.bucket == "aw-watcher-window_x11"
    assert watcher.status.state.value == "stopped"


def test_afk_then_back_with_real_input(x11_display: str) -> None:
    xdotool("mousemove", "10", "10")
    xdotool("mousemove", "20", "20")  # (a move to the current position is no input)
    first_input_us = time.time_ns() // 1000
    sink = RecordingSink()
    watcher = AfkWatcher(sink, X11IdleProbe(), hostname="x11", timeout_s=1.0, poll_interval_s=0.1)
    supervisor = Supervisor(watcher)
    supervisor.start()
    try:
        afk = sink.wait_for(lambda h: h.data == {"status": "afk"}, timeout_s=15)
        moved_at_us = time.time_ns() // 1000
        xdotool("mousemove", "300", "200")
        back = sink.wait_for(
            lambda h: h.data == {"status": "not-afk"} and h.start_us > afk.start_us,
            timeout_s=10,
        )
    finally:
        assert supervisor.stop()
    # AFK was backdated to the last input (one timeout before it was noticed) ...
    assert abs(afk.start_us - first_input_us) < US_PER_S // 2
    assert afk.end_us - afk.start_us >= 1 * US_PER_S
    # ... and the return is dated at the real input.
    assert abs(back.start_us - moved_at_us) < US_PER_S // 2


def test_window_probe_is_safe_from_two_threads(test_window: Any) -> None:
    """The window and web watchers poll the same probe from two threads."""
    import threading

    probe = PyWinCtlWindowProbe()
    errors: list[BaseException] = []
    titles: list[str] = []

    def poll() -> None:
        try:
            for _ in range(150):
                info = probe.active_window()
                if info is not None:
                    titles.append(info.title)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(titles) == 300
    assert set(titles) == {TITLE}
