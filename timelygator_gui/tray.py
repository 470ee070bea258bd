"""The tray icon: status (tracking / paused / error) and the menu."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon
from timelygator.gui.icons import status_icon
from timelygator.watchers.status import WatcherStatus, ordered_watchers, status_line

#: Menu lines are cut here (the tooltip and Settings → Watchers have the whole text).
MENU_LINE_CHARS = 90


class TrackingState(StrEnum):
    TRACKING = "tracking"
    PAUSED = "paused"
    ERROR = "error"
    STARTING = "starting"


PAUSES = (
    ("Pause for 15 minutes", 15 * 60),
    ("Pause for 1 hour", 3600),
    ("Pause until resumed", None),
)


class Tray(QObject):
    """Tray icon and menu; emits what the user picked."""

    sig_open_requested = Signal()
    """Open (show and raise) the main window."""
    sig_pause_requested = Signal(object)
    """Pause tracking for this many seconds (None = until resumed)."""
    sig_resume_requested = Signal()
    """Resume tracking now."""
    sig_settings_requested = Signal()
    """Open the settings dialog."""
    sig_quit_requested = Signal()
    """Quit the app (stop tracking)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.status_action = QAction("Starting…", self.menu)
        self.status_action.setEnabled(False)
        self.menu.addAction(self.status_action)
        # One line per watcher, in WATCHER_LABELS order, added as the watchers report.
        self.watcher_actions: dict[str, QAction] = {}
        self.watcher_statuses: dict[str, WatcherStatus] = {}
        self.api_action = QAction("Local API: off", self.menu)
        self.api_action.setEnabled(False)
        self.menu.addAction(self.api_action)
        self.menu.addSeparator()
        self.open_action = self.menu.addAction("Open TimelyGator")
        self.open_action.triggered.connect(self.sig_open_requested)
        self.pause_actions = []
        for text, seconds in PAUSES:
            action = self.menu.addAction(text)
            action.triggered.connect(lambda _c=False, s=seconds: self.sig_pause_requested.emit(s))
            self.pause_actions.append(action)
        self.resume_action = self.menu.addAction("Resume tracking")
        self.resume_action.triggered.connect(self.sig_resume_requested)
        self.menu.addSeparator()
        self.menu.addAction("Settings…").triggered.connect(self.sig_settings_requested)
        self.menu.addAction("Quit TimelyGator").triggered.connect(self.sig_quit_requested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.state = TrackingState.STARTING
        self._state_text = "Starting…"
        self.set_state(TrackingState.STARTING, "Starting…")

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_state(self, state: TrackingState, text: str) -> None:
        self.state = state
        self._state_text = text
        icon: QIcon = status_icon(state.value)
        self.icon.setIcon(icon)
        self._update_tooltip()
        self.status_action.setText(text)
        paused = state is TrackingState.PAUSED
        for action in self.pause_actions:
            action.setEnabled(state is TrackingState.TRACKING)
        self.resume_action.setEnabled(paused)

    def set_watcher_status(self, name: str, status: WatcherStatus) -> None:
        """Show what a watcher reads from (or what it lacks) in the menu and the tooltip."""
        self.watcher_statuses[name] = status
        line = status_line(name, status)
        action = self.watcher_actions.get(name)
        if action is None:
            action = QAction(self.menu)
            action.setEnabled(False)
            self.watcher_actions[name] = action
            order = ordered_watchers(self.watcher_actions)
            following = order[order.index(name) + 1 :]
            before = self.watcher_actions[following[0]] if following else self.api_action
            self.menu.insertAction(before, action)
        short = line if len(line) <= MENU_LINE_CHARS else line[: MENU_LINE_CHARS - 1] + "…"
        action.setText(short)
        action.setToolTip(line)
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        lines = [f"TimelyGator — {self._state_text}"]
        lines += [
            status_line(n, self.watcher_statuses[n])
            for n in ordered_watchers(self.watcher_statuses)
        ]
        self.icon.setToolTip("\n".join(lines))

    def set_api_status(self, text: str) -> None:
        """Show the local API's status sentence in the menu."""
        short = text.split(" (")[0].rstrip(".")  # the reason's first clause is enough here
        self.api_action.setText(f"Local API: {short[:1].lower()}{short[1:]}")

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.sig_open_requested.emit()
