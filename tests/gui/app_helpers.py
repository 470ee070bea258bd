"""Starting and ending a whole AppController inside a GUI test."""

from __future__ import annotations

from typing import Any

from timelygator_gui.app_controller import AppController


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
