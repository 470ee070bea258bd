"""Settings → General shows where the log files are, opens that folder, and keeps the choice
to write window titles into them (off by default)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialogButtonBox
from timelygator.core.preferences import load_preferences
from timelygator.core.services import Services
from timelygator.gui.display_path import display_path
from timelygator.gui.session import Session
from timelygator.gui.settings.dialog import SettingsDialog
from timelygator.gui.tasks import TaskRunner

from tests.gui.test_categories_editor import _click


def test_general_page_shows_and_opens_the_log_folder(  # type: ignore[no-untyped-def]
    qtbot, services: Services, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    dialog = SettingsDialog(Session.load(services), runner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_page("General")
    page = dialog.general_page
    assert page.isVisible()
    assert page.log_folder.text() == display_path(services.dirs.logs)
    assert not page.log_titles.isChecked()

    qtbot.mouseClick(page.open_logs, Qt.MouseButton.LeftButton)
    assert [url.toLocalFile() for url in opened] == [str(services.dirs.logs)]
    assert services.dirs.logs.is_dir()

    box = page.log_titles  # its indicator, where a person clicks
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked()
    with qtbot.waitSignal(dialog.sig_saved, timeout=20_000):
        _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    runner.wait()
    with services.read() as conn:
        assert load_preferences(conn, services.user_id).general.log_titles is True
