"""Search: events by text or regex across the selected range, with totals."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from timelygator.core.analytics.report import format_duration
from timelygator.core.analytics.search import SearchResult
from timelygator.gui.event_table_model import EventTableModel

FIELDS = (
    ("Any text", None),
    ("Application", "app"),
    ("Window title", "title"),
    ("URL", "url"),
    ("Website (domain)", "domain"),
    ("Category", "category"),
)


class SearchView(QWidget):
    """Query box, options, results table and totals; runs through ``sig_search_requested``."""

    sig_search_requested = Signal(str, bool, object)
    """Search the range: text, is_regex, field (None = any text)."""
    sig_event_activated = Signal(str, object)
    """A result was double-clicked: bucket name and Event (show it on the timeline)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchView")
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search apps, titles, URLs… (Enter)")
        self.query.setClearButtonEnabled(True)
        self.regex = QCheckBox("Regular expression")
        self.field = QComboBox()
        for label, key in FIELDS:
            self.field.addItem(label, key)
        self.button = QPushButton("Search")
        self.totals = QLabel("Type a word and press Enter to search the selected range.")
        self.totals.setObjectName("searchTotals")
        self.model = EventTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(self.field)
        row.addWidget(self.regex)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.totals)
        layout.addWidget(self.table, 1)
        self.query.returnPressed.connect(self.submit)
        self.button.clicked.connect(self.submit)
        self.table.doubleClicked.connect(self._activated)

    def set_query(self, text: str, field: str | None, *, regex: bool = False) -> None:
        self.query.setText(text)
        self.regex.setChecked(regex)
        self.field.setCurrentIndex(max(0, self.field.findData(field)))

    def submit(self) -> None:
        text = self.query.text()
        if not text.strip():
            self.totals.setText("Type a word and press Enter to search the selected range.")
            self.model.set_rows([])
            return
        self.totals.setText("Searching…")
        self.sig_search_requested.emit(text, self.regex.isChecked(), self.field.currentData())

    def show_result(self, result: SearchResult, range_label: str) -> None:
        self.model.set_rows(result.matches)
        more = " (first 5,000 listed)" if result.truncated else ""
        buckets = ", ".join(
            f"{name.removeprefix('aw-watcher-').split('_')[0]} {format_duration(us)}"
            for name, us in sorted(result.by_bucket.items(), key=lambda kv: -kv[1])
        )
        plural = "s" if result.count != 1 else ""
        self.totals.setText(
            f"{result.count:,} event{plural} · {format_duration(result.total_us)} in "
            f"{range_label}{more}" + (f" — {buckets}" if buckets else "")
        )

    def show_error(self, message: str) -> None:
        self.model.set_rows([])
        self.totals.setText(message)

    def _activated(self, index: QModelIndex) -> None:
        bucket, event = self.model.row_at(index.row())
        self.sig_event_activated.emit(bucket, event)


FieldFilter = Callable[[dict[str, object]], list[str]]
