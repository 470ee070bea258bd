"""Dialogs sized to what they show: never narrower than their title or their text."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLineEdit

MIN_WIDTH = 440  # px: a comfortable form at the default font


def fit_width(dialog: QDialog, *texts: str, extra: int = 80) -> None:
    """At least ``MIN_WIDTH``, wide enough for the window title (plus the title bar's
    buttons) and for each of ``texts`` on one line (plus ``extra`` for the margins)."""
    metrics = dialog.fontMetrics()
    wanted = [MIN_WIDTH, metrics.horizontalAdvance(dialog.windowTitle()) + 160]
    wanted += [metrics.horizontalAdvance(text) + extra for text in texts]
    dialog.setMinimumWidth(min(max(wanted), 900))


def fit_line(edit: QLineEdit, characters: int = 60) -> None:
    """A line edit wide enough for ``characters`` average characters."""
    edit.setMinimumWidth(edit.fontMetrics().averageCharWidth() * characters)
