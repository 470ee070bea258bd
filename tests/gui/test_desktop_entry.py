"""The applications-menu entry for pip installs, start at login's command, and diagnostics.

Each test has its own HOME and XDG folders (tests/conftest.py); nothing real is touched.
"""

from __future__ import annotations

import configparser
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services
from timelygator.core.timeutil import to_us
from timelygator.gui.app_controller import AppController
from timelygator.gui.autostart import Autostart
from timelygator.gui.desktop_entry import APP_ID, DesktopEntry, app_command
from timelygator.gui.desktop_entry_offer import OFFER_KEY
from timelygator.gui.display_path import display_path
from timelygator.gui.main import main
from timelygator.gui.session import Session
from timelygator.gui.settings.dialog import SettingsDialog
from timelygator.gui.tasks import TaskRunner

from tests.gui.app_helpers import finish_app, start_app

SECRET_TITLE = "Salary negotiation - Confidential.docx"
SECRET_URL = "https://bank.example/accounts/4711"
ICON_SIZES = {"16x16", "24x24", "32x32", "48x48", "64x64", "128x128", "256x256", "scalable"}


def _desktop(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _data_home() -> Path:
    return Path.home() / "xdg_data_home"  # tests/conftest.py sets XDG_DATA_HOME there


def test_desktop_entry_install_and_remove_for_the_user(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Path.home() / "venv" / "bin" / "timelygator"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", [str(script)])  # started as pip's console script
    monkeypatch.setenv("XDG_DATA_DIRS", str(Path.home() / "no-system-entries"))

    assert main(["desktop-entry", "install"]) == 0
    entry_file = _data_home() / "applications" / f"{APP_ID}.desktop"
    assert str(entry_file) in capsys.readouterr().out
    entry = _desktop(entry_file)
    assert entry["Exec"] == str(script)  # absolute: the menu's PATH may lack the venv
    assert entry["Icon"] == APP_ID
    assert entry["Type"] == "Application"
    icons = _data_home() / "icons" / "hicolor"
    assert {p.parent.parent.name for p in icons.glob(f"*/apps/{APP_ID}.*")} == ICON_SIZES
    assert (_data_home() / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()

    assert main(["desktop-entry", "status"]) == 0
    assert f"Yours: {entry_file}" in capsys.readouterr().out

    mine = _data_home() / "applications" / "someone-else.desktop"
    mine.write_text("[Desktop Entry]\n", encoding="utf-8")
    assert main(["desktop-entry", "remove"]) == 0
    assert "Removed the menu entry and icons (10 files)" in capsys.readouterr().out
    assert not entry_file.exists()
    assert not list(icons.glob(f"*/apps/{APP_ID}.*"))
    assert mine.is_file()  # only our files go
    assert main(["desktop-entry", "remove"]) == 0  # twice is fine
    assert "There was no menu entry for you" in capsys.readouterr().out


def test_desktop_entry_follows_xdg_data_home_and_ignores_a_relative_one(tmp_path: Path) -> None:
    command = ["/opt/Time Gator/timelygator"]
    entry = DesktopEntry(
        home=tmp_path, environ={"XDG_DATA_HOME": str(tmp_path / "d")}, command=command
    )
    entry.install()
    written = tmp_path / "d" / "applications" / f"{APP_ID}.desktop"
    assert _desktop(written)["Exec"] == '"/opt/Time Gator/timelygator"'
    relative = DesktopEntry(home=tmp_path, environ={"XDG_DATA_HOME": "rel"}, command=command)
    assert relative.path == tmp_path / ".local" / "share" / "applications" / f"{APP_ID}.desktop"


def test_the_command_names_this_installation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The .deb: /usr/bin/timelygator leads to the bundle in /opt, and is what entries name.
    bundle = tmp_path / "opt" / "timelygator" / "timelygator"
    bundle.parent.mkdir(parents=True)
    bundle.write_text("", encoding="utf-8")
    link = tmp_path / "usr" / "bin" / "timelygator"
    link.parent.mkdir(parents=True)
    link.symlink_to(bundle)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle))
    monkeypatch.setattr("shutil.which", lambda _name: str(link))
    assert app_command() == [str(link)]
    # An unpacked bundle elsewhere: its own executable, whatever is on PATH.
    monkeypatch.setattr("shutil.which", lambda _name: "/usr/bin/timelygator")
    assert app_command() == [str(bundle)]
    autostart = Autostart("linux", home=tmp_path, environ={})
    autostart.set_enabled(True)
    assert autostart.path is not None
    assert _desktop(autostart.path)["Exec"] == f"{bundle} --minimized"
    autostart.set_enabled(False)
    assert not autostart.path.exists()
    # pip, started as `python -m timelygator_gui`: this interpreter.
    monkeypatch.setattr(sys, "frozen", False)
    assert app_command(argv0="/x/timelygator_gui/__main__.py") == [
        sys.executable,
        "-m",
        "timelygator",
    ]


def _store_private_activity(services: Services) -> None:
    key = services.ensure_bucket(
        "aw-watcher-window_desk", type="currentwindow", client="test", hostname="desk"
    )
    start = to_us(datetime(2026, 11, 27, 9, tzinfo=UTC))
    events = [Event(start, start + 60_000_000, {"app": "soffice", "title": SECRET_TITLE})]
    services.writer.insert_events(key, events).result(10)
    web = services.ensure_bucket(
        "aw-watcher-web-firefox_desk", type="web.tab.current", client="test", hostname="desk"
    )
    tab = {"url": SECRET_URL, "title": "My accounts", "audible": False, "incognito": False}
    services.writer.insert_events(web, [Event(start, start + 5_000_000, tab)]).result(10)


def _assert_diagnostics(text: str, dirs: AppDirs) -> None:
    for expected in (
        "TimelyGator 0.1.0",
        "Installed as: Python package",
        "Python 3.",
        "PySide6-Essentials",
        "SQLCipher 4",
        "OS: ",
        "Session variables: XDG_SESSION_TYPE=",
        "Watchers:",
        "Session: ",
        "Active window: ",
        "Idle time: ",
        f"Data folder: {display_path(dirs.data)} (",
        f"Log folder: {display_path(dirs.logs)}",
        "Start at login: off",
    ):
        assert expected in text, expected
    for private in (SECRET_TITLE, SECRET_URL, "bank.example", "My accounts", str(Path.home())):
        assert private not in text


def test_diagnose_prints_the_report_without_personal_data(
    services: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMELYGATOR_DATA_DIR", str(Path.home() / "tg"))
    dirs = AppDirs(Path.home() / "tg", Path.home() / "tg" / "config", Path.home() / "tg" / "logs")
    with Services.open(dirs, None) as mine:
        _store_private_activity(mine)
    assert main(["--diagnose"]) == 0
    text = capsys.readouterr().out
    _assert_diagnostics(text, dirs)
    assert "Data folder: ~/tg (" in text  # the home folder is never spelled out


def test_copy_diagnostics_in_settings(  # type: ignore[no-untyped-def]
    qtbot, services: Services, runner: TaskRunner
) -> None:
    _store_private_activity(services)
    dialog = SettingsDialog(Session.load(services), runner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_page("General")
    page = dialog.general_page
    qtbot.mouseClick(page.copy_diagnostics, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.diagnostics_note.text().startswith("Copied"), timeout=30_000)
    copied = QGuiApplication.clipboard().text()
    assert copied == page.diagnostics
    assert "Qt 6." in copied and "platform plugin 'offscreen'" in copied
    assert "(not started)" in copied  # no watchers run in this dialog
    _assert_diagnostics(copied, services.dirs)


# -- the first-run offer ------------------------------------------------------------------------
@pytest.fixture
def entry(tmp_path: Path) -> DesktopEntry:
    environ = {
        "XDG_DATA_HOME": str(tmp_path / "share"),
        "XDG_DATA_DIRS": str(tmp_path / "system"),  # no package installed one
    }
    return DesktopEntry(home=tmp_path, environ=environ, command=["/venv/bin/timelygator"])


def _start(dirs: AppDirs, qtbot: QtBot, entry: DesktopEntry, tmp_path: Path) -> AppController:
    Services.open(dirs, None).close()  # past the passphrase question of a new folder
    app = AppController(
        dirs,
        start_watchers=False,
        autostart=Autostart("linux", home=tmp_path, environ={}),
        from_terminal=True,
        desktop_entry=entry,
    )
    return start_app(app, qtbot)


def _offer(app: AppController) -> QMessageBox:
    assert app.desktop_offer is not None
    box = app.desktop_offer.box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == "TimelyGator is not in your applications menu yet."
    return box


def _press(qtbot: QtBot, box: QMessageBox, text: str) -> None:
    [button] = [b for b in box.buttons() if b.text() == text]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG menus are Linux's")
def test_first_run_from_a_terminal_offers_the_menu_entry_once(
    dirs: AppDirs, qtbot: QtBot, entry: DesktopEntry, tmp_path: Path
) -> None:
    app = _start(dirs, qtbot, entry, tmp_path)
    box = _offer(app)
    assert app.desktop_offer is not None
    with qtbot.waitSignal(app.desktop_offer.sig_answered, timeout=10_000) as answered:
        _press(qtbot, box, "Add to menu")
    assert answered.args == ["installed"]
    assert _desktop(entry.path)["Exec"] == "/venv/bin/timelygator"
    assert app.window.status_label.text() == "TimelyGator is now in your applications menu."
    ui = QSettings(str(dirs.config / "ui.ini"), QSettings.Format.IniFormat)
    assert ui.value(OFFER_KEY) == "installed"
    finish_app(app, qtbot)

    # Next start: not asked again, even after the entry was taken out.
    entry.remove()
    again = _start(dirs, qtbot, entry, tmp_path)
    assert again.desktop_offer is None
    assert not entry.installed()
    finish_app(again, qtbot)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG menus are Linux's")
def test_declining_is_remembered_and_writes_nothing(
    dirs: AppDirs, qtbot: QtBot, entry: DesktopEntry, tmp_path: Path
) -> None:
    app = _start(dirs, qtbot, entry, tmp_path)
    box = _offer(app)
    assert app.desktop_offer is not None
    with qtbot.waitSignal(app.desktop_offer.sig_answered, timeout=10_000) as answered:
        _press(qtbot, box, "No, thanks")
    assert answered.args == ["declined"]
    assert not entry.installed()
    assert not (tmp_path / "share").exists()
    finish_app(app, qtbot)
    again = _start(dirs, qtbot, entry, tmp_path)
    assert again.desktop_offer is None
    finish_app(again, qtbot)


@pytest.mark.parametrize("case", ["menu", "package", "autostart"])
def test_no_offer_when_not_from_a_terminal_or_already_in_the_menu(
    case: str, dirs: AppDirs, qtbot: QtBot, entry: DesktopEntry, tmp_path: Path
) -> None:
    Services.open(dirs, None).close()
    if case == "package":
        system = tmp_path / "system" / "applications" / f"{APP_ID}.desktop"
        system.parent.mkdir(parents=True)
        system.write_text("[Desktop Entry]\n", encoding="utf-8")
    app = AppController(
        dirs,
        start_watchers=False,
        autostart=Autostart("linux", home=tmp_path, environ={}),
        from_terminal=case != "menu",
        start_minimized=case == "autostart",
        desktop_entry=entry,
    )
    start_app(app, qtbot)
    assert app.desktop_offer is None
    assert not entry.installed()
    finish_app(app, qtbot)
