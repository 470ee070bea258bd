"""Every control, clicked: each menu action of the window and the tray, each button of the
main window and of every settings page, through qtbot (never by calling a slot).

Any dialog a control opens is answered (rejected) by the test; the test fails on an
exception in the event loop (pytest-qt) or on an error dialog.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QMenu,
    QTabBar,
    QWidget,
)
from timelygator.core.analytics.localdays import DEFAULT_DAY_START_S, local_today
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services
from timelygator.gui.app_controller import AppController
from timelygator.gui.autostart import Autostart
from timelygator.gui.demo_data import store_days
from timelygator.gui.error_dialog import ErrorDialog
from timelygator.gui.settings.dialog import SettingsDialog

from tests.gui.app_helpers import start_app

# Controls whose click ends the session under test: clicked last, on their own.
ENDING = {"&Quit TimelyGator", "Quit TimelyGator"}


class Answerer(QObject):
    """Rejects every dialog that opens (file, colour, name prompts, questions), except the
    ones the test works in; remembers their titles and any error dialog's text."""

    def __init__(self) -> None:
        super().__init__()
        self.keep: list[QWidget] = []
        self.answered: list[str] = []
        self.errors: list[str] = []
        self._timer = QTimer(self)
        self._timer.setInterval(20)
        self._timer.timeout.connect(self.answer)
        self._timer.start()

    def open_dialogs(self) -> list[QDialog]:
        return [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QDialog) and w.isVisible() and w not in self.keep
        ]

    def answer(self) -> None:
        for widget in self.open_dialogs():
            if isinstance(widget, ErrorDialog):
                self.errors.append(widget.what.text())
            self.answered.append(widget.windowTitle() or type(widget).__name__)
            widget.reject()

    def settle(self, qtbot) -> None:  # type: ignore[no-untyped-def]
        """Wait until whatever a click opened has been answered."""
        qtbot.waitUntil(lambda: not self.open_dialogs(), timeout=5000)


def _click_all(qtbot, root: QWidget, answerer: Answerer) -> list[str]:  # type: ignore[no-untyped-def]
    """Click every visible, enabled button under ``root``; the texts clicked."""
    clicked = []
    for button in root.findChildren(QAbstractButton):
        if not shiboken6.isValid(button) or button.window() is not root.window():
            continue  # a prompt the page opened (and the answerer closed)
        text = button.text() or button.toolTip() or button.objectName()
        if (
            not button.isVisibleTo(root)
            or not button.isEnabled()
            or isinstance(button.parent(), QTabBar | QDialogButtonBox)
        ):
            continue
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        answerer.settle(qtbot)
        clicked.append(text)
    return clicked


@pytest.fixture
def app(dirs: AppDirs, tmp_path: Path, qtbot) -> AppController:  # type: ignore[no-untyped-def]
    # The day the app calls today (before 04:00 that is still yesterday).
    today = local_today(time.time_ns() // 1000, DEFAULT_DAY_START_S)
    with Services.open(dirs, None) as services:
        store_days(services, [today], weekends=True)
    controller = AppController(
        dirs, start_watchers=False, autostart=Autostart("linux", home=tmp_path, environ={})
    )
    controller.window.resize(1400, 900)
    start_app(controller, qtbot)
    qtbot.waitUntil(lambda: controller.window.data is not None, timeout=20_000)
    return controller


def test_every_control_clicked(app: AppController, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    opened: list[str] = []  # the file manager is not started from a test
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    answerer = Answerer()
    window = app.window
    answerer.keep.append(window)

    # The main window: its buttons (navigator, details panel, search), each tab.
    clicked = _click_all(qtbot, window, answerer)
    assert {"Today", "Add manual entry…"} <= set(clicked)
    tabs = window.tabs.tabBar()
    for index in range(tabs.count()):
        qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(index).center())
        assert window.tabs.currentIndex() == index
        clicked += _click_all(qtbot, window.tabs.currentWidget(), answerer)
    # The Activity view's bars list their events in Search.
    activity = window.activity
    for bars in (activity.apps, activity.titles, activity.domains, activity.categories):
        window.tabs.setCurrentWidget(activity)
        qtbot.waitUntil(lambda b=bars: bool(b.bars), timeout=10_000)  # today, loaded again
        with qtbot.waitSignal(window.sig_search_done, timeout=10_000):
            qtbot.mouseClick(
                bars, Qt.MouseButton.LeftButton, pos=bars.row_rect(0).center().toPoint()
            )
        assert window.tabs.currentWidget() is window.search
        assert window.search.model.rowCount() > 0

    # Every menu action but quitting (settings are worked through below).
    actions: list[QAction] = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        assert isinstance(menu, QMenu)
        actions += [a for a in menu.actions() if not a.isSeparator()]
    names = [a.text() for a in actions]
    assert {"&Settings…", "&Undo", "&Refresh", "&Week", "&Find…"} <= set(names)
    for action in actions:
        if action.text() in ENDING or not action.isEnabled():
            continue
        action.trigger()
        answerer.settle(qtbot)

    # The tray menu (present even where no tray is shown).
    for action in app.tray.menu.actions():
        if action.isSeparator() or not action.isEnabled() or action.text() in ENDING:
            continue
        action.trigger()
        answerer.settle(qtbot)

    # Settings: every page, every button on it; then Cancel.
    app.open_settings()
    dialog = app.dialog
    assert isinstance(dialog, SettingsDialog)
    qtbot.addWidget(dialog)
    answerer.keep.append(dialog)
    for row in range(dialog.page_list.count()):
        dialog.page_list.setCurrentRow(row)
        page = dialog.stack.currentWidget()
        if page is dialog.categories_page:  # its buttons act on the selected category
            first = page.tree.topLevelItem(0)
            assert first is not None
            page.tree.setCurrentItem(first)
            qtbot.mouseClick(page.color_button, Qt.MouseButton.LeftButton)  # before Delete
            answerer.settle(qtbot)
        assert page is not None
        clicked += _click_all(qtbot, page, answerer)
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton
    )
    assert {"Rename", "Add subcategory", "Back up now", "Open log folder"} <= set(clicked)
    assert opened == [str(app.dirs.logs)]
    assert answerer.errors == []
    # The prompts the controls opened really opened (and were answered).
    assert {"Rename category", "New category", "Colour of Work"} <= set(answerer.answered)

    # Last: quitting from the File menu ends the app in order.
    quit_action = next(a for a in actions if a.text() == "&Quit TimelyGator")
    with qtbot.waitSignal(app.sig_finished, timeout=30_000):
        quit_action.trigger()
    assert app.services is None
    app.runner.wait()
    app.lifecycle.wait()
