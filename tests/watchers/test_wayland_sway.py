"""Tracking on a real (headless) sway: the probes in-process, then ``timelygator watch`` itself.

Terminals (foot) get known app ids and titles, focus moves with ``swaymsg``, input comes from
a virtual pointer; the assertions are what a user would check: the stored events' app,
title and duration, the AFK spans, and the status lines naming the backend.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from timelygator.watchers.backends import default_idle_probe, default_window_probe
from timelygator.watchers.probes import WindowInfo
from timelygator.watchers.sway_ipc import SwayIpcWindowProbe
from timelygator.watchers.wayland_probes import WaylandIdleProbe, WlrToplevelWindowProbe

from tests.watchers.sway_helpers import Sway, wait_until
from tests.watchers.watch_helpers import ROOT, StoredEvents, Watch, run_watch

pytestmark = pytest.mark.wayland
POLL_S = 0.2
#: A switch is seen at the next poll; a busy shared machine may add some scheduling delay.
TOLERANCE_S = 0.8


def _info(app: str, title: str) -> WindowInfo:
    return WindowInfo(app=app, title=title, pid=None, is_private=False)


# -- the probes, in-process ------------------------------------------------------------------


def test_toplevel_probe_follows_focus_title_changes_and_closed_windows(sway: Sway) -> None:
    alpha = sway.open_terminal("tg-alpha", "Alpha notes")
    sway.open_terminal("tg-beta", "Beta mail")
    probe = WlrToplevelWindowProbe(sway.env)
    try:
        sway.focus("tg-alpha")
        assert wait_until(
            lambda: probe.active_window() == _info("tg-alpha", "Alpha notes"), 5, "alpha"
        )
        sway.focus("tg-beta")
        wait_until(lambda: probe.active_window() == _info("tg-beta", "Beta mail"), 5, "beta")
        sway.focus("tg-alpha")
        alpha.set_title("Alpha notes (edited)")
        wait_until(
            lambda: probe.active_window() == _info("tg-alpha", "Alpha notes (edited)"),
            5,
            "alpha's new title",
        )
        sway.close_terminal(alpha)  # sway then focuses the other terminal
        wait_until(lambda: probe.active_window() == _info("tg-beta", "Beta mail"), 5, "beta")
        assert probe.backend == "wlr-foreign-toplevel-management (Wayland)"
    finally:
        probe.close()


def test_sway_ipc_probe_reads_the_focused_view_with_its_pid(sway: Sway) -> None:
    beta = sway.open_terminal("tg-beta", "Beta mail")
    probe = SwayIpcWindowProbe(sway.env)
    try:
        sway.focus("tg-beta")
        info = probe.active_window()
        assert info is not None
        assert (info.app, info.title, info.pid) == ("tg-beta", "Beta mail", beta.proc.pid)
    finally:
        probe.close()


def test_idle_probe_counts_from_the_last_input(sway: Sway) -> None:
    probe = WaylandIdleProbe(sway.env)
    try:
        probe.seconds_since_input()  # connects; no input since
        assert probe.backend in ("ext-idle-notify-v1 (Wayland)", "org_kde_kwin_idle (Wayland)")
        wait_until(lambda: probe.seconds_since_input() >= 1.5, 10, "1.5 s without input")
        moved = time.monotonic()
        sway.pointer_motion()
        # Resumed at once; once idle again (1 s later) the idle time counts from the motion.
        wait_until(lambda: probe.seconds_since_input() < 1.0, 5, "the input to be seen")
        idle = wait_until(lambda: probe.seconds_since_input() or None, 5, "idle again")
        assert abs((time.monotonic() - idle) - moved) < TOLERANCE_S
    finally:
        probe.close()


def test_session_picks_the_wayland_backends(sway: Sway) -> None:
    window = default_window_probe(sway.env)
    idle = default_idle_probe(sway.env)
    try:
        sway.open_terminal("tg-alpha", "Alpha notes")
        sway.focus("tg-alpha")
        assert window.active_window() == _info("tg-alpha", "Alpha notes")
        assert window.backend == "wlr-foreign-toplevel-management (Wayland)"  # type: ignore[attr-defined]
        assert idle.seconds_since_input() >= 0
        assert "Wayland" in idle.backend  # type: ignore[attr-defined]
    finally:
        for probe in (window, idle):
            probe.close()  # type: ignore[union-attr]


# -- timelygator watch, as a user runs it --------------------------------------------------------


@pytest.fixture
def watch(sway: Sway, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Watch]:
    args, env_overrides = request.param
    with run_watch({**sway.env, **env_overrides}, tmp_path / "watch-data", args) as running:
        yield running


@pytest.mark.parametrize(
    "watch", [(["--no-afk", "--no-web", "--poll", str(POLL_S)], {})], indirect=True
)
def test_watch_records_app_ids_titles_and_durations_on_sway(sway: Sway, watch: Watch) -> None:
    sway.open_terminal("tg-alpha", "Alpha notes")
    beta = sway.open_terminal("tg-beta", "Beta mail")
    switches = [("tg-alpha", "Alpha notes", sway.focus("tg-alpha"))]
    assert watch.wait_line("window: running") == (
        "window: running: wlr-foreign-toplevel-management (Wayland)"
    )
    with StoredEvents(watch.data) as stored:
        # Each window keeps the focus until the store shows it held it for a while.
        wait_until(lambda: stored.holds("tg-alpha", "Alpha notes", 1.5), 30, "alpha stored")
        switches.append(("tg-beta", "Beta mail", sway.focus("tg-beta")))
        wait_until(lambda: stored.holds("tg-beta", "Beta mail", 1.5), 30, "beta stored")
        beta.set_title("Beta mail - draft 2")
        switches.append(("tg-beta", "Beta mail - draft 2", time.time()))
        wait_until(
            lambda: stored.holds("tg-beta", "Beta mail - draft 2", 1.0), 30, "new title stored"
        )
        switches.append(("tg-alpha", "Alpha notes", sway.focus("tg-alpha")))
        wait_until(lambda: stored.holds("tg-alpha", "Alpha notes", 1.0), 30, "alpha again")
        stopped = watch.stop()
        events = stored.window_events()

    assert [(app, title) for app, title, _s, _d in events] == [(a, t) for a, t, _ in switches]
    ends = [at for _a, _t, at in switches[1:]] + [stopped]
    for (app, title, start, duration), (_a, _t, switched), end in zip(
        events, switches, ends, strict=True
    ):
        # The first window was focused before the watcher started: it starts with the watcher.
        expected = end - max(switched, events[0][2])
        assert abs(duration - expected) < TOLERANCE_S, (app, title, duration, expected)
        assert abs(start - max(switched, events[0][2])) < TOLERANCE_S


@pytest.mark.parametrize(
    "watch",
    [(["--no-afk", "--no-web", "--poll", str(POLL_S)], {"WAYLAND_DISPLAY": "wayland-missing"})],
    indirect=True,
)
def test_watch_falls_back_to_sway_ipc_without_the_toplevel_protocol(
    sway: Sway, watch: Watch
) -> None:
    sway.open_terminal("tg-beta", "Beta mail")
    sway.focus("tg-beta")
    assert watch.wait_line("window: running") == "window: running: sway IPC"
    with StoredEvents(watch.data) as stored:
        wait_until(lambda: stored.holds("tg-beta", "Beta mail", 0.5), 30, "beta stored")


AFK_TIMEOUT_S = 5.0  # the shortest the CLI allows (the away watcher looks every 5 s)


@pytest.mark.parametrize(
    "watch",
    [(["--no-window", "--no-web", "--afk-timeout", str(AFK_TIMEOUT_S)], {})],
    indirect=True,
)
def test_watch_records_away_and_back_from_the_compositors_idle_protocol(
    sway: Sway, watch: Watch
) -> None:
    line = watch.wait_line("afk: running")
    started = time.time()
    assert line in (
        "afk: running: org_kde_kwin_idle (Wayland)",  # sway 1.7 (Debian 12)
        "afk: running: ext-idle-notify-v1 (Wayland)",  # sway 1.8 and later
    )
    with StoredEvents(watch.data) as stored:

        def statuses() -> list[tuple[str, float, float]]:
            return [(str(d["status"]), s, du) for d, s, du in stored.events("aw-watcher-afk")]

        # No input since the watcher started: away, backdated to its start.
        wait_until(lambda: any(s == "afk" for s, _, _ in statuses()), 30, "an afk event")
        back = sway.pointer_motion()
        wait_until(lambda: statuses()[-1][0] == "not-afk", 30, "back (not-afk)")
        events = statuses()
    afk = [e for e in events if e[0] == "afk"]
    assert len(afk) == 1
    _status, afk_start, afk_duration = afk[0]
    assert abs(afk_start - started) < 2.0  # the watcher connected just before its status line
    assert abs((afk_start + afk_duration) - back) < TOLERANCE_S
    assert events[-1][0] == "not-afk"
    assert abs(events[-1][1] - back) < TOLERANCE_S


def test_desktop_integration_status_names_the_backends(sway: Sway) -> None:
    sway.open_terminal("tg-alpha", "Alpha notes")
    sway.focus("tg-alpha")
    out = subprocess.run(
        [sys.executable, "-m", "timelygator", "desktop-integration", "status"],
        env={**sway.env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60,
        check=True,
    ).stdout.splitlines()  # fmt: skip
    assert out[:2] == [
        "Session: sway on Wayland",
        "Active window: wlr-foreign-toplevel-management (Wayland) (now: tg-alpha)",
    ]
    assert out[2] in (
        "Idle time: org_kde_kwin_idle (Wayland) (idle 0 s)",
        "Idle time: ext-idle-notify-v1 (Wayland) (idle 0 s)",
    )
