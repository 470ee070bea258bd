"""What the user sees about the watchers: the backend in use or what is missing, in Settings →
Watchers and in the tray; on GNOME on Wayland, installing the Shell extension after asking."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services
from timelygator.gui.app_controller import AppController
from timelygator.gui.autostart import Autostart
from timelygator.gui.settings.dialog import SettingsDialog
from timelygator.gui.settings.watchers_page import CONSENT_TITLE, WatchersPage
from timelygator.gui.tray import Tray
from timelygator.watchers.desktop_integration import GNOME_EXTENSION_UUID
from timelygator.watchers.headless import Probes
from timelygator.watchers.probes import WindowInfo
from timelygator.watchers.status import WatcherState, WatcherStatus

from tests.gui.app_helpers import finish_app, start_app

GNOME_MISSING = WatcherStatus(
    WatcherState.UNSUPPORTED,
    "unsupported: GNOME on Wayland needs the TimelyGator Shell extension: install it in "
    "Settings → Watchers (or run 'timelygator desktop-integration install-gnome'), then log "
    "out and back in",
)


def test_page_shows_each_watchers_backend_or_what_is_missing(qtbot) -> None:  # type: ignore[no-untyped-def]
    page = WatchersPage(
        statuses={
            "afk": WatcherStatus(WatcherState.RUNNING, "GNOME (org.gnome.Mutter.IdleMonitor)")
        }
    )
    qtbot.addWidget(page)
    page.set_status("window", GNOME_MISSING)
    assert page.status_label.text() == (
        "Active window: not recorded — GNOME on Wayland needs the TimelyGator Shell extension: "
        "install it in Settings → Watchers (or run 'timelygator desktop-integration "
        "install-gnome'), then log out and back in\n"
        "Away detection: running (GNOME (org.gnome.Mutter.IdleMonitor))"
    )
    page.set_status("window", WatcherStatus(WatcherState.RUNNING, "sway IPC"))
    assert page.status_label.text().splitlines()[0] == "Active window: running (sway IPC)"
    assert page.gnome_button.isHidden()  # not a GNOME session


@pytest.fixture
def gnome_env(tmp_path: Path) -> dict[str, str]:
    return {
        "XDG_SESSION_TYPE": "wayland",
        "XDG_CURRENT_DESKTOP": "GNOME",
        "WAYLAND_DISPLAY": "wayland-0",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_DATA_DIRS": str(tmp_path / "system"),
        "PATH": str(tmp_path / "no-tools"),  # no gsettings, no gnome-shell
    }


def _consent(page: WatchersPage, qtbot) -> QMessageBox:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(page.gnome_button, Qt.MouseButton.LeftButton)
    box = page.consent
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.windowTitle() == CONSENT_TITLE
    assert "Nothing leaves the computer" in box.informativeText()
    return box


def test_gnome_extension_is_installed_only_after_the_user_agrees(
    qtbot: QtBot,
    gnome_env: dict[str, str],
) -> None:
    page = WatchersPage(environ=gnome_env)
    qtbot.addWidget(page)
    page.show()
    target = Path(gnome_env["XDG_DATA_HOME"]) / "gnome-shell" / "extensions" / GNOME_EXTENSION_UUID
    assert page.gnome_label.text() == "GNOME Shell extension: not installed"
    assert page.gnome_button.text() == "Install the extension…"
    box = _consent(page, qtbot)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert not target.exists()
    box = _consent(page, qtbot)
    install = next(b for b in box.buttons() if b.text() == "Install")
    qtbot.mouseClick(install, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.gnome_label.text().startswith("Installed"), timeout=10_000)
    assert (target / "metadata.json").is_file()
    assert page.gnome_label.text() == (
        f"Installed the TimelyGator Shell extension in {target}. Turn it on in GNOME's "
        f"Extensions app (or 'gnome-extensions enable {GNOME_EXTENSION_UUID}'). Log out and "
        "back in to start it (GNOME on Wayland starts new extensions at login)."
    )
    assert page.gnome_button.text() == "Reinstall the extension…"


def test_tray_lists_the_watchers_in_order_with_full_reasons_in_the_tooltip(qtbot) -> None:  # type: ignore[no-untyped-def]
    tray = Tray()
    tray.set_state(tray.state, "Tracking")
    tray.set_watcher_status(
        "afk", WatcherStatus(WatcherState.RUNNING, "org_kde_kwin_idle (Wayland)")
    )
    tray.set_watcher_status("window", GNOME_MISSING)
    texts = [a.text() for a in tray.menu.actions()]
    window_line = texts[1]
    assert texts[0] == "Tracking"
    assert window_line.startswith("Active window: not recorded — GNOME on Wayland needs")
    assert window_line.endswith("…") and len(window_line) == 90
    assert texts[2] == "Away detection: running (org_kde_kwin_idle (Wayland))"
    assert texts[3].startswith("Local API")
    assert tray.icon.toolTip().splitlines() == [
        "TimelyGator — Tracking",
        "Active window: not recorded — GNOME on Wayland needs the TimelyGator Shell extension: "
        "install it in Settings → Watchers (or run 'timelygator desktop-integration "
        "install-gnome'), then log out and back in",
        "Away detection: running (org_kde_kwin_idle (Wayland))",
    ]
    tray.menu.deleteLater()


class SwayLikeWindow:
    backend = "wlr-foreign-toplevel-management (Wayland)"

    def active_window(self) -> WindowInfo:
        return WindowInfo("foot", "notes")


class KdeLikeIdle:
    backend = "org_kde_kwin_idle (Wayland)"

    def seconds_since_input(self) -> float:
        return 0.0


def test_the_app_shows_the_running_backends_in_tray_and_settings(
    dirs: AppDirs,
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    Services.open(dirs, None).close()
    app = AppController(
        dirs,
        probes=Probes(window=SwayLikeWindow(), idle=KdeLikeIdle()),
        autostart=Autostart("linux", home=tmp_path, environ={}),
    )
    start_app(app, qtbot)
    expected = "Active window: running (wlr-foreign-toplevel-management (Wayland))"
    qtbot.waitUntil(lambda: expected in [a.text() for a in app.tray.menu.actions()], timeout=10_000)
    app.open_settings()
    dialog = app.dialog
    assert isinstance(dialog, SettingsDialog)
    qtbot.addWidget(dialog)
    dialog.show_page("Watchers")
    qtbot.waitUntil(
        lambda: (
            "Away detection: running (org_kde_kwin_idle (Wayland))"
            in dialog.watchers_page.status_label.text()
        ),
        timeout=10_000,
    )
    assert dialog.watchers_page.status_label.text().splitlines()[0] == expected
    dialog.reject()
    finish_app(app, qtbot)
