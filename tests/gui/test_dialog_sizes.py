"""Dialogs and pages fit what they show: titles and paths on one line, wide text fields, forms
at the top of their page, short lists not floating beside long ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QLabel
from timelygator.core.analytics.summary import Summary
from timelygator.core.event import Event
from timelygator.gui.activity_view import ActivityView
from timelygator.gui.date_range import DateRange, RangeMode
from timelygator.gui.edit_dialogs import AddEntryDialog, EditEventDialog
from timelygator.gui.range_data import RangeData
from timelygator.gui.settings.simple_pages import PrivacyPage
from timelygator.gui.unlock_dialogs import UnlockDialog

from tests.gui.conftest import DEMO_DAY

LONG_TITLE = "Pull request #4821 · timelygator: live timeline merges - Mozilla Firefox"


def test_unlock_dialog_fits_its_title_and_folder(qtbot) -> None:  # type: ignore[no-untyped-def]
    folder = Path("/home/anna/.local/share/TimelyGator")
    dialog = UnlockDialog(folder, "The passphrase does not fit.")
    qtbot.addWidget(dialog)
    dialog.show()
    metrics = dialog.fontMetrics()
    assert dialog.width() >= metrics.horizontalAdvance("Unlock TimelyGator") + 150
    assert dialog.width() >= metrics.horizontalAdvance(str(folder)) + 100


def test_span_editor_shows_a_long_title(qtbot) -> None:  # type: ignore[no-untyped-def]
    event = Event(0, 10_000_000, {"app": "firefox", "title": LONG_TITLE}, 1)
    dialog = EditEventDialog(event, [("Work",)])
    qtbot.addWidget(dialog)
    dialog.show()
    chars = dialog.name.width() / dialog.name.fontMetrics().averageCharWidth()
    assert chars >= 55  # ~190 px showed 25 characters
    assert dialog.name.cursorPosition() == 0  # the beginning of the title is what shows
    add = AddEntryDialog(datetime(2025, 3, 4, 9), datetime(2025, 3, 4, 10), [])
    qtbot.addWidget(add)
    add.show()
    assert add.width() >= 440


def test_privacy_form_starts_right_under_its_introduction(qtbot) -> None:  # type: ignore[no-untyped-def]
    page = PrivacyPage()
    qtbot.addWidget(page)
    page.resize(850, 700)
    page.show()
    label = page.findChild(QLabel, "pageIntro")
    assert label is not None
    gap = page.apps.geometry().top() - label.geometry().bottom()
    assert 0 <= gap <= 30
    assert page.incognito.geometry().bottom() < 500  # the spare height is below the form


def test_short_lists_stay_at_the_top_beside_long_ones(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ActivityView()
    qtbot.addWidget(view)
    view.resize(1300, 900)
    view.show()
    summary = Summary(active_us=10**9)
    summary.apps = [(f"app {i}", 10**8 - i) for i in range(10)]
    summary.categories = [(("Work",), 10**8)]
    rng = DateRange.around(DEMO_DAY, RangeMode.DAY)
    view.set_data(RangeData(rng, 0, 1, summary=summary))
    assert view.categories.geometry().top() == view.apps.geometry().top()
