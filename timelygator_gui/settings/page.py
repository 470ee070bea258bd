"""Base of a settings page: load from a preferences copy, write back into it on OK."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget
from timelygator.core.errors import ValidationError
from timelygator.core.preferences import Preferences


class SettingsPage(QWidget):
    """A page edits a copy of the preferences; nothing is stored until OK."""

    title = "Page"

    def load(self, prefs: Preferences) -> None:
        """Show ``prefs`` in the widgets."""

    def store(self, prefs: Preferences) -> None:
        """Write the widgets' values into ``prefs``."""


def form_page(page: QWidget, intro: str) -> QFormLayout:
    """The page's introduction, then its form at the top; spare height stays below."""
    outer = QVBoxLayout(page)
    label = QLabel(intro)
    label.setWordWrap(True)
    label.setObjectName("pageIntro")
    outer.addWidget(label)
    form = QFormLayout()
    outer.addLayout(form)
    outer.addStretch(1)
    return form


def checked(text: str, note: QLabel, check: Callable[[str], object]) -> bool:
    """Whether ``text`` may be saved (empty, or what ``check`` accepts); ``note`` says why
    not, in ``check``'s words."""
    if text.strip():
        try:
            check(text)
        except ValidationError as exc:
            note.setText(f"{exc} It will not be saved.")
            return False
    note.setText("")
    return True
