"""Themes reach every widget and plot, survive a restart, and follow the system's setting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services
from timelygator.gui.app_controller import AppController
from timelygator.gui.autostart import Autostart
from timelygator.gui.settings.dialog import SettingsDialog
from timelygator.gui.theme import ThemeManager, apply_palette, is_dark_palette
from timelygator.gui.timeline_view import TimelineView
from timelygator.gui.trends_view import TrendsView

from tests.gui.app_helpers import finish_app, start_app

DARK_BASE = "#2a2b2e"  # the dark palette's base: plot backgrounds
DARK_TEXT = "#e8eaed"


@pytest.fixture(autouse=True)
def light_afterwards(qapp: QApplication) -> Iterator[None]:
    """Other tests expect the light palette a new process starts with."""
    apply_palette(qapp, dark=False)
    yield
    apply_palette(qapp, dark=False)


def _controller(dirs: AppDirs, tmp_path: Path) -> AppController:
    return AppController(
        dirs, start_watchers=False, autostart=Autostart("linux", home=tmp_path, environ={})
    )


def _plot_colors(view: TimelineView | TrendsView) -> tuple[str, str]:
    """A plot's background and its bottom axis' text colour."""
    plot = view.plot
    axis = plot.getPlotItem().getAxis("bottom")
    return plot.backgroundBrush().color().name(), axis.textPen().color().name()


def test_dark_reaches_the_plots_and_survives_a_restart(
    dirs: AppDirs, tmp_path: Path, qapp: QApplication, qtbot: QtBot
) -> None:
    Services.open(dirs, None).close()
    first = start_app(_controller(dirs, tmp_path), qtbot)
    first.open_settings()
    dialog = first.dialog
    assert isinstance(dialog, SettingsDialog)
    qtbot.addWidget(dialog)
    dialog.show_page("General")
    general = dialog.general_page
    general.theme.setCurrentIndex(general.theme.findData("dark"))
    with qtbot.waitSignal(dialog.sig_applied, timeout=10_000):
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
    assert is_dark_palette(qapp.palette())
    window = first.window
    assert _plot_colors(window.timeline) == (DARK_BASE, DARK_TEXT)
    assert window.timeline.items._select_pen.color().name() == DARK_TEXT
    with qtbot.waitSignal(window.sig_trends_loaded, timeout=10_000):
        window.tabs.setCurrentWidget(window.trends)
    assert _plot_colors(window.trends) == (DARK_BASE, DARK_TEXT)
    legend = window.trends.plot.getPlotItem().legend
    assert legend.brush().color().name() == DARK_BASE
    assert all(label.opts["color"].name() == DARK_TEXT for _s, label in legend.items)
    finish_app(first, qtbot)

    apply_palette(qapp, dark=False)  # a new process starts light
    second = _controller(dirs, tmp_path)
    # Dark before the database is even unlocked (remembered in ui.ini)...
    assert is_dark_palette(qapp.palette())
    start_app(second, qtbot)
    # ...and after it, from the stored preferences, in every place that shows the theme.
    assert second.theme.theme == "dark"
    assert _plot_colors(second.window.timeline) == (DARK_BASE, DARK_TEXT)
    second.open_settings()
    dialog = second.dialog
    assert isinstance(dialog, SettingsDialog)
    qtbot.addWidget(dialog)
    assert dialog.general_page.theme.currentText() == "Dark"
    finish_app(second, qtbot)


def test_follow_system_follows_a_change_while_running(qapp: QApplication, qtbot) -> None:  # type: ignore[no-untyped-def]
    system = {"dark": False}
    manager = ThemeManager(qapp, system_dark=lambda: system["dark"])
    view = TimelineView()
    qtbot.addWidget(view)
    manager.apply("system")
    assert not is_dark_palette(qapp.palette())
    assert _plot_colors(view)[0] != DARK_BASE
    system["dark"] = True
    with qtbot.waitSignal(manager.sig_changed, timeout=2000) as changed:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert changed.args == [True]
    assert is_dark_palette(qapp.palette())
    qtbot.waitUntil(lambda: _plot_colors(view) == (DARK_BASE, DARK_TEXT), timeout=2000)
    assert view.palette().color(QPalette.ColorRole.Window).name() == "#202124"

    manager.apply("light")  # a chosen theme ignores the system
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not is_dark_palette(qapp.palette())
    manager.deleteLater()
