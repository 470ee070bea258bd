"""Settings that act: the local API (start, stop, port in use, pairing), backups, retention,
import, start at login — driven through the pages and the app controller like a user."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox
from timelygator.core import tokens
from timelygator.core.backup import list_backups
from timelygator.core.errors import StorageError
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import DataPrefs, load_preferences
from timelygator.core.services import Services
from timelygator.core.store import Store
from timelygator.gui.app_controller import AppController
from timelygator.gui.autostart import APP_ID, Autostart
from timelygator.gui.error_dialog import ErrorDialog
from timelygator.gui.maintenance import Maintenance
from timelygator.gui.settings.api_page import PAIRING_NAME, ApiPage
from timelygator.gui.settings.data_page import DataPage
from timelygator.gui.settings.dialog import SettingsDialog
from timelygator.gui.tasks import TaskRunner

from tests.gui.app_helpers import finish_app, start_app

DAY_US = 86_400 * 1_000_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def controller(dirs: AppDirs, tmp_path: Path, qtbot) -> AppController:  # type: ignore[no-untyped-def]
    Services.open(dirs, None).close()  # not a first run: opens with the (fake) keyring
    app = AppController(
        dirs, start_watchers=False, autostart=Autostart("linux", home=tmp_path, environ={})
    )
    return start_app(app, qtbot)


def _settings(app: AppController, qtbot) -> SettingsDialog:  # type: ignore[no-untyped-def]
    app.open_settings()
    dialog = app.dialog
    assert isinstance(dialog, SettingsDialog)
    qtbot.addWidget(dialog)
    return dialog


def _ok(dialog: SettingsDialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    with (
        qtbot.waitSignal(dialog.sig_saved, timeout=10_000),
        qtbot.waitSignal(dialog.sig_applied, timeout=10_000),
    ):
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )


def _stored_week_start(services: Services) -> int:
    with services.read() as conn:
        return load_preferences(conn, services.user_id).general.week_start


def test_ok_applies_at_once_while_the_writer_is_busy(controller: AppController, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The views take new settings on OK even when the save waits behind other writes (a
    year's statistics being stored): the reload does not wait for the commit."""
    services = controller.services
    session = controller.session
    assert services is not None and session is not None
    gate = threading.Event()
    busy = services.writer.call(lambda _conn: gate.wait(20))
    dialog = _settings(controller, qtbot)
    dialog.general_page.week_start.setCurrentIndex(6)
    saved: list[bool] = []
    dialog.sig_saved.connect(lambda: saved.append(True))
    with qtbot.waitSignal(controller.window.sig_range_loaded, timeout=20_000):
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
    assert session.preferences.general.week_start == 6  # in use, and the views reloaded
    assert saved == [] and _stored_week_start(services) == 0  # still waiting for the writer
    with qtbot.waitSignal(dialog.sig_saved, timeout=20_000):
        gate.set()
    assert busy.result(10) is True
    assert _stored_week_start(services) == 6
    finish_app(controller, qtbot)


