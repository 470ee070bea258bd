"""Settings → Sync, clicked like a person: turning the sync on with a server and a token (kept
in the keyring, never in the database), what the page shows after the sync ran on its own
thread, the other computer in the host filter, a refused token on the page."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import load_preferences, save_preferences
from timelygator.core.services import Services
from timelygator.core.settings_store import get_settings
from timelygator.core.sync.protocol import SYNC_KEY, pulled_data
from timelygator.core.sync.token_store import store_token
from timelygator.gui.app_controller import AppController
from timelygator.gui.autostart import Autostart
from timelygator.gui.error_dialog import ErrorDialog
from timelygator.gui.settings.dialog import SettingsDialog
from timelygator.gui.settings.sync_page import KEPT_HINT, MISSING_HINT, SyncPage
from timelygator.gui.tasks import TaskRunner

from tests.gui.app_helpers import click_box, finish_app, open_window, start_app
from tests.helpers.keyring import MemoryKeyring
from tests.helpers.sync import Device, Server, rows_of

MINUTE_US = 60_000_000


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    made = Server(tmp_path)
    yield made
    made.close()


def own_event(services: Services, title: str) -> None:
    """Something the window watcher recorded on this computer ("laptop") a minute ago."""
    key = services.ensure_bucket(
        "aw-watcher-window_laptop", type="currentwindow", client="t", hostname="laptop"
    )
    now = time.time_ns() // 1000
    event = Event(now - MINUTE_US, now, {"app": "editor", "title": title}, None, 0)
    services.writer.insert_events(key, [event]).result(10)


def open_app(dirs: AppDirs, tmp_path: Path, qtbot) -> AppController:  # type: ignore[no-untyped-def]
    app = AppController(
        dirs, start_watchers=False, autostart=Autostart("linux", home=tmp_path, environ={})
    )
    return start_app(app, qtbot)


def sync_page(app: AppController, qtbot) -> tuple[SettingsDialog, SyncPage]:  # type: ignore[no-untyped-def]
    app.open_settings()
    dialog = app.dialog
    assert isinstance(dialog, SettingsDialog)
    qtbot.addWidget(dialog)
    pages = dialog.page_list
    (item,) = pages.findItems("Sync", Qt.MatchFlag.MatchExactly)
    qtbot.mouseClick(
        pages.viewport(), Qt.MouseButton.LeftButton, pos=pages.visualItemRect(item).center()
    )
    assert dialog.stack.currentWidget() is dialog.sync_page
    page = dialog.sync_page
    qtbot.waitUntil(lambda: page.device.text().startswith("@"), timeout=10_000)
    return dialog, page


def press_ok(dialog: SettingsDialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(dialog.sig_saved, timeout=10_000):
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )


def test_turning_the_sync_on_sends_this_computers_activity(  # type: ignore[no-untyped-def]
    dirs: AppDirs, tmp_path: Path, server: Server, memory_keyring: MemoryKeyring, qtbot
) -> None:
    with Services.open(dirs, None) as services:
        own_event(services, "notes.md")
    app = open_app(dirs, tmp_path, qtbot)
    dialog, page = sync_page(app, qtbot)
    assert page.state.text() == "Off" and page.last_sync.text() == "never"
    click_box(qtbot, page.enabled)
    assert page.enabled.isChecked()
    qtbot.keyClicks(page.server, server.url)
    qtbot.keyClicks(page.token, server.token)
    assert server.token not in page.token.displayText()  # shown as dots
    press_ok(dialog, qtbot)
    host = app.sync_host
    assert host is not None
    qtbot.waitUntil(lambda: host.status.state == "ok", timeout=30_000)

    # On the server: this computer's event, once.
    titles = [json.loads(r[4])["title"] for r in rows_of(server.services)]
    assert titles == ["notes.md"]
    # The token is in the keyring, and nowhere in the database.
    assert server.token in memory_keyring.entries.values()
    opened = app.services
    assert opened is not None
    with opened.read() as conn:
        stored = json.dumps(get_settings(conn, opened.user_id))
        prefs = load_preferences(conn, opened.user_id)
    assert server.token not in stored
    assert (prefs.sync.enabled, prefs.sync.server_url, prefs.sync.pull) == (
        True,
        server.url,
        True,
    )

    # Opened again, the page says what happened, and never shows the token.
    dialog, page = sync_page(app, qtbot)
    qtbot.waitUntil(lambda: page.token.placeholderText() == KEPT_HINT, timeout=10_000)
    assert page.token.text() == ""
    assert page.state.text().startswith("Synced.")
    assert page.last_sync.text() not in ("", "never")
    assert (page.pending.text(), page.error.text()) == ("0 event(s)", "none")

    # New activity is sent by itself; "Sync now" asks at once.
    own_event(opened, "later.md")
    with qtbot.waitSignal(
        host.sig_status, timeout=30_000, check_params_cb=lambda s: s.state == "ok"
    ):
        qtbot.mouseClick(page.sync_now, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(rows_of(server.services)) == 2, timeout=30_000)
    assert page.pending.text() == "0 event(s)"

    shot = tmp_path / "sync_page.png"
    dialog.resize(900, 640)
    dialog.show()
    assert page.grab().save(str(shot))
    image = QImage(str(shot))
    assert image.width() > 400 and image.height() > 300

    # Forgetting the token takes it out of the keyring; the sync stops asking the server.
    qtbot.mouseClick(page.forget, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.token not in memory_keyring.entries.values(), timeout=10_000)
    assert page.token.placeholderText() == MISSING_HINT
    dialog.reject()
    finish_app(app, qtbot)


def test_the_other_computer_appears_in_the_host_filter(  # type: ignore[no-untyped-def]
    dirs: AppDirs, tmp_path: Path, server: Server, qtbot
) -> None:
    desktop = Device.open(tmp_path / "other", "desktop")
    try:
        now = time.time_ns() // 1000
        desktop.insert(
            "aw-watcher-window_desktop",
            [Event(now - 5 * MINUTE_US, now - MINUTE_US, {"app": "cad", "title": "gear"}, None, 0)],
        )
        desktop.engine(server.url, server.token).sync_once()
    finally:
        desktop.close()
    with Services.open(dirs, None) as services:
        own_event(services, "notes.md")
        with services.read() as conn:
            prefs = load_preferences(conn, services.user_id)
        prefs.sync.enabled, prefs.sync.server_url = True, server.url
        save_preferences(services.writer, services.user_id, prefs).result(10)
        store_token(dirs, server.token)
    app = open_app(dirs, tmp_path, qtbot)
    window = app.window
    qtbot.waitUntil(lambda: window.host_filter.count() == 3, timeout=30_000)
    hosts = [window.host_filter.itemText(i) for i in range(window.host_filter.count())]
    assert hosts == ["All computers", "desktop", "laptop"]
    assert window._host_action.isVisible()
    finish_app(app, qtbot)


def test_a_refused_token_is_shown_on_the_page_not_in_a_dialog(  # type: ignore[no-untyped-def]
    dirs: AppDirs, tmp_path: Path, server: Server, qtbot
) -> None:
    wrong = "tg_nottherightonenottherightone"
    with Services.open(dirs, None) as services:
        own_event(services, "notes.md")
    app = open_app(dirs, tmp_path, qtbot)
    dialog, page = sync_page(app, qtbot)
    click_box(qtbot, page.enabled)
    qtbot.keyClicks(page.server, server.url)
    qtbot.keyClicks(page.token, wrong)
    press_ok(dialog, qtbot)
    host = app.sync_host
    assert host is not None
    qtbot.waitUntil(lambda: host.status.state == "error", timeout=30_000)
    dialog, page = sync_page(app, qtbot)
    assert "refused the token" in page.error.text()
    assert page.state.text().startswith("Not synced:")
    assert wrong not in page.error.text() + page.state.text()
    shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert not [w for w in shown if isinstance(w, ErrorDialog)]
    assert rows_of(server.services) == []
    dialog.reject()
    finish_app(app, qtbot)


def test_sync_now_while_off_says_how_to_turn_it_on(  # type: ignore[no-untyped-def]
    dirs: AppDirs, tmp_path: Path, qtbot
) -> None:
    Services.open(dirs, None).close()
    app = open_app(dirs, tmp_path, qtbot)
    dialog, page = sync_page(app, qtbot)
    host = app.sync_host
    assert host is not None
    with qtbot.waitSignal(host.sig_status, timeout=10_000):
        qtbot.mouseClick(page.sync_now, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "turn the sync on" in page.state.text(), timeout=10_000)
    dialog.reject()
    finish_app(app, qtbot)


def test_another_computers_spans_are_shown_read_only(  # type: ignore[no-untyped-def]
    services: Services, runner: TaskRunner, qtbot
) -> None:
    name = "aw-watcher-window_desktop@0123456789ab"
    marker = {"device": "0123456789ab-device", "bucket": "aw-watcher-window_desktop"}
    key = services.ensure_bucket(
        name,
        type="currentwindow",
        client="t",
        hostname="desktop",
        data=pulled_data({SYNC_KEY: marker}),
    )
    start = int(datetime(2025, 3, 4, 10, tzinfo=UTC).timestamp() * 1_000_000)
    event = Event(start, start + 10 * MINUTE_US, {"app": "cad", "title": "gear"}, None, 0)
    services.writer.insert_events(key, [event]).result(10)
    window = open_window(qtbot, services, date(2025, 3, 4), runner)
    lane = next(lane for lane in window.timeline.lanes if lane.bucket == name)
    window.timeline.select((lane, 0))
    details = window.timeline.details
    assert "From desktop, synced here: change it on that computer." in details.text.text()
    assert not details.edit_button.isEnabled() and not details.delete_button.isEnabled()


def test_the_sync_thread_sends_new_activity_by_itself(  # type: ignore[no-untyped-def]
    services: Services, server: Server, qtbot
) -> None:
    from timelygator.core.preferences import PrivacyPrefs, SyncPrefs
    from timelygator.gui.sync_host import SyncHost

    store_token(services.dirs, server.token)
    host = SyncHost(services, delay_s=0.2)
    try:
        own_event(services, "first.md")
        host.start(SyncPrefs(enabled=True, server_url=server.url), PrivacyPrefs())
        qtbot.waitUntil(lambda: host.status.state == "ok", timeout=30_000)
        own_event(services, "second.md")  # no click: the writer's change wakes the sync
        qtbot.waitUntil(lambda: len(rows_of(server.services)) == 2, timeout=30_000)
        # New privacy rules (OK'd, maybe not stored yet) apply at once.
        host.start(
            SyncPrefs(enabled=True, server_url=server.url), PrivacyPrefs(excluded_apps=["editor"])
        )
        qtbot.waitUntil(lambda: rows_of(server.services) == [], timeout=30_000)
    finally:
        host.stop()
