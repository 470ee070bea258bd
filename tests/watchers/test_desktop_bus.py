"""The GNOME and KDE backends against a private session bus, with the real extension/script code.

The fake GNOME Shell answers through the extension's own ``extension.js`` (both the GNOME 45+
and the GNOME 40-44 copy); the fake KWin runs the real KWin script with Plasma 6's and
Plasma 5's scripting API. The probes under test are the ones the watchers use.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from timelygator.watchers.dbus_probes import (
    GnomeShellWindowProbe,
    MutterIdleProbe,
    ScreenSaverIdleProbe,
)
from timelygator.watchers.desktop_integration import install_gnome_extension
from timelygator.watchers.kwin_script import SCRIPT_NAME, SERVICE, KWinScriptWindowProbe
from timelygator.watchers.probes import ProbeUnsupported, WindowInfo

from tests.watchers.dbus_helpers import FakeGnomeShell, FakeKWin, Service, bus_env, private_bus
from tests.watchers.sway_helpers import wait_until
from tests.watchers.watch_helpers import ROOT, StoredEvents, run_watch


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[str]:
    with private_bus(tmp_path) as address:
        yield address


FIREFOX = {"wm_class": "firefox", "title": "Docs — Mozilla Firefox", "pid": 4242,
           "app_id": "firefox.desktop"}  # fmt: skip


# -- GNOME -----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["modern", "legacy"])
def test_gnome_probe_reads_what_the_extension_answers(bus: str, variant: str) -> None:
    shell = FakeGnomeShell(bus, variant)
    probe = GnomeShellWindowProbe(bus_env(bus))
    try:
        shell.focus(FIREFOX)
        assert probe.active_window() == WindowInfo(
            "firefox", "Docs — Mozilla Firefox", pid=4242, is_private=False
        )
        # A Wayland window without WM_CLASS: the .desktop id names the app.
        shell.focus({"title": "Calculator", "app_id": "org.gnome.Calculator.desktop"})
        assert probe.active_window() == WindowInfo(
            "org.gnome.Calculator", "Calculator", pid=None, is_private=False
        )
        shell.focus({"wm_class": "firefox", "title": "Bank — Mozilla Firefox Private Browsing"})
        info = probe.active_window()
        assert info is not None and info.is_private
        shell.focus(None)
        assert probe.active_window() is None
        shell.focus(FIREFOX)
        shell.command({"locked": True})
        assert probe.active_window() is None  # nothing is reported while the screen is locked
    finally:
        probe.close()
        shell.close()


def test_gnome_without_the_extension_says_how_to_install_it(bus: str, tmp_path: Path) -> None:
    shell = FakeGnomeShell(bus, extension=False)
    env = bus_env(bus, XDG_DATA_HOME=str(tmp_path / "data"), XDG_DATA_DIRS=str(tmp_path / "none"))
    probe = GnomeShellWindowProbe(env)
    try:
        with pytest.raises(ProbeUnsupported) as raised:
            probe.active_window()
        assert str(raised.value) == (
            "unsupported: GNOME on Wayland needs the TimelyGator Shell extension: install it in "
            "Settings → Watchers (or run 'timelygator desktop-integration install-gnome'), then "
            "log out and back in"
        )
        install_gnome_extension({**env, "PATH": str(tmp_path / "no-tools")}, shell_major=46)
        with pytest.raises(ProbeUnsupported, match="installed but not running yet: log out"):
            probe.active_window()
    finally:
        probe.close()
        shell.close()


def test_gnome_extension_turned_off_is_unsupported_until_turned_on(bus: str) -> None:
    shell = FakeGnomeShell(bus)
    probe = GnomeShellWindowProbe(bus_env(bus))
    try:
        shell.focus(FIREFOX)
        assert probe.active_window() is not None
        assert shell.command({"disable": True}) == {"exported": False}
        with pytest.raises(ProbeUnsupported, match="TimelyGator Shell extension"):
            probe.active_window()
        assert shell.command({"enable": True}) == {"exported": True}
        assert probe.active_window() is not None
    finally:
        probe.close()
        shell.close()


def test_without_gnome_shell_on_the_bus(bus: str) -> None:
    probe = GnomeShellWindowProbe(bus_env(bus))
    with pytest.raises(ProbeUnsupported, match="GNOME Shell is not running on this session bus"):
        probe.active_window()
    probe.close()


def test_mutter_idle_monitor_and_its_absence(bus: str) -> None:
    probe = MutterIdleProbe(bus_env(bus))
    with pytest.raises(ProbeUnsupported, match=r"org\.gnome\.Mutter\.IdleMonitor"):
        probe.seconds_since_input()
    shell = FakeGnomeShell(bus, extension=False)
    try:
        shell.idle_ms = 61_500
        assert probe.seconds_since_input() == 61.5
    finally:
        probe.close()
        shell.close()


# -- KDE -------------------------------------------------------------------------------------

KONSOLE = {"resourceClass": "org.kde.konsole", "caption": "~ : bash — Konsole",
           "desktopFileName": "org.kde.konsole", "pid": 5150}  # fmt: skip
BROWSER = {"resourceClass": "firefox", "caption": "Docs — Mozilla Firefox",
           "desktopFileName": "firefox", "pid": 4242}  # fmt: skip


@pytest.mark.parametrize("flavor", ["plasma6", "plasma5"])
def test_kwin_script_reports_reach_the_probe(bus: str, flavor: str) -> None:
    kwin = FakeKWin(bus, flavor, initial=KONSOLE)
    probe = KWinScriptWindowProbe(bus_env(bus))
    try:
        # The first poll loads and runs the script, which reports the active window at once.
        konsole = WindowInfo("org.kde.konsole", "~ : bash — Konsole", pid=5150, is_private=False)
        wait_until(lambda: probe.active_window() == konsole, 20, "the first report")
        assert list(kwin.loaded) == [SCRIPT_NAME]
        assert kwin.loaded[SCRIPT_NAME].endswith("resources/kwin/timelygator-active-window.js")
        kwin.activate(BROWSER)
        browser = WindowInfo("firefox", "Docs — Mozilla Firefox", pid=4242, is_private=False)
        wait_until(lambda: probe.active_window() == browser, 10, "firefox")
        kwin.caption("Mail — Mozilla Firefox")
        wait_until(
            lambda: getattr(probe.active_window(), "title", "") == "Mail — Mozilla Firefox",
            10,
            "the new caption",
        )
        kwin.activate(None)
        wait_until(lambda: probe.active_window() is None or None, 10, "no active window")
        assert probe.active_window() is None
    finally:
        probe.close()
    # Closing unloads the script (after the unload of a leftover before loading) and frees
    # the name for the next watcher.
    assert kwin.unloaded == [SCRIPT_NAME, SCRIPT_NAME]
    other = Service(bus, (SERVICE,))
    other.close()
    kwin.close()


def test_kwin_restarted_gets_the_script_again(bus: str) -> None:
    kwin = FakeKWin(bus, "plasma6", initial=KONSOLE)
    probe = KWinScriptWindowProbe(bus_env(bus), check_every_s=0.0)
    konsole = WindowInfo("org.kde.konsole", "~ : bash — Konsole", pid=5150, is_private=False)
    try:
        wait_until(lambda: probe.active_window() == konsole, 20, "the first report")
        kwin.restart()
        kwin.initial = BROWSER
        browser = WindowInfo("firefox", "Docs — Mozilla Firefox", pid=4242, is_private=False)
        wait_until(lambda: probe.active_window() == browser, 20, "a report after the restart")
        assert list(kwin.loaded) == [SCRIPT_NAME]
    finally:
        probe.close()
        kwin.close()


def test_kwin_missing_or_name_taken(bus: str) -> None:
    probe = KWinScriptWindowProbe(bus_env(bus))
    with pytest.raises(ProbeUnsupported, match="KWin is not running on this session bus"):
        probe.active_window()
    kwin = FakeKWin(bus, "plasma6", initial=None)
    squatter = Service(bus, (SERVICE,))
    try:
        with pytest.raises(ProbeUnsupported, match="another TimelyGator watcher"):
            probe.active_window()
        assert kwin.loaded == {}  # nothing was loaded for a watcher that cannot hear it
    finally:
        probe.close()
        squatter.close()
        kwin.close()


def test_screensaver_idle_time_kde_path(bus: str) -> None:
    kwin = FakeKWin(bus, "plasma6", initial=None)
    probe = ScreenSaverIdleProbe(bus_env(bus))
    try:
        kwin.idle_ms = 12_000
        assert probe.seconds_since_input() == 12.0
    finally:
        probe.close()
        kwin.close()
    gone = ScreenSaverIdleProbe(bus_env(bus))
    with pytest.raises(ProbeUnsupported, match=r"org\.freedesktop\.ScreenSaver gives no idle time"):
        gone.seconds_since_input()
    gone.close()


# -- timelygator watch on GNOME and KDE (Wayland), as a user runs it ----------------------------


def test_watch_on_gnome_wayland_records_from_the_extension(bus: str, tmp_path: Path) -> None:
    shell = FakeGnomeShell(bus)
    env = bus_env(
        bus,
        XDG_SESSION_TYPE="wayland",
        XDG_CURRENT_DESKTOP="ubuntu:GNOME",
        WAYLAND_DISPLAY="wayland-gone",  # no compositor to talk to: only the bus
    )
    try:
        shell.focus(FIREFOX)
        shell.idle_ms = 2_000
        with run_watch(env, tmp_path / "data", ["--no-web", "--poll", "0.2"]) as watch:
            assert watch.wait_line("window: running") == ("window: running: GNOME Shell extension")
            assert watch.wait_line("afk: running") == (
                "afk: running: GNOME (org.gnome.Mutter.IdleMonitor)"
            )
            with StoredEvents(watch.data) as stored:
                wait_until(
                    lambda: stored.holds("firefox", "Docs — Mozilla Firefox", 0.4), 30, "firefox"
                )
                wait_until(
                    lambda: [d["status"] for d, _s, _d in stored.events("aw-watcher-afk")],
                    30,
                    "an afk status",
                )
                assert stored.events("aw-watcher-afk")[0][0] == {"status": "not-afk"}
    finally:
        shell.close()


def test_watch_on_kde_wayland_records_from_the_kwin_script(bus: str, tmp_path: Path) -> None:
    kwin = FakeKWin(bus, "plasma6", initial=KONSOLE)
    env = bus_env(
        bus,
        XDG_SESSION_TYPE="wayland",
        XDG_CURRENT_DESKTOP="KDE",
        WAYLAND_DISPLAY="wayland-gone",
        XDG_RUNTIME_DIR=str(tmp_path),
    )
    try:
        with run_watch(env, tmp_path / "data", ["--no-web", "--poll", "0.2"]) as watch:
            assert watch.wait_line("window: running") == "window: running: KWin script (KDE Plasma)"
            # KWin 5/6 offer idle protocols to Wayland clients; here there is no compositor,
            # so the status says why the away watcher uses the screensaver's idle time.
            afk = watch.wait_line("afk: running")
            assert afk.startswith("afk: running: org.freedesktop.ScreenSaver; cannot connect")
            with StoredEvents(watch.data) as stored:
                wait_until(
                    lambda: stored.holds("org.kde.konsole", "~ : bash — Konsole", 0.4),
                    30,
                    "konsole",
                )
                kwin.activate(BROWSER)
                wait_until(
                    lambda: stored.holds("firefox", "Docs — Mozilla Firefox", 0.4), 30, "firefox"
                )
            watch.stop()
        # The watcher unloaded its script on the way out.
        assert kwin.unloaded[-1] == SCRIPT_NAME
        assert kwin.loaded == {}
    finally:
        kwin.close()


def test_desktop_integration_status_on_gnome(bus: str, tmp_path: Path) -> None:
    shell = FakeGnomeShell(bus)
    env = bus_env(
        bus,
        XDG_SESSION_TYPE="wayland",
        XDG_CURRENT_DESKTOP="GNOME",
        WAYLAND_DISPLAY="wayland-gone",
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_DATA_DIRS=str(tmp_path / "system"),
        PYTHONPATH=str(ROOT),
    )
    try:
        shell.focus(FIREFOX)
        shell.idle_ms = 2_000
        out = subprocess.run(
            [sys.executable, "-m", "timelygator", "desktop-integration", "status"],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        ).stdout.splitlines()  # fmt: skip
    finally:
        shell.close()
    assert out == [
        "Session: GNOME on Wayland",
        "Active window: GNOME Shell extension (now: firefox)",
        "Idle time: GNOME (org.gnome.Mutter.IdleMonitor) (idle 2 s)",
        "GNOME Shell extension: not installed",  # (the fake shell runs it from the sources)
    ]
