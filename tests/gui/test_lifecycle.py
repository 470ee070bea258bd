"""App lifecycle and dialogs: first run, settings OK/Cancel, error dialog, single instance."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from timelygator.core.categories.stored import load_stored_categories
from timelygator.core.errors import DatabaseLockedError
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import load_preferences
from timelygator.core.services import Services
from timelygator.gui.app_controller import AppController
from timelygator.gui.error_dialog import ErrorDialog
from timelygator.gui.settings.dialog import SettingsDialog
from timelygator.gui.settings.watchers_page import WatchersPage
from timelygator.gui.single_instance import SingleInstance
from timelygator.gui.unlock_dialogs import FirstRunDialog, UnlockDialog


def _ok(dialog) -> None:  # type: ignore[no-untyped-def]
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    button.click()


def _finish(controller: AppController, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(controller.sig_finished, timeout=20_000):
        controller.quit()
    controller.runner.wait()
    controller.lifecycle.wait()
    controller.tray.menu.deleteLater()
    controller.deleteLater()
    qtbot.wait(10)


def test_first_run_with_passphrase(dirs: AppDirs, qtbot) -> None:  # type: ignore[no-untyped-def]
    controller = AppController(dirs, start_watchers=False)
    qtbot.addWidget(controller.window)
    controller.start()
    dialog = controller.dialog
    assert isinstance(dialog, FirstRunDialog)
    assert str(dirs.data) in dialog.findChildren(type(dialog.error))[0].text()
    dialog.use_passphrase.setChecked(True)
    qtbot.keyClicks(dialog.passphrase, "short")
    _ok(dialog)
    assert "too short" in dialog.error.text()
    dialog.passphrase.setText("correct horse battery")
    dialog.confirm.setText("correct horse battery")
    with qtbot.waitSignal(controller.sig_ready, timeout=20_000):
        _ok(dialog)
    assert dirs.key_file.exists()

    assert controller.window.tracking_label.text().startswith("Paused")
    _finish(controller, qtbot)

    # The next launch asks for the passphrase; a wrong one is refused, the right one opens.
    again = AppController(dirs, start_watchers=False)
    qtbot.addWidget(again.window)
    again.start()
    qtbot.waitUntil(lambda: isinstance(again.dialog, UnlockDialog), timeout=20_000)
    unlock = again.dialog
    assert isinstance(unlock, UnlockDialog)
    qtbot.keyClicks(unlock.passphrase, "wrong horse battery")
    _ok(unlock)
    qtbot.waitUntil(lambda: again.dialog is not unlock and again.dialog is not None, timeout=20_000)
    retry = again.dialog
    assert isinstance(retry, UnlockDialog)
    assert retry.error.text() != ""
    qtbot.keyClicks(retry.passphrase, "correct horse battery")
    with qtbot.waitSignal(again.sig_ready, timeout=20_000):
        _ok(retry)
    assert again.services is not None
    _finish(again, qtbot)


@pytest.mark.qt_log_ignore(
    "systemTrayWindowChanged", "does not support raise", "does not support propagateSizeHints"
)
def test_minimized_start_shows_only_the_tray(  # type: ignore[no-untyped-def]
    dirs: AppDirs, qtbot, monkeypatch
) -> None:
    from timelygator.gui.tray import Tray

    monkeypatch.setattr(Tray, "available", staticmethod(lambda: True))
    Services.open(dirs, None).close()
    controller = AppController(dirs, start_watchers=False, start_minimized=True)
    qtbot.addWidget(controller.window)
    with qtbot.waitSignal(controller.sig_ready, timeout=20_000):
        controller.start()
    assert not controller.window.isVisible()
    assert controller.window.session is not None  # tracking and data are ready anyway
    controller.tray.open_action.trigger()
    assert controller.window.isVisible()
    _finish(controller, qtbot)


def test_settings_cancel_restores_ok_stores(services: Services, qtbot) -> None:  # type: ignore[no-untyped-def]
    from timelygator.gui.session import Session
    from timelygator.gui.tasks import TaskRunner

    runner = TaskRunner()
    session = Session.load(services)
    dialog = SettingsDialog(session, runner)
    qtbot.addWidget(dialog)
    dialog.show_page("General")
    general = dialog.general_page
    general.week_start.setCurrentIndex(6)
    dialog.reject()
    assert session.preferences.general.week_start == 0

    dialog = SettingsDialog(session, runner)
    qtbot.addWidget(dialog)
    dialog.general_page.week_start.setCurrentIndex(6)
    watchers = dialog.pages[1]
    assert isinstance(watchers, WatchersPage)
    watchers.afk_timeout.setValue(300)
    page = dialog.categories_page
    first = page.tree.topLevelItem(0)
    assert first is not None
    page.tree.setCurrentItem(first)
    page.add_category("Reviews", child=True)
    with qtbot.waitSignal(page.sig_preview_shown, timeout=10_000):
        page.regex.setText("review")
        page._edited()
    assert page.preview.text().startswith("The rule matches no events")
    with (
        qtbot.waitSignal(dialog.sig_saved, timeout=10_000),
        qtbot.waitSignal(dialog.sig_applied, timeout=10_000) as blocker,
    ):
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
    _prefs, categories_changed = blocker.args
    assert categories_changed
    with services.read() as conn:
        stored = load_preferences(conn, services.user_id)
    assert stored.general.week_start == 6
    assert stored.watchers.afk_timeout_s == 300.0
    assert ("Work", "Reviews") in {c.path for c in session.categories}
    services.writer.flush(10)
    with services.read() as conn:
        assert ("Work", "Reviews") in {c.path for c in load_stored_categories(conn, 1)}
    runner.wait()


def test_error_dialog_says_what_and_what_to_do(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = ErrorDialog.for_exception(DatabaseLockedError("Another TimelyGator is running."))
    qtbot.addWidget(dialog)
    assert "Another TimelyGator is running." in dialog.what.text()
    assert "--data-dir" in dialog.todo.text()
    dialog.copy_details()
    from PySide6.QtGui import QGuiApplication

    assert "DatabaseLockedError" in QGuiApplication.clipboard().text()


def test_single_instance_forwards_to_running(dirs: AppDirs, qtbot) -> None:  # type: ignore[no-untyped-def]
    first = SingleInstance(dirs.data)
    assert not first.forward_to_running(100)
    assert first.listen()
    second = SingleInstance(dirs.data)
    with qtbot.waitSignal(first.sig_show_requested, timeout=5_000):
        assert second.forward_to_running()
    first.close()
