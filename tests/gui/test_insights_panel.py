"""Insights in the app, clicked like a user: the Activity view's line, the review panel
(accept after the rule preview, undo, dismiss), the Settings switch, unusual days in Trends."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from timelygator.core.categories.stored import load_stored_categories
from timelygator.core.insights.engine import load_dismissed
from timelygator.core.preferences import Preferences
from timelygator.core.services import Services
from timelygator.gui.insights_panel import InsightsDialog
from timelygator.gui.main_window import MainWindow
from timelygator.gui.settings.simple_pages import GeneralPage
from timelygator.gui.tasks import TaskRunner

from tests.core.analytics.insights_data import DAY, fill
from tests.gui.app_helpers import click_box, open_window


@pytest.fixture
def window(qtbot: QtBot, services: Services, runner: TaskRunner) -> MainWindow:
    fill(services)
    win = open_window(qtbot, services, DAY, runner)
    win.tabs.setCurrentWidget(win.activity)
    qtbot.waitUntil(lambda: win.insights.found is not None, timeout=30_000)
    return win


def open_review(window: MainWindow, qtbot: QtBot) -> InsightsDialog:
    button = window.activity.insights.button
    assert button.text() == "Uncategorized: 55m 00s — 1 suggestion"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.insights.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "It would move" in dialog.preview.text(), timeout=20_000)
    return dialog


def cell(dialog: InsightsDialog, row: int, column: int) -> str:
    item = dialog.table.item(row, column)
    assert item is not None
    return item.text()


def record_channels(runner: TaskRunner) -> list[str]:
    """The channels of the jobs ``runner`` starts from now on."""
    asked: list[str] = []
    original = runner.run

    def run(channel, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(channel)
        return original(channel, fn, *args, **kwargs)

    runner.run = run  # type: ignore[method-assign]
    return asked


def finance_time(window: MainWindow) -> int:
    assert window.data is not None
    return dict(window.data.summary.top_categories).get("Finance", 0)


def test_accept_shows_the_preview_saves_the_rule_and_undo_restores(
    window: MainWindow, qtbot: QtBot, services: Services
) -> None:
    assert window.activity.insights.isVisible()
    assert window.activity.insights.digest.text().startswith("Thu 14 Mar 2024: 1h 25m active")
    dialog = open_review(window, qtbot)
    assert dialog.table.rowCount() == 1
    assert cell(dialog, 0, 1) == "mailer: titles starting “Invoice …”"
    assert cell(dialog, 0, 2) == "Finance"
    assert cell(dialog, 0, 0) == "30m 00s"
    assert cell(dialog, 0, 3) == "100%"
    assert "titles with “invoice” were Finance 6 of 6 times" in cell(dialog, 0, 4)
    assert dialog.rule.text() == r"^Invoice\b"
    assert "It would move 30m 00s (2 values) of your history to Finance." in dialog.preview.text()
    assert dialog.accept_button.isEnabled()
    with qtbot.waitSignal(window.sig_range_loaded, timeout=20_000):
        qtbot.mouseClick(dialog.accept_button, Qt.MouseButton.LeftButton)
    assert dialog.table.rowCount() == 0
    assert finance_time(window) == 30 * 60_000_000
    with services.read() as conn:
        finance = next(
            c for c in load_stored_categories(conn, services.user_id) if c.path == ("Finance",)
        )
    assert finance.rule.regex == r"^ledger$|^Invoice\b"
    assert dialog.undo_button.isEnabled()
    with qtbot.waitSignal(window.sig_range_loaded, timeout=20_000):
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert finance_time(window) == 0
    with services.read() as conn:
        finance = next(
            c for c in load_stored_categories(conn, services.user_id) if c.path == ("Finance",)
        )
    assert finance.rule.regex == "^ledger$"
    dialog.close()


def test_an_edited_rule_that_takes_time_needs_the_box_ticked(
    window: MainWindow, qtbot: QtBot
) -> None:
    dialog = open_review(window, qtbot)
    dialog.rule.clear()
    qtbot.keyClicks(dialog.rule, "Invoice|project")
    assert not dialog.accept_button.isEnabled()
    assert "Press Check rule" in dialog.preview.text()
    dialog.category.setEditText("Finance › Everything")  # noqa: RUF001
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "It would move" in dialog.preview.text(), timeout=20_000)
    assert "of that is Work › Programming now" in dialog.preview.text()  # noqa: RUF001
    assert not dialog.accept_button.isEnabled()
    click_box(qtbot, dialog.allow_taking)
    assert dialog.accept_button.isEnabled()
    dialog.close()


def test_dismissed_suggestions_stay_dismissed(
    window: MainWindow, qtbot: QtBot, services: Services
) -> None:
    dialog = open_review(window, qtbot)
    suggestion = dialog.suggestions[0]
    qtbot.mouseClick(dialog.dismiss_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=10_000)
    with services.read() as conn:
        assert load_dismissed(conn, services.user_id) == {suggestion.id}
    dialog.close()
    window.insights.found = None
    window.reload()
    qtbot.waitUntil(lambda: window.insights.found is not None, timeout=30_000)
    assert window.activity.insights.button.text() == "Uncategorized: 55m 00s — 0 suggestions"
    assert not window.activity.insights.button.isEnabled()


def test_the_settings_switch_turns_insights_off(qtbot: QtBot) -> None:
    page = GeneralPage()
    qtbot.addWidget(page)
    prefs = Preferences()
    page.load(prefs)
    assert page.insights.isChecked()
    page.show()
    click_box(qtbot, page.insights)
    page.store(prefs)
    assert prefs.insights.enabled is False


def test_a_remote_language_model_is_never_saved(qtbot: QtBot) -> None:
    page = GeneralPage()
    qtbot.addWidget(page)
    prefs = Preferences()
    page.load(prefs)
    qtbot.keyClicks(page.llm_url, "https://api.example.com/v1")
    assert "must run on this computer" in page.llm_note.text()
    page.store(prefs)
    assert prefs.insights.llm_url == ""
    page.llm_url.clear()
    qtbot.keyClicks(page.llm_url, "http://127.0.0.1:8080/v1")
    assert page.llm_note.text() == ""
    page.store(prefs)
    assert prefs.insights.llm_url == "http://127.0.0.1:8080/v1"


def test_turned_off_the_activity_view_shows_no_insights(window: MainWindow, qtbot: QtBot) -> None:
    session = window.session
    assert session is not None
    session.preferences.insights.enabled = False
    with qtbot.waitSignal(window.sig_range_loaded, timeout=20_000):
        window.reload()
    assert not window.activity.insights.isVisible()


def test_unusual_days_under_trends(window: MainWindow, qtbot: QtBot) -> None:
    window.navigator.show_day(DAY + timedelta(days=1))  # nothing recorded: not unusual
    with qtbot.waitSignal(window.insights.sig_unusual_loaded, timeout=30_000) as blocker:
        window.tabs.setCurrentWidget(window.trends)
    assert blocker.args == [[]]
    assert not window.trends.unusual.isVisible()


def test_the_headline_says_when_nothing_is_left_to_categorize() -> None:
    from types import SimpleNamespace

    from timelygator.gui.insights_panel import headline

    nothing = SimpleNamespace(suggestions=[], uncategorized_us=0)
    assert headline(nothing) == "Everything is categorized"  # type: ignore[arg-type]
    some = SimpleNamespace(suggestions=[object()], uncategorized_us=90 * 60_000_000)
    assert headline(some) == "Uncategorized: 1h 30m — 1 suggestion"  # type: ignore[arg-type]


def test_a_range_longer_than_a_month_works_out_no_insights(
    window: MainWindow, qtbot: QtBot
) -> None:
    """A year shown: the views' own work is not shared with a year's training."""
    from timelygator.gui.date_range import DateRange, RangeMode
    from timelygator.gui.insights_controller import LONG_RANGE

    asked = record_channels(window.insights.runner)
    year = DateRange(RangeMode.CUSTOM, DAY - timedelta(days=364), DAY, 4)
    with qtbot.waitSignal(window.sig_range_loaded, timeout=60_000):
        window.navigator.set_range(year)
    bar = window.activity.insights
    assert bar.digest.text() == LONG_RANGE and not bar.button.isEnabled()
    assert "insights" not in asked


def test_live_refreshes_work_the_insights_out_again_once_a_minute(
    window: MainWindow, qtbot: QtBot
) -> None:
    """Today with tracking running: new data reaches the insights, but not every second."""
    controller = window.insights
    now = [time.monotonic() + 3600]  # an hour after the first insights
    controller.clock = lambda: now[0]
    asked = record_channels(window.insights.runner)
    data = window.data
    assert data is not None
    with qtbot.waitSignal(controller.sig_loaded, timeout=30_000):
        window.sig_range_refreshed.emit(data)  # the first refresh: worked out again
    now[0] += 30
    window.sig_range_refreshed.emit(data)  # half a minute later: kept
    assert asked.count("insights") == 1
    now[0] += 31
    with qtbot.waitSignal(controller.sig_loaded, timeout=30_000):
        window.sig_range_refreshed.emit(data)
    assert asked.count("insights") == 2


def test_day_switches_do_not_wait_for_the_insights_and_only_the_newest_day_follows(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Insights have a thread of their own: while one is worked out (a first training can
    take a minute on a year just imported), the user goes back three days and each day is
    drawn at once; then the insights of the day on screen follow, not one per day passed."""
    import timelygator.gui.insights_controller as controller_module

    release = threading.Event()
    asked: list[date] = []
    from timelygator.core.insights.engine import insights as real

    def slow(services, first, last, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(first)
        release.wait(30)  # a long training
        return real(services, first, last, *args, **kwargs)

    monkeypatch.setattr(controller_module, "insights", slow)
    drawn: list[date] = []
    for _ in range(3):
        with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000) as loaded:
            qtbot.mouseClick(window.navigator.prev_button, Qt.MouseButton.LeftButton)
        drawn.append(loaded.args[0].range.first)
    back = [DAY - timedelta(days=n) for n in (1, 2, 3)]
    assert drawn == back  # every day drawn while the first insights were still working
    assert asked == [back[0]]
    bar = window.activity.insights
    assert not bar.button.isEnabled()  # busy: no suggestions of another day to open
    with qtbot.waitSignal(window.insights.sig_loaded, timeout=30_000) as shown:
        release.set()
    assert asked == [back[0], back[2]]  # the day in between was never worked out
    assert shown.args[0].first == back[2] and window.insights.found is shown.args[0]


class _Warmer:
    """The app's warm-up of the statistics, as the Insights controller sees it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.asked = 0

    def wait_finished(self, timeout_s: float) -> bool:
        self.asked += 1
        return self.done.wait(min(timeout_s, 0.05))


def test_a_training_waits_for_the_statistics_warm_up(
    window: MainWindow, qtbot: QtBot, services: Services
) -> None:
    """While the app works out the history's statistics (a year just imported: a minute),
    the training waits for them instead of working the same days out beside it."""
    from timelygator.core.insights.engine import forget

    warmer = _Warmer()
    window.insights.warmer = warmer  # type: ignore[assignment]
    forget(services)  # the next insights train the model again
    before = window.insights.found
    with qtbot.waitSignal(window.sig_range_loaded, timeout=10_000):
        qtbot.mouseClick(window.navigator.prev_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: warmer.asked >= 3, timeout=10_000)  # waiting, not training
    assert window.insights.found is before
    with qtbot.waitSignal(window.insights.sig_loaded, timeout=30_000) as shown:
        warmer.done.set()
    assert shown.args[0].first == DAY - timedelta(days=1)
