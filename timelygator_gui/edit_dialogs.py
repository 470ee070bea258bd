"""Dialogs for editing a span and adding a manual entry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)
from timelygator.core.analytics.classifier import MANUAL_CATEGORY_KEY
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.timeutil import EARLIEST_US, LATEST_US, US_PER_S, check_time_range
from timelygator.gui.dialog_size import fit_line, fit_width

AUTOMATIC = "(automatic, from the rules)"


def category_combo(paths: Sequence[tuple[str, ...]], current: str | None) -> QComboBox:
    """Automatic (from the rules) or one of ``paths``; ``current`` preselected."""
    combo = QComboBox()
    combo.addItem(AUTOMATIC, None)
    for path in paths:
        combo.addItem(" > ".join(path), " > ".join(path))
    if current:
        index = combo.findData(current)
        if index < 0:
            combo.addItem(current, current)
            index = combo.count() - 1
        combo.setCurrentIndex(index)
    return combo


def manual_entry(start_us: int, end_us: int, title: str, category: str | None) -> Event:
    """A manual entry's event (the manual bucket's form): what, when, optional category."""
    offset = datetime.fromtimestamp(start_us / US_PER_S).astimezone().utcoffset()
    data: dict[str, object] = {"app": "Manual entry", "title": title.strip()}
    if category:
        data[MANUAL_CATEGORY_KEY] = category
    return Event(
        start_us, end_us, data, None, int(offset.total_seconds()) if offset is not None else None
    )


class EditEventDialog(QDialog):
    """Rename (title) and recategorize one span."""

    def __init__(
        self, event: Event, paths: Sequence[tuple[str, ...]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit span")
        self.original = event
        key = (
            "title"
            if "title" in event.data or "app" in event.data
            else next(
                (k for k, v in event.data.items() if isinstance(v, str) and not k.startswith("$")),
                "title",
            )
        )
        self.key = key
        self.name = QLineEdit(str(event.data.get(key, "")))
        current = event.data.get(MANUAL_CATEGORY_KEY)
        self.category = category_combo(paths, current if isinstance(current, str) else None)
        form = QFormLayout(self)
        app = event.data.get("app")
        if app:
            form.addRow("Application:", QLabel(str(app)))
        form.addRow(f"{key.capitalize()}:", self.name)
        form.addRow("Category:", self.category)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        fit_line(self.name)
        self.name.setCursorPosition(0)  # a long title shows its beginning
        fit_width(self)

    def edited(self) -> Event:
        data = dict(self.original.data)
        data[self.key] = self.name.text()
        category = self.category.currentData()
        if category:
            data[MANUAL_CATEGORY_KEY] = category
        else:
            data.pop(MANUAL_CATEGORY_KEY, None)
        return Event(self.original.start_us, self.original.end_us, data, self.original.id,
                     self.original.tz_offset_s)  # fmt: skip


class AddEntryDialog(QDialog):
    """A manual entry: what, when, category."""

    def __init__(
        self,
        start: datetime,
        end: datetime,
        paths: Sequence[tuple[str, ...]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add manual entry")
        self.what = QLineEdit()
        self.what.setPlaceholderText("e.g. Meeting with the design team")
        self.start = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(start.timestamp())))
        self.end = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(end.timestamp())))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
            # core's time range: the writer refuses anything outside it
            edit.setDateTimeRange(
                QDateTime.fromMSecsSinceEpoch(EARLIEST_US // 1000),
                QDateTime.fromMSecsSinceEpoch(LATEST_US // 1000),
            )
        self.category = category_combo(paths, None)
        self.error = QLabel("")
        self.error.setObjectName("errorText")
        form = QFormLayout(self)
        form.addRow("What:", self.what)
        form.addRow("Start:", self.start)
        form.addRow("End:", self.end)
        form.addRow("Category:", self.category)
        form.addRow(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        fit_line(self.what, 48)
        fit_width(self)

    def _check(self) -> None:
        if not self.what.text().strip():
            self.error.setText("Say what you were doing.")
            return
        if self.end.dateTime() <= self.start.dateTime():
            self.error.setText("The end must be after the start.")
            return
        entry = self.entry()
        try:
            check_time_range(entry.start_us, entry.end_us, "The entry")
        except ValidationError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def entry(self) -> Event:
        start_us = self.start.dateTime().toMSecsSinceEpoch() * 1000
        end_us = self.end.dateTime().toMSecsSinceEpoch() * 1000
        return manual_entry(start_us, end_us, self.what.text(), self.category.currentData())
