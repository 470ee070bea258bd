"""Away time: after a long absence, ask what it was (keep as away, or record a manual entry).

The AFK watcher reports a return (``WatcherHost.sig_returned``); ``AwayPrompt`` shows one
small non-modal ``AwayDialog`` that does not take focus from whatever the user is doing. A
newer return replaces the question still unanswered, so at most one dialog is ever shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)
from timelygator.core.event import Event
from timelygator.core.timeutil import US_PER_S
from timelygator.gui.edit_dialogs import category_combo, manual_entry


def _clock(us: int, other_day: bool) -> str:
    moment = datetime.fromtimestamp(us / US_PER_S)
    return f"{moment:%a %H:%M}" if other_day else f"{moment:%H:%M}"


def away_length(start_us: int, end_us: int) -> str:
    """``53 min``, ``1 h 05 min``."""
    minutes = max(0, round((end_us - start_us) / (60 * US_PER_S)))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def away_question(start_us: int, end_us: int) -> str:
    """``You were away 10:12–11:05 (53 min). What were you doing?``."""  # noqa: RUF002
    first = datetime.fromtimestamp(start_us / US_PER_S).date()
    other_day = datetime.fromtimestamp(end_us / US_PER_S).date() != first
    span = f"{_clock(start_us, other_day)}–{_clock(end_us, other_day)}"  # noqa: RUF001
    return f"You were away {span} ({away_length(start_us, end_us)}). What were you doing?"


class AwayDialog(QDialog):
    """The question about one absence; *Record* makes it a manual entry, *Keep* does nothing."""

    def __init__(
        self,
        start_us: int,
        end_us: int,
        paths: Sequence[tuple[str, ...]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("awayDialog")
        self.setWindowTitle("Welcome back — TimelyGator")
        self.setModal(False)
        # Shown without taking focus from the app the user just came back to.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.start_us = start_us
        self.end_us = end_us
        self.question = QLabel("")
        self.question.setObjectName("awayQuestion")
        self.question.setWordWrap(True)
        self.what = QLineEdit()
        self.what.setPlaceholderText("e.g. Lunch with the team, phone call")
        self.category = category_combo(paths, None)
        self.error = QLabel("")
        self.error.setObjectName("errorText")
        form = QFormLayout(self)
        form.addRow(self.question)
        form.addRow("What:", self.what)
        form.addRow("Category:", self.category)
        form.addRow(self.error)
        self.buttons = QDialogButtonBox()
        self.record_button = QPushButton("Record as entry")
        self.record_button.setObjectName("awayRecord")
        self.keep_button = QPushButton("Keep as away")
        self.keep_button.setObjectName("awayKeep")
        self.buttons.addButton(self.record_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.set_span(start_us, end_us)

    def set_span(self, start_us: int, end_us: int) -> None:
        """Ask about this absence instead (a newer return replaces an unanswered one)."""
        self.start_us, self.end_us = start_us, end_us
        self.question.setText(away_question(start_us, end_us))
        self.error.setText("")

    def _check(self) -> None:
        if not self.what.text().strip():
            self.error.setText("Say what you were doing, or keep it as away.")
            return
        self.accept()

    def entry(self) -> Event:
        return manual_entry(
            self.start_us, self.end_us, self.what.text(), self.category.currentData()
        )


class AwayPrompt(QObject):
    """Owns the one away dialog; *Record* hands the entry to ``record`` (undoable)."""

    sig_recorded = Signal(object)
    """The user recorded an absence as this manual entry (Event)."""

    def __init__(
        self,
        parent_widget: QWidget,
        paths: Callable[[], Sequence[tuple[str, ...]]],
        record: Callable[[Event], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._parent_widget = parent_widget
        self._paths = paths
        self._record = record
        self.dialog: AwayDialog | None = None

    def ask(self, start_us: int, end_us: int) -> AwayDialog:
        """Show the question for this absence (reusing an unanswered dialog)."""
        dialog = self.dialog
        if dialog is not None:
            dialog.set_span(start_us, end_us)
            return dialog
        dialog = self.dialog = AwayDialog(start_us, end_us, self._paths(), self._parent_widget)
        dialog.accepted.connect(lambda: self._answered(dialog, record=True))
        dialog.rejected.connect(lambda: self._answered(dialog, record=False))
        dialog.show()
        return dialog

    def _answered(self, dialog: AwayDialog, *, record: bool) -> None:
        if self.dialog is dialog:
            self.dialog = None
        if record:
            entry = dialog.entry()
            self._record(entry)
            self.sig_recorded.emit(entry)
        dialog.deleteLater()

    def close(self) -> None:
        """Drop an unanswered question (shutdown)."""
        if self.dialog is not None:
            dialog, self.dialog = self.dialog, None
            dialog.close()
            dialog.deleteLater()
