"""The GNOME Shell extension and the KWin script in the real compositors, where installed.

A headless GNOME Shell (``gnome-shell --headless``) with the extension installed by
``install_gnome_extension`` (real ``gsettings``, keyfile backend), and ``kwin_wayland
--virtual`` for the KWin script; a Qt window (PySide6 on Wayland) with a known app id and
title gets the focus, and ``timelygator watch`` must record it. Debian's ``gnome-shell``
(~375 MB) and ``kwin-wayland`` are too big for CI, so these tests skip there and run where a
developer has them (Debian 12: GNOME Shell 43, the legacy extension copy; KWin 5.27).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from jeepney import DBusAddress
from timelygator.watchers.dbus_probes import SHELL_WINDOW
from timelygator.watchers.dbus_session import DBusError, SessionBus
from timelygator.watchers.desktop_integration import gnome_shell_major, install_gnome_extension
from timelygator.watchers.kwin_script import SCRIPT_NAME, SCRIPTING

from tests.watchers.dbus_helpers import need, private_bus
from tests.watchers.sway_helpers import stop_process, wait_until
from tests.watchers.watch_helpers import StoredEvents, run_watch

pytestmark = pytest.mark.wayland
SHELL_PROPERTIES = DBusAddress(
    "/org/gnome/Shell", "org.gnome.Shell", "org.freedesktop.DBus.Properties"
)

WINDOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv)
app.setDesktopFileName(sys.argv[1])
window = QWidget()
window.setWindowTitle(sys.argv[2])
window.resize(320, 200)
window.show()
QTimer.singleShot(120_000, app.quit)
app.exec()
"""


def _tool(name: str, package: str) -> str:
    return need(name, f"{package}; not installed in CI")


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            stop_process(proc, 15)


