"""What tracking costs: CPU per heartbeat and per simulated hour, and real-probe cost per poll.

Prints JSON. Fake probes and a fake clock drive the watchers for the simulated figures;
with an X11 display (DISPLAY), the real probes are timed too, next to pywinctl's own
``getAppName`` (which runs ``ps``) as the peer for the app-name lookup.

    python tests/benchmarks/watchers_cost.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from timelygator.core.client.premerge import HeartbeatPreMerger
from timelygator.core.event import Event
from timelygator.core.privacy import PrivacyConfig, PrivacyFilter, RedactionRule
from timelygator.core.timeutil import US_PER_S
from timelygator.watchers.afk_watcher import AfkWatcher
from timelygator.watchers.probes import BrowserTab, WindowInfo
from timelygator.watchers.sink import CallbackSink
from timelygator.watchers.web_watcher import WebWatcher
from timelygator.watchers.window_watcher import WindowWatcher

T0 = 1_700_000_000 * US_PER_S


class Clock:
    us = T0

    def now_us(self) -> int:
        return self.us


class Window:
    def __init__(self) -> None:
        self.n = 0

    def active_window(self) -> WindowInfo:
        self.n += 1
        # a realistic mix: the window changes every 30 polls
        return WindowInfo("chrome", f"Page {self.n // 30} - me@example.org - Google Chrome")


class Idle:
    def seconds_since_input(self) -> float:
        return 2.0


class History:
    def browser_for_app(self, app: str) -> str | None:
        return "chrome"

    def resolve(self, browser: str, title: str) -> BrowserTab:
        page = title.removesuffix(" - Google Chrome")
        return BrowserTab(browser, f"https://example.org/{hash(page) & 0xFFFF}", page)


def cpu(fn: Callable[[], None], repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


def simulated() -> dict[str, Any]:
    sent: list[tuple[str, Event, float]] = []
    sink = CallbackSink(lambda *a: None, lambda b, e, p: sent.append((b, e, p)))
    privacy = PrivacyFilter(
        PrivacyConfig(
            excluded_apps=("keepassxc",),
            redactions=(RedactionRule(r"[\w.+-]+@[\w-]+\.[\w.]+", "<email>"),),
        )
    )
    clock = Clock()
    window = WindowWatcher(
        sink, Window(), hostname="h", privacy=privacy, browser_history=History(), clock=clock
    )
    afk = AfkWatcher(sink, Idle(), hostname="h", privacy=privacy, clock=clock)
    web = WebWatcher(sink, Window(), History(), hostname="h", privacy=privacy, clock=clock)
    premerge = HeartbeatPreMerger(commit_interval_s=10)

    n = 20_000
    per_window_poll = cpu(lambda: window.poll_once(clock.now_us()), n)

    def hour() -> None:
        sent.clear()
        for second in range(3600):
            clock.us = T0 + second * US_PER_S
            window.poll_once(clock.us)
            if second % 2 == 0:
                web.poll_once(clock.us)
            if second % 5 == 0:
                afk.poll_once(clock.us)
        for bucket, event, pulse in sent:
            premerge.add(bucket, event, pulse)
        premerge.drain()

    per_hour = cpu(hour, 5)
    return {
        "cpu_us_per_window_heartbeat": round(per_window_poll * 1e6, 2),
        "cpu_ms_per_simulated_hour_all_watchers": round(per_hour * 1e3, 2),
        "heartbeats_per_simulated_hour": len(sent),
        "cpu_share_of_one_core_pct": round(per_hour / 3600 * 100, 5),
    }


def real_probes() -> dict[str, Any]:
    if not os.environ.get("DISPLAY"):
        return {"skipped": "no DISPLAY"}
    from timelygator.watchers.idle_probe import X11IdleProbe
    from timelygator.watchers.window_probe import PyWinCtlWindowProbe

    out: dict[str, Any] = {}
    window = PyWinCtlWindowProbe()
    try:
        window.active_window()  # import pywinctl once
        out["window_probe_cpu_us_per_poll"] = round(cpu(window.active_window, 200) * 1e6, 1)
        start = time.perf_counter()
        for _ in range(200):
            window.active_window()
        out["window_probe_wall_us_per_poll"] = round((time.perf_counter() - start) / 200 * 1e6, 1)
        import pywinctl

        active = pywinctl.getActiveWindow()
        try:
            if getattr(getattr(active, "_win", None), "getPid", lambda: 0)() in (0, None):
                raise LookupError("the active window has no _NET_WM_PID")
            t = time.perf_counter()
            for _ in range(20):
                active.getAppName()
            out["peer_pywinctl_getAppName_wall_us"] = round((time.perf_counter() - t) / 20 * 1e6)
        except Exception as exc:  # no (or a vanished) active window
            out["peer_pywinctl_getAppName_wall_us"] = f"n/a: {type(exc).__name__}"
    except Exception as exc:
        out["window_probe"] = f"unavailable: {exc}"
    idle = X11IdleProbe()
    try:
        out["idle_probe_cpu_us_per_poll"] = round(cpu(idle.seconds_since_input, 500) * 1e6, 1)
    except Exception as exc:
        out["idle_probe"] = f"unavailable: {exc}"
    return out


if __name__ == "__main__":
    print(json.dumps({"simulated": simulated(), "real_probes": real_probes()}, indent=2))
