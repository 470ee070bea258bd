"""Base of a settings page: load from a preferences copy, write back into it on OK."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget
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