def _qt_window(
    env: dict[str, str], app_id: str, title: str, log: Path
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    qt_env = {**env, "QT_QPA_PLATFORM": "wayland"}
    return _process([sys.executable, "-c", WINDOW, app_id, title], qt_env, log)


def _session_env(tmp: Path, bus: str, wayland: str) -> dict[str, str]:
    runtime = tmp / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SWAYSOCK")}
    return {
        **env,
        "DBUS_SESSION_BUS_ADDRESS": bus,
        "XDG_RUNTIME_DIR": str(runtime),
        "WAYLAND_DISPLAY": wayland,
        "XDG_SESSION_TYPE": "wayland",
        "HOME": str(tmp / "home"),
        "XDG_DATA_HOME": str(tmp / "home" / "data"),
        "XDG_CONFIG_HOME": str(tmp / "home" / "config"),
        "GSETTINGS_BACKEND": "keyfile",
    }


def _answers(
    bus: SessionBus,
    address: DBusAddress,
    method: str,
    sig: str | None = None,
    body: tuple[object, ...] = (),
) -> bool:
    try:
        bus.call(address, method, sig, body, timeout_s=2.0)
    except (DBusError, OSError):
        return False
    return True


def test_gnome_shell_runs_the_extension_and_watch_records_from_it(tmp_path: Path) -> None:
    shell = _tool("gnome-shell", "gnome-shell")
    _tool("gsettings", "libglib2.0-bin")
    major = gnome_shell_major()
    (tmp_path / "sysbus").mkdir()
    with (
        private_bus(tmp_path) as session,
        private_bus(tmp_path / "sysbus") as system,  # no logind here: a bus that stands in
    ):
        env = {**_session_env(tmp_path, session, "wayland-gs"), "XDG_CURRENT_DESKTOP": "GNOME"}
        installed = install_gnome_extension(env, shell_major=major)
        assert installed.enabled  # through the real gsettings
        shell_env = {**env, "DBUS_SYSTEM_BUS_ADDRESS": system}
        command = [shell, "--headless", "--wayland", "--no-x11", "--virtual-monitor", "1280x720",
                   "--wayland-display", "wayland-gs"]  # fmt: skip
        with _process(command, shell_env, tmp_path / "gnome-shell.log"):
            bus = SessionBus.connect(env, timeout_s=2.0)
            try:
                wait_until(lambda: _answers(bus, SHELL_WINDOW, "GetVersion"), 60, "the extension")

                def focused() -> bool:
                    if bus.call(SHELL_WINDOW, "GetActiveWindow")[1] == "tg-gnome-window":
                        return True
                    # GNOME starts in the overview, where no window has focus: leave it.
                    overview = ("org.gnome.Shell", "OverviewActive", ("b", False))
                    bus.call(SHELL_PROPERTIES, "Set", "ssv", overview)
                    return False

                title = "Quarterly plan — GNOME"
                with _qt_window(env, "tg-gnome-window", title, tmp_path / "qt.log"):
                    wait_until(focused, 60, "the window to have focus")
                    with run_watch(env, tmp_path / "data", ["--no-web", "--poll", "0.5"]) as watch:
                        assert watch.wait_line("window: running", 60) == (
                            "window: running: GNOME Shell extension"
                        )
                        assert watch.wait_line("afk: running", 60) == (
                            "afk: running: GNOME (org.gnome.Mutter.IdleMonitor)"
                        )
                        with StoredEvents(watch.data) as stored:
                            wait_until(
                                lambda: stored.holds("tg-gnome-window", title, 1.0),
                                60,
                                "the window's event",
                            )
            finally:
                bus.close()


def _kwin_binary(tmp: Path) -> str:
    kwin = _tool("kwin_wayland", "kwin-wayland")
    # kwin_wayland carries a file capability (cap_sys_resource) that a container may refuse
    # to grant at exec; a copy without it runs the same for this test.
    try:
        subprocess.run([kwin, "--version"], capture_output=True, check=True, timeout=30)
    except (OSError, subprocess.CalledProcessError):
        pass
    else:
        return kwin
    copy = tmp / "kwin_wayland"
    shutil.copyfile(kwin, copy)
    copy.chmod(0o755)
    return str(copy)


def test_kwin_runs_the_script_and_watch_records_from_it(tmp_path: Path) -> None:
    kwin = _kwin_binary(tmp_path)
    with private_bus(tmp_path) as session:
        env = {**_session_env(tmp_path, session, "wayland-kw"), "XDG_CURRENT_DESKTOP": "KDE"}
        command = [kwin, "--virtual", "--no-lockscreen", "--no-global-shortcuts",
                   "--socket", "wayland-kw", "--width", "1280", "--height", "720"]  # fmt: skip
        kwin_env = {**env, "QT_QPA_PLATFORM": "offscreen"}
        with _process(command, kwin_env, tmp_path / "kwin.log"):
            bus = SessionBus.connect(env, timeout_s=2.0)
            try:
                wait_until(
                    lambda: _answers(bus, SCRIPTING, "isScriptLoaded", "s", ("none",)),
                    60,
                    "KWin's scripting",
                )
                socket = Path(env["XDG_RUNTIME_DIR"]) / "wayland-kw"
                wait_until(socket.exists, 30, "KWin's socket")
                with (
                    _qt_window(env, "tg-kde-window", "Quarterly plan — KDE", tmp_path / "qt.log"),
                    run_watch(env, tmp_path / "data", ["--no-web", "--poll", "0.5"]) as watch,
                ):
                    assert watch.wait_line("window: running", 60) == (
                        "window: running: KWin script (KDE Plasma)"
                    )
                    assert watch.wait_line("afk: running", 60) in (
                        "afk: running: ext-idle-notify-v1 (Wayland)",  # KWin 5.27 and later
                        "afk: running: org_kde_kwin_idle (Wayland)",
                    )
                    with StoredEvents(watch.data) as stored:
                        wait_until(
                            lambda: stored.holds("tg-kde-window", "Quarterly plan — KDE", 1.0),
                            60,
                            "the window's event",
                        )
                    watch.stop()
                # The watcher unloaded its script when it stopped.
                assert bus.call(SCRIPTING, "isScriptLoaded", "s", (SCRIPT_NAME,)) == (False,)
            finally:
                bus.close()
