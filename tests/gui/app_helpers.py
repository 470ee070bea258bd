"""Starting and ending a whole AppController inside a GUI test."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QPushButton, QWidget
from timelygator.core.services import Services
from timelygator.gui.app_controller import AppController
from timelygator.gui.main_window import MainWindow
from timelygator.gui.session import Session
from timelygator.gui.tasks import TaskRunner


def start_app(app: AppController, qtbot: Any) -> AppController:
    """Start ``app`` and wait until its data folder is open and the window is ready."""
    qtbot.addWidget(app.window)
    with qtbot.waitSignal(app.sig_ready, timeout=20_000):
        app.start()
    return app


def finish_app(app: AppController, qtbot: Any) -> None:
    """Quit inside the test (pytest-qt deletes the window before fixtures tear down)."""
    with qtbot.waitSignal(app.sig_finished, timeout=30_000):
        app.quit()
    app.runner.wait()
    app.lifecycle.wait()
    app.tray.menu.deleteLater()
    app.deleteLater()


def open_window(qtbot: Any, services: Services, day: date, runner: TaskRunner) -> MainWindow:
    """A main window showing ``day`` (the day before "today") of ``services``, loaded."""
    window = MainWindow(runner, today=day + timedelta(days=1))
    qtbot.addWidget(window)
    window.resize(1300, 800)
    window.show()
    window.navigator.show_day(day)
    with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000):
        window.attach(Session.load(services))
    return window


def dialog_button(dialog: QWidget, which: QDialogButtonBox.StandardButton) -> QPushButton:
    """The OK, Cancel... button of the dialog's button box (a test clicks it like a person)."""
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None, f"{dialog!r} has no button box"
    button = box.button(which)
    assert button is not None, f"{dialog!r} has no {which} button"
    return button


def click_box(qtbot: Any, box: QCheckBox) -> None:
    """Click a check box on its box (a wide one's middle may be empty space)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
