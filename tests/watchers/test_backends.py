"""Which backends each session gets, how they fall back, and what the status says."""

from __future__ import annotations

import pytest
from timelygator.watchers.afk_watcher import AfkWatcher
from timelygator.watchers.backends import (
    WindowProbeChain,
    check_backends,
    describe_backends,
    idle_probe_for,
    window_probe_for,
)
from timelygator.watchers.dbus_probes import (
    GnomeShellWindowProbe,
    MutterIdleProbe,
    ScreenSaverIdleProbe,
)
from timelygator.watchers.idle_probe import FallbackIdleProbe, PynputIdleProbe, X11IdleProbe
from timelygator.watchers.kwin_script import KWinScriptWindowProbe
from timelygator.watchers.probes import ProbeUnsupported, WindowInfo
from timelygator.watchers.session import Desktop, DesktopSession, SessionKind, detect_session
from timelygator.watchers.status import WatcherState
from timelygator.watchers.sway_ipc import SwayIpcWindowProbe
from timelygator.watchers.wayland_probes import WaylandIdleProbe, WlrToplevelWindowProbe
from timelygator.watchers.window_probe import PyWinCtlWindowProbe
from timelygator.watchers.window_watcher import WindowWatcher

from tests.watchers.fakes import FakeClock, RecordingSink


@pytest.mark.parametrize(
    ("environ", "kind", "desktop", "described"),
    [
        (
            {"XDG_SESSION_TYPE": "wayland", "XDG_CURRENT_DESKTOP": "ubuntu:GNOME"},
            SessionKind.WAYLAND, Desktop.GNOME, "GNOME on Wayland",
        ),
        (
            {"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE", "DISPLAY": ":1"},
            SessionKind.WAYLAND, Desktop.KDE, "KDE Plasma on Wayland",
        ),
        (
            {"WAYLAND_DISPLAY": "wayland-1", "XDG_CURRENT_DESKTOP": "sway"},
            SessionKind.WAYLAND, Desktop.WLROOTS, "sway on Wayland",
        ),
        (
            {"WAYLAND_DISPLAY": "wayland-1", "HYPRLAND_INSTANCE_SIGNATURE": "abc"},
            SessionKind.WAYLAND, Desktop.WLROOTS, "Hyprland on Wayland",
        ),
        (
            {"WAYLAND_DISPLAY": "wayland-1", "XDG_CURRENT_DESKTOP": "Weston"},
            SessionKind.WAYLAND, Desktop.OTHER, "Weston on Wayland",
        ),
        (
            {"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11", "XDG_CURRENT_DESKTOP": "XFCE"},
            SessionKind.X11, Desktop.OTHER, "X11 (XFCE)",
        ),
        ({"DISPLAY": ":0"}, SessionKind.X11, Desktop.OTHER, "X11"),
        ({}, SessionKind.NO_DISPLAY, Desktop.OTHER, "no display"),
    ],
)  # fmt: skip
def test_session_detection(
    environ: dict[str, str], kind: SessionKind, desktop: Desktop, described: str
) -> None:
    session = detect_session(environ, platform="linux")
    assert (session.kind, session.desktop, session.describe()) == (kind, desktop, described)


def test_windows_and_macos_sessions() -> None:
    assert detect_session({}, platform="win32").kind is SessionKind.WINDOWS
    assert detect_session({"DISPLAY": ":0"}, platform="darwin").kind is SessionKind.MACOS


def _classes(probe: object) -> list[type]:
    inner = getattr(probe, "candidates", None)
    return [type(p) for p in inner] if inner is not None else [type(probe)]


@pytest.mark.parametrize(
    ("desktop", "window", "idle"),
    [
        (
            Desktop.GNOME,
            [GnomeShellWindowProbe],
            [MutterIdleProbe, WaylandIdleProbe, ScreenSaverIdleProbe, PynputIdleProbe],
        ),
        (
            Desktop.KDE,
            [KWinScriptWindowProbe],
            [WaylandIdleProbe, ScreenSaverIdleProbe, MutterIdleProbe, PynputIdleProbe],
        ),
        (
            Desktop.WLROOTS,
            [WlrToplevelWindowProbe, SwayIpcWindowProbe],
            [WaylandIdleProbe, ScreenSaverIdleProbe, MutterIdleProbe, PynputIdleProbe],
        ),
    ],
)
def test_wayland_backends_per_desktop(
    desktop: Desktop, window: list[type], idle: list[type]
) -> None:
    session = DesktopSession(SessionKind.WAYLAND, desktop)
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert _classes(window_probe_for(session, env)) == window
    assert _classes(idle_probe_for(session, env)) == idle
    # Without XWayland there is not even pynput.
    no_x = idle_probe_for(session, {"WAYLAND_DISPLAY": "wayland-0"})
    assert PynputIdleProbe not in _classes(no_x)