def test_a_settings_save_that_fails_says_so(  # type: ignore[no-untyped-def]
    controller: AppController, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = controller.services
    assert services is not None

    def failing_save(writer, _user_id, _prefs):  # type: ignore[no-untyped-def]
        def fail(_conn: object) -> None:
            raise StorageError("The disk said no.")

        return writer.call(fail)

    monkeypatch.setattr("timelygator.gui.settings.dialog.save_preferences", failing_save)
    dialog = _settings(controller, qtbot)
    dialog.general_page.week_start.setCurrentIndex(6)
    with qtbot.waitSignal(dialog.sig_save_failed, timeout=10_000):
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
    error = controller.dialog
    assert isinstance(error, ErrorDialog)
    assert error.what.text() == "<b>Your settings could not be saved.</b>"
    assert error.todo.text().startswith("The disk said no. They apply until TimelyGator is closed")
    assert _stored_week_start(services) == 0
    error.reject()
    finish_app(controller, qtbot)


def test_api_starts_stops_and_reports_port_in_use(controller: AppController, qtbot) -> None:  # type: ignore[no-untyped-def]
    host = controller.api_host
    assert host is not None
    port = _free_port()
    dialog = _settings(controller, qtbot)
    dialog.show_page("Local API")
    assert dialog.api_page.status.text() == "Off"
    dialog.api_page.enabled.setChecked(True)
    dialog.api_page.port.setValue(port)
    _ok(dialog, qtbot)
    url = f"http://127.0.0.1:{port}"
    qtbot.waitUntil(lambda: host.status == f"Listening on {url}", timeout=20_000)
    assert controller.tray.api_action.text() == f"Local API: listening on {url}"
    with urllib.request.urlopen(f"{url}/api/0/info", timeout=10) as response:
        assert "hostname" in json.loads(response.read())

    # Another program takes a port; asking for it says so, on the page and in the tray.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        taken = int(squatter.getsockname()[1])
        dialog = _settings(controller, qtbot)
        dialog.api_page.port.setValue(taken)
        _ok(dialog, qtbot)
        qtbot.waitUntil(lambda: "already in use" in host.status, timeout=20_000)
        assert host.status.startswith(f"Not listening: Port {taken} on 127.0.0.1 is already")
        assert not host.listening
        assert "already in use" in controller.tray.api_action.text()
        dialog = _settings(controller, qtbot)
        assert "already in use" in dialog.api_page.status.text()
        dialog.reject()
    with pytest.raises(urllib.error.URLError, match="refused"):  # the first server stopped
        urllib.request.urlopen(f"{url}/api/0/info", timeout=2)

    dialog = _settings(controller, qtbot)
    dialog.api_page.port.setValue(port)
    _ok(dialog, qtbot)
    qtbot.waitUntil(lambda: host.status == f"Listening on {url}", timeout=20_000)
    dialog = _settings(controller, qtbot)
    dialog.api_page.enabled.setChecked(False)
    _ok(dialog, qtbot)
    qtbot.waitUntil(lambda: host.status == "Off", timeout=20_000)
    assert controller.tray.api_action.text() == "Local API: off"
    finish_app(controller, qtbot)


def test_start_at_login_writes_and_removes_the_entry(  # type: ignore[no-untyped-def]
    controller: AppController, tmp_path: Path, qtbot
) -> None:
    entry = tmp_path / ".config" / "autostart" / f"{APP_ID}.desktop"
    dialog = _settings(controller, qtbot)
    dialog.general_page.start_at_login.setChecked(True)
    with qtbot.waitSignal(controller.sig_autostart_changed, timeout=10_000) as blocker:
        _ok(dialog, qtbot)
    assert blocker.args == [True]
    assert "--minimized" in entry.read_text(encoding="utf-8")
    dialog = _settings(controller, qtbot)
    assert dialog.general_page.start_at_login.isChecked()
    dialog.general_page.start_at_login.setChecked(False)
    with qtbot.waitSignal(controller.sig_autostart_changed, timeout=10_000) as blocker:
        _ok(dialog, qtbot)
    assert blocker.args == [False]
    assert not entry.exists()
    finish_app(controller, qtbot)


def test_pairing_token_shown_once_with_port_and_bucket(  # type: ignore[no-untyped-def]
    services: Services, runner: TaskRunner, qtbot
) -> None:
    page = ApiPage(services, runner)
    qtbot.addWidget(page)
    from timelygator.core.preferences import Preferences

    prefs = Preferences()
    prefs.api.port = 5777
    page.load(prefs)
    assert page.pair_port.text() == "5777"
    assert f"aw-watcher-web-firefox_{socket.gethostname()}" in page.pair_bucket.text()
    assert not page.pair_copy.isEnabled()
    with qtbot.waitSignal(page.sig_secret_shown, timeout=10_000):
        qtbot.mouseClick(page.pair_button, Qt.MouseButton.LeftButton)
    first = page.pair_secret.text()
    assert first and "not shown again" in page.pair_status.text()
    assert "Enable the API" in page.pair_status.text()  # the API is off in these prefs
    qtbot.mouseClick(page.pair_copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == first
    with qtbot.waitSignal(page.sig_tokens_shown, timeout=10_000):
        qtbot.mouseClick(page.pair_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.pair_secret.text() != first, timeout=10_000)
    with services.read() as conn:
        active = [t for t in tokens.list_tokens(conn, services.user_id) if not t.revoked]
    assert [(t.name, t.scope) for t in active] == [(PAIRING_NAME, "write")]
    assert page.pair_secret.text().startswith(active[0].prefix)
    qtbot.waitUntil(lambda: page.token_list.count() == 1, timeout=10_000)
    assert page.token_list.item(0).text().startswith(f"{PAIRING_NAME} — write — ")
    page.extension_ids.setText("Not-an-id, abcdefghijklmnopabcdefghijklmnop")
    page.store(prefs)
    assert prefs.api.extension_ids == ["abcdefghijklmnopabcdefghijklmnop"]


def test_back_up_now_writes_a_verified_backup_and_shows_it(  # type: ignore[no-untyped-def]
    demo_services: Services, runner: TaskRunner, qtbot
) -> None:
    from timelygator.core.preferences import Preferences

    page = DataPage(demo_services, runner)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_backup_shown, timeout=10_000):
        page.load(Preferences())
    assert page.backup_status.text() == "No backup yet."
    with qtbot.waitSignal(page.sig_backup_shown, timeout=30_000):
        qtbot.mouseClick(page.backup_button, Qt.MouseButton.LeftButton)
    backups = list_backups(demo_services.dirs.backups)
    assert len(backups) == 1
    when = backups[0].created.astimezone().strftime("%Y-%m-%d %H:%M")
    assert page.backup_status.text().startswith(f"Last backup: {when} (")
    assert backups[0].path.name in page.backup_status.text()
    copy = Store(backups[0].path, demo_services.file_store._key, pool_size=1)
    try:
        assert copy.integrity_check() == []
        with copy.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
    finally:
        copy.engine.dispose()
    with demo_services.read() as conn:
        assert stored == conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one() > 0


def test_scheduled_round_backs_up_when_due_and_applies_retention(  # type: ignore[no-untyped-def]
    services: Services, runner: TaskRunner, qtbot
) -> None:
    key = services.ensure_bucket("aw-watcher-window_h", type="currentwindow", client="t",
                                 hostname="h")  # fmt: skip
    now = services.clock.now_us()
    old = Event(now - 40 * DAY_US, now - 40 * DAY_US + 60_000_000, {"app": "old"})
    recent = Event(now - 2 * DAY_US, now - 2 * DAY_US + 60_000_000, {"app": "recent"})
    services.writer.insert_events(key, [old, recent]).result(10)
    prefs = DataPrefs(retention_days=30, backup_every_days=7, backups_kept=3)
    upkeep = Maintenance(services, runner, lambda: prefs)
    with qtbot.waitSignal(upkeep.sig_done, timeout=30_000) as blocker:
        upkeep.run_now()
    result = blocker.args[0]
    assert result.purged == 1
    assert result.backup is not None and result.backup.path.parent == services.dirs.backups
    assert [e.data["app"] for e in services.events("aw-watcher-window_h")] == ["recent"]
    with qtbot.waitSignal(upkeep.sig_done, timeout=30_000) as blocker:
        upkeep.run_now()  # a backup was just made: not due again, nothing older to delete
    assert blocker.args[0].backup is None and blocker.args[0].purged == 0
    assert len(list_backups(services.dirs.backups)) == 1


def _aw_export(path: Path) -> Path:
    doc = {
        "buckets": {
            "aw-watcher-window_laptop": {
                "id": "aw-watcher-window_laptop", "type": "currentwindow",
                "client": "aw-watcher-window", "hostname": "laptop",
                "created": "2025-03-01T08:00:00+00:00",
                "events": [
                    {"id": 7, "timestamp": "2025-03-01T09:00:00+00:00", "duration": 60.0,
                     "data": {"app": "Code", "title": "main.py"}},
                    {"id": 8, "timestamp": "2025-03-01T09:01:00+00:00", "duration": 30.5,
                     "data": {"app": "firefox", "title": "Docs"}},
                ],
            },
            "aw-watcher-afk_laptop": {
                "id": "aw-watcher-afk_laptop", "type": "afkstatus", "client": "aw-watcher-afk",
                "hostname": "laptop",
                "events": [{"timestamp": "2025-03-01T09:00:00+00:00", "duration": 90.5,
                            "data": {"status": "not-afk"}}],
            },
        }
    }  # fmt: skip
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_import_activitywatch_export_skips_duplicates(  # type: ignore[no-untyped-def]
    services: Services, runner: TaskRunner, tmp_path: Path, qtbot
) -> None:
    page = DataPage(services, runner)
    qtbot.addWidget(page)
    file = _aw_export(tmp_path / "aw-buckets-export.json")
    with qtbot.waitSignal(page.sig_imported, timeout=20_000):
        page.import_from(file)
    assert page.import_status.text() == "Imported 3 events into 2 buckets."
    events = services.events("aw-watcher-window_laptop")
    assert sorted(e.data["app"] for e in events) == ["Code", "firefox"]
    assert {e.duration_s for e in events} == {60.0, 30.5}
    with qtbot.waitSignal(page.sig_import_done, timeout=20_000):
        page.import_from(file)
    assert page.import_status.text() == (
        "Imported 0 events into 2 buckets (3 already present, skipped)."
    )
    assert len(services.events("aw-watcher-window_laptop")) == 2
    bad = tmp_path / "notes.json"
    bad.write_text("{not json", encoding="utf-8")
    with qtbot.waitSignal(page.sig_import_done, timeout=20_000):
        page.import_from(bad)
    assert page.import_status.text() == "Import failed: notes.json is not a JSON export file."
    assert page.import_button.isEnabled()


def test_activitywatch_button_writes_the_key_and_asks_before_replacing(  # type: ignore[no-untyped-def]
    services: Services, runner: TaskRunner, qtbot, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox
    from timelygator.core import aw_config
    from timelygator.core.preferences import Preferences

    from tests.helpers.aw_client_key import local_server_api_key

    page = ApiPage(services, runner)
    qtbot.addWidget(page)
    prefs = Preferences()
    prefs.api.port = 5611
    page.load(prefs)
    with qtbot.waitSignal(page.sig_aw_key_written, timeout=10_000):
        qtbot.mouseClick(page.aw_button, Qt.MouseButton.LeftButton)
    path = aw_config.config_dir() / "config.toml"
    assert str(path) in page.aw_status.text()
    key = local_server_api_key("127.0.0.1", 5611)
    assert key is not None and key not in page.aw_status.text()
    qtbot.waitUntil(lambda: page.token_list.count() == 1, timeout=10_000)
    assert page.token_list.item(0).text().startswith("ActivityWatch tools — write — ")

    # An ActivityWatch server's own config: the user is asked; "No" changes nothing.
    theirs = 'port = 5611\n[auth]\napi_key = "theirs"\n'
    path.write_text(theirs, encoding="utf-8")
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(_parent, _title, text):  # type: ignore[no-untyped-def]
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    with qtbot.waitSignal(page.sig_aw_key_written, timeout=10_000):
        qtbot.mouseClick(page.aw_button, Qt.MouseButton.LeftButton)
    assert "not written by TimelyGator" in asked[0]
    assert page.aw_status.text() == "Nothing was changed."
    assert path.read_text(encoding="utf-8") == theirs
    with qtbot.waitSignal(page.sig_aw_key_written, timeout=10_000):
        qtbot.mouseClick(page.aw_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 2
    assert local_server_api_key("127.0.0.1", 5611) not in (None, "theirs", key)
    assert "is kept as" in page.aw_status.text()


def test_pairing_shows_the_bucket_the_browser_really_writes(  # type: ignore[no-untyped-def]
    services: Services, runner: TaskRunner, qtbot
) -> None:
    from timelygator.core.preferences import Preferences
    from timelygator.gui.settings.api_page import EXTENSION_CLIENT

    page = ApiPage(services, runner)
    qtbot.addWidget(page)
    host = socket.gethostname()
    qtbot.waitUntil(lambda: "None written yet" in page.pair_bucket.text(), timeout=10_000)
    assert f"aw-watcher-web-chromium_{host}" in page.pair_bucket.text()
    services.ensure_bucket(
        f"aw-watcher-web-chromium_{host}",
        type="web.tab.current",
        client=EXTENSION_CLIENT,
        hostname=host,
    )
    page.refresh_tokens()
    qtbot.waitUntil(
        lambda: (
            page.pair_bucket.text() == f"The extension writes to aw-watcher-web-chromium_{host}."
        ),
        timeout=10_000,
    )
    prefs = Preferences()
    page.origins.setText("http://localhost:5600/, not an origin, HTTP://127.0.0.1:8080")
    page.extension_ids.setText(" nglaklhklhcoonedhgnpgddginnjdadi ")
    page.store(prefs)
    assert prefs.api.allowed_origins == ["http://localhost:5600", "http://127.0.0.1:8080"]
    assert prefs.api.extension_ids == ["nglaklhklhcoonedhgnpgddginnjdadi"]
