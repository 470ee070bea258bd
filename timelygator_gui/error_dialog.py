"""The one error dialog: what happened, what to do, and details the user can copy."""

from __future__ import annotations

import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)
from timelygator.core.errors import (
    DatabaseLockedError,
    DiskFullError,
    KeyringUnavailableError,
    ReadOnlyError,
    StorageError,
    TimelyGatorError,
    WrongKeyError,
)

ADVICE: tuple[tuple[type[BaseException], str], ...] = (
    (DatabaseLockedError, "Close the other TimelyGator, or start this one with --data-dir."),
    (DiskFullError, "Free some disk space; tracking resumes by itself."),
    (ReadOnlyError, "Check the permissions of the data folder."),
    (WrongKeyError, "Try the passphrase again. Nothing was changed."),
    (KeyringUnavailableError, "Unlock the OS keyring, or protect the key with a passphrase."),
    (
        StorageError,
        "Your existing data is untouched. Try again; if it keeps happening, "
        "run 'timelygator db check' and report the details below.",
    ),
    (TimelyGatorError, "Correct the input and try again."),
)
BUG_ADVICE = (
    "This is a bug in TimelyGator. Your data is safe. Please report it with the details below; "
    "you can keep working, or restart the app if something looks wrong."
)


def explain(exc: BaseException) -> tuple[str, str]:
    """``(what happened, what to do)`` for an exception."""
    if isinstance(exc, TimelyGatorError):
        advice = next(text for kind, text in ADVICE if isinstance(exc, kind))
        return str(exc), advice
    return f"Something unexpected went wrong: {type(exc).__name__}.", BUG_ADVICE


def details_text(exc: BaseException, tb: TracebackType | None = None, context: str = "") -> str:
    lines = traceback.format_exception(type(exc), exc, tb or exc.__traceback__)
    header = f"Context: {context}\n" if context else ""
    return header + "".join(lines)


class ErrorDialog(QDialog):
    """Modal dialog with the two sentences and collapsible, copyable details."""

    def __init__(
        self,
        what: str,
        todo: str,
        details: str = "",
        title: str = "TimelyGator",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        icon = QLabel()
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40)
        )
        self.what = QLabel(f"<b>{what}</b>")
        self.what.setWordWrap(True)
        self.what.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.todo = QLabel(todo)
        self.todo.setWordWrap(True)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.details.setMinimumHeight(160)
        self.toggle = QPushButton("Show details")
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._toggle)
        self.toggle.setVisible(bool(details))
        self.copy = QPushButton("Copy details")
        self.copy.clicked.connect(self.copy_details)
        self.copy.setVisible(bool(details))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.toggle, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(icon)
        layout.addWidget(self.what)
        layout.addWidget(self.todo)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    @classmethod
    def for_exception(
        cls, exc: BaseException, context: str = "", parent: QWidget | None = None
    ) -> ErrorDialog:
        what, todo = explain(exc)
        return cls(what, todo, details_text(exc, context=context), parent=parent)

    def _toggle(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.toggle.setText("Hide details" if shown else "Show details")
        self.adjustSize()

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())
