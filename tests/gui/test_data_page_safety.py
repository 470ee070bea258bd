"""Settings → Data: the ActivityWatch import offer, retention's reach, passphrase changes."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from pytestqt.qtbot import QtBot
from timelygator.core.awimport import activitywatch_data_dir
from timelygator.core.keys import KeyMode, KeyStore
from timelygator.core.services import Services
from timelygator.gui.settings.data_page import DataPage
from timelygator.gui.tasks import TaskRunner

from tests.helpers.activitywatch import build_rust


def test_activitywatch_folder_found_offers_an_import_that_a_click_runs(  # type: ignore[no-untyped-def]
    services: Services, runner: TaskRunner, qtbot
) -> None:
    source = activitywatch_data_dir() / "aw-server-rust" / "sqlite.db"
    build_rust(source, count=30)
    page = DataPage(services, runner)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.sig_activitywatch_found, timeout=10_000):
        pass
    assert page.aw_button.isVisible()
    assert "ActivityWatch's history was found" in page.aw_status.text()
    with qtbot.waitSignal(page.sig_import_done, timeout=30_000):
        qtbot.mouseClick(page.aw_button, Qt.MouseButton.LeftButton)
    assert page.aw_status.text() == (
        "Imported 31 events into 2 buckets. 3 categories imported from ActivityWatch."
    )
    assert len(services.events("aw-watcher-window_laptop")) == 30
    with qtbot.waitSignal(page.sig_import_done, timeout=30_000):
        qtbot.mouseClick(page.aw_button, Qt.MouseButton.LeftButton)
    assert page.aw_status.text().startswith(
        "Imported 0 events into 2 buckets (31 already present, skipped)."
    )


def test_no_activitywatch_no_offer(services: Services, runner: TaskRunner, qtbot) -> None:  # type: ignore[no-untyped-def]
    page = DataPage(services, runner)
    qtbot.addWidget(page)
    page.show()
    assert runner.wait()
    QCoreApplication.processEvents()  # deliver the search's (empty) result
    assert page.aw_database is None
    assert not page.aw_button.isVisible()


def test_retention_note_says_backups_are_purged_too(
    services: Services, runner: TaskRunner, qtbot: QtBot
) -> None:
    page = DataPage(services, runner)
    qtbot.addWidget(page)
    assert page.retention_note.text() == (
        "Old events are deleted from the database and from the backups alike."
    )


def test_protect_with_passphrase_from_the_running_app(  # type: ignore[no-untyped-def]
    services: Services, runner: TaskRunner, qtbot
) -> None:
    page = DataPage(services, runner)
    qtbot.addWidget(page)
    runner.wait()
    page.new_pass.setText("a new app passphrase")
    page.confirm_pass.setText("a new app passphrase")
    qtbot.mouseClick(page.pass_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: page.pass_status.text().startswith("Passphrase changed"), timeout=20_000
    )
    assert KeyStore(services.dirs).mode() is KeyMode.PASSPHRASE
    assert not KeyStore(services.dirs).has_pending()
    assert KeyStore(services.dirs).pending_op() is None
    assert KeyStore(services.dirs).load("a new app passphrase")[0] == services.file_store.key
