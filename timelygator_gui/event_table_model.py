"""A table model over (bucket, event) pairs: time, duration, source, app, title/URL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from timelygator.core.analytics.report import format_duration
from timelygator.core.event import Event

COLUMNS = ("Start", "Duration", "Source", "App / status", "Title / URL")
Index = QModelIndex | QPersistentModelIndex


def _source(bucket: str) -> str:
    name = bucket.removeprefix("aw-watcher-")
    return name.split("_")[0]


class EventTableModel(QAbstractTableModel):
    """Read-only rows; ``Qt.UserRole`` gives the ``(bucket, Event)`` pair."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, Event]] = []

    def set_rows(self, rows: list[tuple[str, Event]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> tuple[str, Event]:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        bucket, event = self._rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return (bucket, event)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(f"{k}: {v}" for k, v in event.data.items())
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        data = event.data
        if column == 0:
            return datetime.fromtimestamp(event.start_us / 1e6).strftime("%a %d %b %H:%M:%S")
        if column == 1:
            return format_duration(event.end_us - event.start_us)
        if column == 2:
            return _source(bucket)
        if column == 3:
            return str(data.get("app") or data.get("status") or data.get("project") or "")
        if column == 4:
            return str(data.get("url") or data.get("title") or data.get("file") or "")
        return None
