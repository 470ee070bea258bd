"""The categories editor driven like a user: buttons clicked, dialogs answered."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot
from timelygator.core.categories.formats import load_default_categories
from timelygator.core.categories.model import Category, Rule
from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.core.timeutil import to_us
from timelygator.gui.date_range import DateRange, RangeMode
from timelygator.gui.settings.categories_page import CategoriesPage
from timelygator.gui.tasks import TaskRunner

from tests.gui.app_helpers import dialog_button

DAY = date(2025, 3, 4)


def _us(hour: int, minute: int, second: int = 0) -> int:
    return to_us(datetime.combine(DAY, time(hour, minute, second)).astimezone())


@pytest.fixture
def invoices(services: Services) -> Services:
    """Two invoice PDFs (34 s in all) in Evince, which the default Work > Docs rule takes."""
    key = services.ensure_bucket(
        "aw-watcher-window_desk", type="currentwindow", client="test", hostname="desk"
    )
    events = [
        Event(_us(9, 0), _us(9, 0, 20), {"app": "evince", "title": "Invoice 12.pdf - Evince"}),
        Event(_us(9, 1), _us(9, 1, 14), {"app": "evince", "title": "invoice 13.pdf - Evince"}),
        Event(_us(9, 2), _us(9, 3), {"app": "bank-app", "title": "Accounts"}),
    ]
    services.writer.insert_events(key, events).result(10)
    return services


def _page(services: Services | None, runner: TaskRunner, qtbot) -> CategoriesPage:  # type: ignore[no-untyped-def]
    sample = DateRange.around(DAY, RangeMode.DAY)
    page = CategoriesPage(load_default_categories(), services, runner, sample)
    qtbot.addWidget(page)
    page.show()
    return page


def _select(page: CategoriesPage, path: tuple[str, ...]) -> None:
    items = page.tree.findItems(path[-1], Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
    [item] = [i for i in items if tuple(i.data(0, Qt.ItemDataRole.UserRole)) == path]
    page.tree.setCurrentItem(item)


def _click(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_rename_button_asks_for_a_name_and_renames(runner: TaskRunner, qtbot) -> None:  # type: ignore[no-untyped-def]
    page = _page(None, runner, qtbot)
    _select(page, ("Work", "Docs"))
    _click(qtbot, page.rename_button)
    dialog = page.name_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.textValue() == "Docs"
    dialog.setTextValue("Documents")
    _click(qtbot, dialog_button(dialog, QDialogButtonBox.StandardButton.Ok))
    paths = {c.path for c in page.categories()}
    assert ("Work", "Documents") in paths and ("Work", "Docs") not in paths
    assert page.selected_path() == ("Work", "Documents")
    assert page.changed


def test_colour_button_opens_a_picker_and_stores_its_colour(runner: TaskRunner, qtbot) -> None:  # type: ignore[no-untyped-def]
    page = _page(None, runner, qtbot)
    _select(page, ("Media",))
    _click(qtbot, page.color_button)
    dialog = page.color_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setCurrentColor(QColor("#123abc"))
    _click(qtbot, dialog_button(dialog, QDialogButtonBox.StandardButton.Ok))
    [media] = [c for c in page.categories() if c.path == ("Media",)]
    assert media.color == "#123abc"
    assert page.color_button.text() == "#123abc"


def test_cancelled_prompts_change_nothing(runner: TaskRunner, qtbot) -> None:  # type: ignore[no-untyped-def]
    page = _page(None, runner, qtbot)
    before = [(c.path, c.color) for c in page.categories()]
    _select(page, ("Media",))
    for button in (page.color_button, page.rename_button, page.add_button):
        _click(qtbot, button)
        dialog = page.color_dialog if button is page.color_button else page.name_dialog
        assert dialog is not None
        _click(qtbot, dialog_button(dialog, QDialogButtonBox.StandardButton.Cancel))
    assert [(c.path, c.color) for c in page.categories()] == before
    assert not page.changed


def test_add_subcategory_with_a_new_rule_that_ignores_case(runner: TaskRunner, qtbot) -> None:  # type: ignore[no-untyped-def]
    page = _page(None, runner, qtbot)
    _select(page, ("Work",))
    _click(qtbot, page.add_child_button)
    assert page.name_dialog is not None
    page.name_dialog.setTextValue("Finance")
    _click(
        qtbot,
        dialog_button(page.name_dialog, QDialogButtonBox.StandardButton.Ok),
    )
    assert page.selected_path() == ("Work", "Finance")
    assert page.ignore_case.isChecked()  # a new rule ignores case, as Search does
    qtbot.keyClicks(page.regex, "invoice|bank")
    [finance] = [c for c in page.categories() if c.path == ("Work", "Finance")]
    assert finance.rule == Rule.regex_rule("invoice|bank", ignore_case=True)


def test_invalid_regex_is_shown_inline_and_never_saved(runner: TaskRunner, qtbot) -> None:  # type: ignore[no-untyped-def]
    page = _page(None, runner, qtbot)
    _select(page, ("Media", "Games"))
    page.regex.clear()
    qtbot.keyClicks(page.regex, "Steam(")
    assert page.rule_error is not None
    assert page.preview.text().startswith("Not saved:")
    assert page.regex.toolTip() == page.rule_error
    # The category keeps the last rule that compiled ("Steam", typed before the "(").
    rule = next(c.rule for c in page.categories() if c.path == ("Media", "Games"))
    assert rule.regex == "Steam"
    qtbot.keyClick(page.regex, Qt.Key.Key_Backspace)
    qtbot.keyClicks(page.regex, "|Lutris")
    assert page.rule_error is None
    rule = next(c.rule for c in page.categories() if c.path == ("Media", "Games"))
    assert rule.regex == "Steam|Lutris"
    assert page.regex.toolTip() == ""


def test_preview_explains_time_a_deeper_category_keeps(
    invoices: Services, runner: TaskRunner, qtbot: QtBot
) -> None:
    page = _page(invoices, runner, qtbot)
    with qtbot.waitSignal(page.sig_preview_shown, timeout=10_000):
        _select(page, ("Work",))
    categories = [*page.categories(), Category(["Finance"])]
    page.set_categories(categories)
    _select(page, ("Finance",))
    with qtbot.waitSignal(page.sig_preview_shown, timeout=10_000):
        page.regex.clear()
        qtbot.keyClicks(page.regex, "invoice|bank")
    text = page.preview.text()
    # The two invoices match but stay in Work > Docs (deeper), the bank app moves here.
    assert text.startswith("Matches 3 events (1m 34s) in Tue 4 Mar 2025;")
    assert "moves here from Uncategorized (1m 00s)" in text
    assert "2 events (34s) taken by Work › Docs, which is deeper: rule LibreOffice|" in text  # noqa: RUF001
    assert text.endswith("….")  # a long rule is cut short


def test_ok_with_a_broken_rule_keeps_the_dialog_open(
    services: Services, runner: TaskRunner, qtbot: QtBot
) -> None:
    from timelygator.core.categories.stored import load_stored_categories
    from timelygator.gui.session import Session
    from timelygator.gui.settings.dialog import SettingsDialog

    session = Session.load(services)
    dialog = SettingsDialog(session, runner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_page("General")
    page = dialog.categories_page
    _select(page, ("Media", "Music"))
    page.regex.clear()
    qtbot.keyClicks(page.regex, "[")
    applied: list[object] = []
    dialog.sig_applied.connect(lambda *args: applied.append(args))
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    assert dialog.isVisible() and applied == []
    assert dialog.stack.currentWidget() is page  # shown where the problem is
    with services.read() as conn:
        stored = {c.path: c.rule.regex for c in load_stored_categories(conn, services.user_id)}
    assert (stored[("Media", "Music")] or "").startswith("Spotify|")


def test_the_preview_of_a_month_reads_its_last_week(
    invoices: Services, runner: TaskRunner, qtbot: QtBot
) -> None:
    from datetime import timedelta

    month = DateRange.around(DAY, RangeMode.MONTH)  # March 2025; the invoices are on the 4th
    page = CategoriesPage(load_default_categories(), invoices, runner, month)
    qtbot.addWidget(page)
    page.show()
    week = DateRange(RangeMode.CUSTOM, month.last - timedelta(days=6), month.last, 0)
    assert page.sample_label == week.label()
    with qtbot.waitSignal(page.sig_preview_shown, timeout=10_000):
        _select(page, ("Work", "Docs"))
    # The invoices are older than the last week of the month: not in the preview's sample.
    assert page.preview.text() == f"The rule matches no events in {week.label()}."
    first_week = DateRange(RangeMode.CUSTOM, DAY, DAY + timedelta(days=6), 0)
    early = CategoriesPage(load_default_categories(), invoices, runner, first_week)
    qtbot.addWidget(early)
    early.show()
    with qtbot.waitSignal(early.sig_preview_shown, timeout=10_000):
        _select(early, ("Work", "Docs"))
    assert early.preview.text().startswith("Matches 2 events (34s) in ")


def test_closing_the_dialog_stops_reading_the_preview_sample(
    invoices: Services, runner: TaskRunner, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from timelygator.gui.range_data import Superseded
    from timelygator.gui.session import Session
    from timelygator.gui.settings import categories_page
    from timelygator.gui.settings.dialog import SettingsDialog

    started, proceed = threading.Event(), threading.Event()
    asked: list[bool] = []

    def read_range(services, start_us, end_us, still_wanted):  # type: ignore[no-untyped-def]
        started.set()
        proceed.wait(10)  # the person closes the dialog while the events are being read
        asked.append(still_wanted())
        raise Superseded

    monkeypatch.setattr(categories_page, "read_range", read_range)
    dialog = SettingsDialog(Session.load(invoices), runner)
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.categories_page
    qtbot.waitUntil(started.is_set, timeout=10_000)
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel))
    with qtbot.waitSignal(runner.sig_idle, timeout=10_000):
        proceed.set()
    assert asked == [False]  # the read was told to stop
    assert page._sample is None and "could not be read" not in page.preview.text()