def test_x11_keeps_pywinctl_and_the_screensaver_extension() -> None:
    session = DesktopSession(SessionKind.X11, Desktop.OTHER)
    assert _classes(window_probe_for(session, {"DISPLAY": ":0"})) == [PyWinCtlWindowProbe]
    assert _classes(idle_probe_for(session, {"DISPLAY": ":0"})) == [X11IdleProbe, PynputIdleProbe]


class FakeWindowProbe:
    def __init__(self, name: str, answer: WindowInfo | None = None) -> None:
        self.backend = name
        self.answer = answer
        self.unsupported: str | None = None
        self.calls = 0
        self.closed = False

    def active_window(self) -> WindowInfo | None:
        self.calls += 1
        if self.unsupported:
            raise ProbeUnsupported(self.unsupported)
        return self.answer

    def close(self) -> None:
        self.closed = True


def test_chain_falls_back_sticks_and_starts_over_when_its_backend_goes() -> None:
    first = FakeWindowProbe("toplevel", WindowInfo("foot", "one"))
    second = FakeWindowProbe("ipc", WindowInfo("foot", "two"))
    first.unsupported = "unsupported: no toplevel protocol"
    chain = WindowProbeChain([first, second])
    assert chain.active_window() == WindowInfo("foot", "two")
    assert chain.backend == "ipc"
    assert chain.active_window() == WindowInfo("foot", "two")
    assert first.calls == 1  # not asked again while the second one works
    first.unsupported = None
    second.unsupported = "unsupported: sway is gone"
    assert chain.active_window() == WindowInfo("foot", "one")
    assert chain.backend == "toplevel"
    chain.close()
    assert first.closed and second.closed


def test_chain_without_a_working_backend_says_why_for_each() -> None:
    first = FakeWindowProbe("toplevel")
    second = FakeWindowProbe("ipc")
    first.unsupported = "unsupported: river does not offer the protocol"
    second.unsupported = "unsupported: not a sway session (SWAYSOCK is not set)"
    with pytest.raises(ProbeUnsupported) as raised:
        WindowProbeChain([first, second]).active_window()
    assert str(raised.value) == (
        "unsupported: river does not offer the protocol; not a sway session (SWAYSOCK is not set)"
    )


def test_window_status_names_the_backend_in_use() -> None:
    sink = RecordingSink()
    probe = FakeWindowProbe("sway IPC", WindowInfo("foot", "notes"))
    watcher = WindowWatcher(sink, probe, hostname="h", clock=FakeClock())
    watcher.ensure_setup()
    watcher.poll_once(FakeClock().now_us())
    assert str(watcher.status) == "running: sway IPC"


class FakeIdleProbe:
    def __init__(self, backend: str, unsupported: str | None = None) -> None:
        self.backend = backend
        self.unsupported = unsupported

    def seconds_since_input(self) -> float:
        if self.unsupported:
            raise ProbeUnsupported(self.unsupported)
        return 1.0


def test_away_status_says_when_it_fell_back_to_pynput_and_why() -> None:
    idle = FallbackIdleProbe(
        FakeIdleProbe("ext-idle-notify-v1 (Wayland)", "unsupported: labwc offers no idle protocol"),
        FakeIdleProbe(
            "org.freedesktop.ScreenSaver",
            "unsupported: org.freedesktop.ScreenSaver gives no idle time here (no answer)",
        ),
        FakeIdleProbe("pynput fallback (hears input to X11/XWayland apps only)"),
    )
    watcher = AfkWatcher(RecordingSink(), idle, hostname="h", clock=FakeClock())
    watcher.ensure_setup()
    watcher.poll_once(FakeClock().now_us())
    assert watcher.status.state is WatcherState.RUNNING
    assert watcher.status.detail == (
        "pynput fallback (hears input to X11/XWayland apps only); labwc offers no idle "
        "protocol; org.freedesktop.ScreenSaver gives no idle time here (no answer)"
    )


def test_report_for_a_wayland_session_where_nothing_is_reachable(tmp_path: object) -> None:
    env = {
        "XDG_SESSION_TYPE": "wayland",
        "XDG_CURRENT_DESKTOP": "river",
        "WAYLAND_DISPLAY": "wayland-missing",
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    checks = check_backends(env)
    assert [c.ok for c in checks] == [False, False]
    assert checks[0].detail.startswith("unsupported: cannot connect to the Wayland compositor")
    assert "not a sway session (SWAYSOCK is not set)" in checks[0].detail
    text = describe_backends(env)
    assert text.splitlines()[0] == "Session: river on Wayland"
    assert text.splitlines()[1].startswith("Active window: unsupported: ")
    assert text.splitlines()[2].startswith("Idle time: unsupported: ")
    assert "no D-Bus session bus" in text.splitlines()[2]
