"""Light / dark / follow-system theme for widgets and pyqtgraph plots.

Widgets take their colours from the application palette. pyqtgraph plots do not: their
background, axes, grid, legend and text are set from the palette by ``style_plot``, which every
view holding a plot calls when Qt tells it the palette changed (``PaletteChange``), so a theme
switch reaches plots already on screen. ``ThemeManager`` applies the user's choice, keeps
following the system's light/dark setting while "Follow system" is chosen, and remembers the
choice outside the encrypted database (``ui.ini``) so the window opens in it before unlock.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication
from timelygator.gui.resources import read_text

THEMES = ("system", "light", "dark")
THEME_KEY = "appearance/theme"  # in ui.ini: the last theme the preferences held


def _dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#2a2b2e",
        QPalette.ColorRole.AlternateBase: "#303134",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2f3033",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.Highlight: "#3d7be0",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#303134",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Mid: "#3c4043",
        QPalette.ColorRole.Light: "#4a4d51",
        QPalette.ColorRole.Dark: "#17181a",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8",
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#7f8388"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#7f8388"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#7f8388"))
    return p


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return bool(hints.colorScheme() == Qt.ColorScheme.Dark)


def is_dark_palette(palette: QPalette) -> bool:
    """Whether ``palette`` is a dark one (its window darker than its text)."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return window.lightness() < text.lightness()


def apply_theme(app: QApplication, theme: str = "system") -> bool:
    """Apply ``light``, ``dark`` or ``system``; returns True when dark."""
    dark = theme == "dark" or (theme == "system" and system_is_dark())
    apply_palette(app, dark)
    return dark


def apply_palette(app: QApplication, dark: bool) -> None:
    """The Fusion style with the light or the dark palette, and the app's style sheet."""
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(read_text("styles", "app.qss"))
    palette = app.palette()
    # Plots created from now on start in the theme's colours; ``style_plot`` restyles others.
    pg.setConfigOptions(
        background=palette.color(QPalette.ColorRole.Base),
        foreground=palette.color(QPalette.ColorRole.WindowText),
        antialias=False,
    )


def is_palette_change(event: QEvent) -> bool:
    """True for the events Qt sends a widget when the application palette changed."""
    return event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


def style_plot(plot: pg.PlotWidget, palette: QPalette, *, grid_alpha: float = 0.15) -> None:
    """Background, axes, grid and legend of ``plot`` in ``palette``'s colours."""
    background = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.WindowText)
    plot.setBackground(background)
    item = plot.getPlotItem()
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))
        if axis.grid is not False:
            axis.setGrid(int(grid_alpha * 255))
    legend = item.legend
    if legend is not None:
        fill = QColor(background)
        fill.setAlpha(210)
        legend.setBrush(pg.mkBrush(fill))
        legend.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
        legend.setLabelTextColor(text)
        for _sample, label in legend.items:
            label.setText(label.text, color=text)


class ThemeManager(QObject):
    """Applies the chosen theme and follows the system's while "Follow system" is chosen."""

    sig_changed = Signal(bool)
    """The theme was applied: True when it is dark."""

    def __init__(
        self,
        app: QApplication,
        settings: QSettings | None = None,
        parent: QObject | None = None,
        *,
        system_dark: Callable[[], bool] = system_is_dark,
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._system_dark = system_dark
        self._settings = settings
        remembered = str(settings.value(THEME_KEY, "system")) if settings else "system"
        self.theme = remembered if remembered in THEMES else "system"
        self.dark = False
        # A bound method: Qt drops the connection when this manager is deleted.
        app.styleHints().colorSchemeChanged.connect(self._system_changed)

    def apply(self, theme: str | None = None) -> None:
        """Apply ``theme`` (or the current one again) and remember it for the next start."""
        if theme is not None:
            self.theme = theme if theme in THEMES else "system"
        self.dark = self.theme == "dark" or (self.theme == "system" and self._system_dark())
        apply_palette(self._app, self.dark)
        if self._settings is not None:
            self._settings.setValue(THEME_KEY, self.theme)
        self.sig_changed.emit(self.dark)

    def _system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.theme == "system":
            self.apply()
