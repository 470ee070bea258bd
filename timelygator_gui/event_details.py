"""The details panel under the timeline, and the text used for tooltips."""

from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from timelygator.core.analytics.report import format_duration
from timelygator.core.event import Event


def _clock(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6).strftime("%a %d %b, %H:%M:%S")


def describe_event(kind: str, event: Event, category: tuple[str, ...] | None) -> str:
    """Plain-text lines: app, title/URL, category, start, end, duration."""
    data = event.data
    lines = []
    if kind == "afk":
        lines.append("Away from the computer" if data.get("status") == "afk" else "Active")
    else:
        for key, label in (
            ("app", "App"),
            ("title", "Title"),
            ("url", "URL"),
            ("file", "File"),
            ("project", "Project"),
            ("language", "Language"),
        ):
            value = data.get(key)
            if value:
                text = str(value)
                lines.append(f"{label}: {text if len(text) < 120 else text[:117] + '…'}")
    if category is not None:
        lines.append("Category: " + " › ".join(category))  # noqa: RUF001
    lines.append(f"Start: {_clock(event.start_us)}")
    lines.append(f"End: {_clock(event.end_us)}")
    lines.append(f"Duration: {format_duration(event.end_us - event.start_us)}")
    return "\n".join(lines)


class EventDetails(QWidget):
    """Shows the selected span under a row of actions that never moves.

    The actions sit in one row above the text, always in the same place and order, enabled
    or not: showing a span never moves a button under the pointer, and Delete stands apart
    at the far end, never where a harmless button just was.
    """

    sig_edit_requested = Signal()
    """The user wants to rename or recategorize the selected span."""
    sig_delete_requested = Signal()
    """The user wants to delete the selected span."""
    sig_add_requested = Signal()
    """The user wants to add a manual entry."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventDetails")
        self.text = QLabel()
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.add_button = QPushButton("Add manual entry…")
        self.edit_button = QPushButton("Rename / recategorize…")
        self.delete_button = QPushButton("Delete span")
        self.delete_button.setObjectName("deleteSpanButton")
        self.edit_button.clicked.connect(self.sig_edit_requested)
        self.delete_button.clicked.connect(self.sig_delete_requested)
        self.add_button.clicked.connect(self.sig_add_requested)
        self.notice = UndoNotice()
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.addWidget(self.add_button)
        actions.addWidget(self.edit_button)
        actions.addWidget(self.notice, 1)
        actions.addWidget(self.delete_button)
        scroll = QScrollArea()
        scroll.setWidget(self.text)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Room for a span's lines (lane, app, title, URL, category, start, end, duration).
        scroll.setMinimumHeight(self.fontMetrics().lineSpacing() * 8 + 8)
        layout = QVBoxLayout(self)
        layout.addLayout(actions)
        layout.addWidget(scroll, 1)
        self.clear_event()

    def clear_event(self) -> None:
        self.text.setText(
            "<span style='color:#888'>Hover over a span for details; click to select it. "
            "Scroll or press +/− to zoom, drag or use ←/→ to pan, 0 to see the whole range."  # noqa: RUF001
            "</span>"
        )
        self.edit_button.setEnabled(False)
        self.delete_button.setEnabled(False)

    def show_event(
        self,
        bucket: str | None,
        kind: str,
        event: Event,
        category: tuple[str, ...] | None,
        source: str | None = None,
        note: str = "",
        read_only: bool = False,
    ) -> None:
        """The span's details; ``source`` names its lane, ``note`` says why it is read-only
        (``read_only``: another computer's span, pulled by the sync)."""
        lines = describe_event(kind, event, category).split("\n")
        rows = "".join(
            f"<tr><td style='color:#888;padding-right:8px'>{escape(k)}</td>"
            f"<td>{escape(v.strip())}</td></tr>"
            for k, _, v in (line.partition(":") for line in lines)
        )
        heading = escape(source or bucket or "Active time by category")
        extra = f"<div style='color:#888'>{escape(note)}</div>" if note else ""
        self.text.setText(f"<div style='color:#888'>{heading}</div><table>{rows}</table>{extra}")
        editable = bucket is not None and event.id is not None and not read_only
        self.edit_button.setEnabled(editable)
        self.delete_button.setEnabled(editable)


class UndoNotice(QWidget):
    """ "Deleted 'title' — Undo": shown after a delete, hidden after a while or on Undo."""

    sig_undo_requested = Signal()
    """The user pressed Undo on the notice."""

    SHOWN_MS = 12_000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoNotice")
        self.label = QLabel()
        self.undo_button = QPushButton("Undo")
        self.undo_button.setObjectName("undoButton")
        self.undo_button.clicked.connect(self._undo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 0, 12, 0)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.undo_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.SHOWN_MS)
        self._timer.timeout.connect(self.dismiss)
        # The row keeps its height whether or not the notice shows.
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.dismiss()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.label.setVisible(True)
        self.undo_button.setVisible(True)
        self._timer.start()

    def dismiss(self) -> None:
        self._timer.stop()
        self.label.setVisible(False)
        self.undo_button.setVisible(False)

    def _undo(self) -> None:
        self.dismiss()
        self.sig_undo_requested.emit()
