"""The details panel under the timeline, and the text used for tooltips."""

from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.analytics.report import format_duration
from core.event import Event


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
    """Shows the selected span with edit actions."""

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
        self.edit_button = QPushButton("Rename / recategorize…")
        self.delete_button = QPushButton("Delete span")
        self.add_button = QPushButton("Add manual entry…")
        self.edit_button.clicked.connect(self.sig_edit_requested)
        self.delete_button.clicked.connect(self.sig_delete_requested)
        self.add_button.clicked.connect(self.sig_add_requested)
        buttons = QVBoxLayout()
        for button in (self.edit_button, self.delete_button, self.add_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
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
        self, bucket: str | None, kind: str, event: Event, category: tuple[str, ...] | None
    ) -> None:
        lines = describe_event(kind, event, category).split("\n")
        rows = "".join(
            f"<tr><td style='color:#888;padding-right:8px'>{escape(k)}</td>"
            f"<td>{escape(v.strip())}</td></tr>"
            for k, _, v in (line.partition(":") for line in lines)
        )
        source = f"<div style='color:#888'>{escape(bucket or 'Active time by category')}</div>"
        self.text.setText(f"{source}<table>{rows}</table>")
        editable = bucket is not None and event.id is not None
        self.edit_button.setEnabled(editable)
        self.delete_button.setEnabled(editable)
