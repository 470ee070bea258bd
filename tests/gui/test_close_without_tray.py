"""Closing the window where there is no system tray: asked once, tracking never stops
silently (the window is minimized) unless the person chooses to quit."""

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
from timelygator.gui.main_window import CLOSE_KEY
from timelygator.gui.tray import Tray

from tests.gui.app_helpers import finish_app, start_app


@pytest.fixture
def controller(
    dirs: AppDirs, tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> AppController:
    monkeypatch.setattr(Tray, "available", staticmethod(lambda: False))
    Services.open(dirs, None).close()
    app = AppController(
        dirs, start_watchers=False, autostart=Autostart("linux", home=tmp_path, environ={})
    )
    return start_app(app, qtbot)


def _question(app: AppController) -> QMessageBox:
    box = app.window.dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == "This desktop has no system tray for TimelyGator's icon."
    return box


def _press(qtbot, box: QMessageBox, text: str) -> None:  # type: ignore[no-untyped-def]
    [button] = [b for b in box.buttons() if b.text() == text]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_closing_asks_and_keeps_tracking_minimized(controller: AppController, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = controller.window
    finished: list[int] = []
    controller.sig_finished.connect(finished.append)
    window.close()
    box = _question(controller)
    assert window.isVisible() and not window.isMinimized()
    with qtbot.waitSignal(window.sig_minimized_tracking, timeout=5000):
        _press(qtbot, box, "Keep tracking")
    assert window.isMinimized() and finished == []
    assert controller.services is not None and not controller._shutting_down
    # Not remembered: the next close asks again; this time "Don't ask again".
    window.showNormal()
    window.close()
    box = _question(controller)
    box.checkBox().setChecked(True)
    with qtbot.waitSignal(window.sig_minimized_tracking, timeout=5000):
        _press(qtbot, box, "Keep tracking")
    assert controller.ui_settings.value(CLOSE_KEY) == "minimize"
    window.showNormal()
    window.dialog = None
    with qtbot.waitSignal(window.sig_minimized_tracking, timeout=5000):
        window.close()
    assert window.dialog is None  # not asked again
    # Cancel changes nothing.
    controller.ui_settings.remove(CLOSE_KEY)
    window.showNormal()
    window.close()
    _press(qtbot, _question(controller), "Cancel")
    assert window.isVisible() and not window.isMinimized()
    finish_app(controller, qtbot)


def test_quit_from_the_question_stops_in_order(controller: AppController, qtbot) -> None:  # type: ignore[no-untyped-def]
    controller.window.close()
    box = _question(controller)
    with qtbot.waitSignal(controller.sig_finished, timeout=30_000):
        _press(qtbot, box, "Quit TimelyGator")
    assert controller.services is None  # closed in order
    controller.runner.wait()
    controller.lifecycle.wait()
    controller.tray.menu.deleteLater()
    controller.deleteLater()
