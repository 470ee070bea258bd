"""Away time: a return from a long absence asks what it was; "record" stores a manual entry."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from timelygator.core.analytics.classifier import MANUAL_CATEGORY_KEY
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import Preferences
from timelygator.core.services import Services
from timelygator.core.timeutil import to_us
from timelygator.gui.app_controller import AppController
from timelygator.gui.autostart import Autostart
from timelygator.gui.away_dialog import AwayDialog, away_question
from timelygator.gui.edit_commands import AddEventCommand, manual_bucket_name
from timelygator.gui.watcher_host import WatcherHost
from timelygator.watchers.headless import Probes

from tests.gui.app_helpers import finish_app, start_app


class SequenceIdleProbe:
    """Idle seconds from a list, the last value repeating."""

    def __init__(self, *idle_s: float) -> None:
        self.values = list(idle_s)

    def seconds_since_input(self) -> float:
        return self.values.pop(0) if len(self.values) > 1 else self.values[0]


class NoWindow:
    def active_window(self) -> None:
        return None


def _us(h: int, m: int) -> int:
    return to_us(datetime(2025, 3, 4, h, m).astimezone())


def test_question_text() -> None:
    assert away_question(_us(10, 12), _us(11, 5)) == (
        "You were away 10:12–11:05 (53 min). What were you doing?"  # noqa: RUF001
    )
    assert "(1 h 05 min)" in away_question(_us(10, 0), _us(11, 5))


def test_afk_return_emits_sig_returned(services: Services, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A fake idle probe: away for 20 minutes, then input again."""
    host = WatcherHost(services, Probes(window=NoWindow(), idle=SequenceIdleProbe(1200.0, 0.0)))
    prefs = Preferences()
    prefs.watchers.window_enabled = prefs.watchers.web_enabled = False
    prefs.watchers.afk_poll_s = 0.02
    prefs.watchers.afk_timeout_s = 60.0
    before = services.clock.now_us()
    with qtbot.waitSignal(host.sig_returned, timeout=5000) as blocker:
        host.start(prefs)
    assert host.stop()
    start_us, end_us = blocker.args
    assert end_us - start_us >= 1199 * 1_000_000
    assert before - 1201 * 1_000_000 <= start_us <= before - 1199 * 1_000_000 + 1_000_000


@pytest.fixture
def controller(dirs: AppDirs, tmp_path: Path, qtbot) -> AppController:  # type: ignore[no-untyped-def]
    Services.open(dirs, None).close()  # not a first run: opens with the (fake) keyring
    app = AppController(
        dirs,
        probes=Probes(window=NoWindow(), idle=SequenceIdleProbe(0.0)),
        autostart=Autostart("linux", home=tmp_path, environ={}),
    )
    return start_app(app, qtbot)


def test_record_away_time_as_manual_entry(controller: AppController, qtbot) -> None:  # type: ignore[no-untyped-def]
    host = controller.watcher_host
    services = controller.services
    assert host is not None and services is not None
    host.sig_returned.emit(_us(9, 0), _us(9, 20))
    first = controller.away.dialog
    assert isinstance(first, AwayDialog)  # a child of the window (qtbot owns the window)
    assert not first.isModal()
    # A newer return replaces the unanswered question: still one dialog.
    host.sig_returned.emit(_us(10, 12), _us(11, 5))
    dialog = controller.away.dialog
    assert dialog is first
    assert dialog.question.text() == (
        "You were away 10:12–11:05 (53 min). What were you doing?"  # noqa: RUF001
    )
    qtbot.keyClicks(dialog.what, "Lunch with the design team")
    dialog.category.setCurrentIndex(dialog.category.findData("Work > Meetings"))
    assert dialog.category.currentIndex() > 0
    bucket = manual_bucket_name()
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert controller.away.dialog is None
    qtbot.waitUntil(lambda: controller.window.undo_stack.count() == 1, timeout=10_000)
    command = controller.window.undo_stack.command(0)
    assert isinstance(command, AddEventCommand)
    qtbot.waitUntil(lambda: command.stored is not None, timeout=10_000)  # committed
    stored = services.events(bucket)
    assert [(e.start_us, e.end_us, e.data["title"]) for e in stored] == [
        (_us(10, 12), _us(11, 5), "Lunch with the design team")
    ]
    assert stored[0].data[MANUAL_CATEGORY_KEY] == "Work > Meetings"
    assert stored[0].data["$manual"] is True
    assert stored[0].tz_offset_s is not None  # local days need it (UTC+0 too)
    # Undoable like any manual entry.
    controller.window.undo_stack.undo()
    qtbot.waitUntil(lambda: services.events(bucket) == [], timeout=10_000)
    finish_app(controller, qtbot)


def test_keep_as_away_records_nothing(controller: AppController, qtbot) -> None:  # type: ignore[no-untyped-def]
    host = controller.watcher_host
    services = controller.services
    assert host is not None and services is not None
    host.sig_returned.emit(_us(14, 0), _us(14, 30))
    dialog = controller.away.dialog
    assert dialog is not None
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert controller.away.dialog is None
    assert controller.window.undo_stack.count() == 0
    assert manual_bucket_name() not in [b.name for b in services.buckets()]
    finish_app(controller, qtbot)
