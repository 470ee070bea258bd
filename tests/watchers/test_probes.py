"""Real probes refusing cleanly where they cannot work (no display, Wayland, missing tools)."""

from __future__ import annotations

import sys
import threading

import pytest
from timelygator.watchers.idle_probe import (
    FallbackIdleProbe,
    PynputIdleProbe,
    X11IdleProbe,
    default_idle_probe,
)
from timelygator.watchers.probes import ProbeUnsupported
from timelygator.watchers.status import WatcherState, WatcherStatus
from timelygator.watchers.supervisor import Supervisor
from timelygator.watchers.window_probe import (
    PyWinCtlWindowProbe,
    title_looks_private,
    x11_unsupported_reason,
)
from timelygator.watchers.window_watcher import WindowWatcher

from tests.watchers.fakes import RecordingSink

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="X11/Wayland checks are Linux's")


@linux_only
def test_wayland_without_x11_is_unsupported_with_reason() -> None:
    probe = PyWinCtlWindowProbe(environ={"WAYLAND_DISPLAY": "wayland-0"})
    with pytest.raises(ProbeUnsupported, match="Wayland"):
        probe.active_window()


@linux_only
def test_wayland_with_xwayland_is_refused_rather_than_wrong() -> None:
    reason = x11_unsupported_reason({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"})
    assert reason is not None
    assert "XWayland" in reason
    assert x11_unsupported_reason({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}) is None


@linux_only
def test_missing_xrandr_reports_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("timelygator.watchers.window_probe.shutil.which", lambda tool: None)
    probe = PyWinCtlWindowProbe(environ={"DISPLAY": ":0"})
    with pytest.raises(ProbeUnsupported, match="install x11-xserver-utils"):
        probe.active_window()


@linux_only
def test_pywinctl_exiting_on_import_becomes_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "pywinctl":
            raise SystemExit(1)  # what pywinctl does when xrandr/xset are missing
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(
        "timelygator.watchers.window_probe.shutil.which", lambda tool: "/usr/bin/" + tool
    )
    probe = PyWinCtlWindowProbe(environ={"DISPLAY": ":0"})
    with pytest.raises(ProbeUnsupported, match="install x11-xserver-utils"):
        probe.active_window()


@linux_only
def test_watcher_status_shows_unsupported_and_records_nothing() -> None:
    sink = RecordingSink()
    seen = threading.Event()
    statuses: list[WatcherStatus] = []

    def on_status(name: str, status: WatcherStatus) -> None:
        statuses.append(status)
        if status.state is WatcherState.UNSUPPORTED:
            seen.set()

    watcher = WindowWatcher(
        sink, PyWinCtlWindowProbe(environ={}), hostname="h", on_status=on_status
    )
    supervisor = Supervisor(watcher)
    supervisor.start()
    assert seen.wait(5)
    assert supervisor.stop()
    assert sink.heartbeats == []
    assert [s.state for s in statuses] == [
        WatcherState.STARTING,
        WatcherState.UNSUPPORTED,
        WatcherState.STOPPED,
    ]
    assert "no X11 display" in statuses[1].detail


@linux_only
def test_idle_without_display_is_unsupported() -> None:
    with pytest.raises(ProbeUnsupported, match="no X11 display"):
        X11IdleProbe(environ={}).seconds_since_input()


@linux_only
def test_wayland_idle_never_uses_x11_sources_and_pynput_only_last() -> None:
    probe = default_idle_probe({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"})
    assert isinstance(probe, FallbackIdleProbe)
    candidates = probe.candidates
    assert not any(isinstance(p, X11IdleProbe) for p in candidates)
    assert isinstance(candidates[-1], PynputIdleProbe)
    assert "X11/XWayland apps only" in candidates[-1].backend
    assert not any(isinstance(p, PynputIdleProbe) for p in candidates[:-1])


@pytest.mark.parametrize(
    ("title", "private"),
    [
        ("Docs - Google Chrome (Incognito)", True),
        ("Docs — Mozilla Firefox Private Browsing", True),
        ("Docs - [InPrivate] - Microsoft Edge", True),
        ("Private equity - Wikipedia - Google Chrome", False),
        ("Docs - Google Chrome", False),
    ],
)
def test_private_window_titles(title: str, private: bool) -> None:
    assert title_looks_private(title) is private
