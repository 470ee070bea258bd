"""The one-time offer to add TimelyGator to the applications menu (Linux, pip installs).

Someone who installed with pip and typed ``timelygator`` in a terminal has no menu entry yet.
The first time the app opens like that, it asks once whether to add one (the same files as
``timelygator desktop-entry install``). The answer is kept in ``ui.ini`` (``OFFER_KEY``), like
the close-without-tray question, so it is never asked again; delete that line to be asked
again. It is not offered when an entry exists (yours, or the package's for everyone), when
the app was not started from a terminal (a menu, autostart), or outside Linux.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QMessageBox, QWidget
from timelygator.gui.desktop_entry import DesktopEntry
from timelygator.gui.tasks import TaskRunner

OFFER_KEY = "desktop_entry/offer"  # "installed" or "declined", once answered
INSTALLED, DECLINED = "installed", "declined"


def should_offer(
    settings: QSettings, entry: DesktopEntry, *, from_terminal: bool, platform: str = sys.platform
) -> bool:
    """Linux, started from a terminal, never answered, and no menu entry anywhere yet."""
    return (
        platform.startswith("linux")
        and from_terminal
        and not str(settings.value(OFFER_KEY, ""))
        and not entry.installed()
        and entry.system_entry() is None
    )


class DesktopEntryOffer(QObject):
    """Asks (a window-modal question over ``window``) and installs on the task runner."""

    sig_answered = Signal(str)
    """The person answered: INSTALLED (once the files are written) or DECLINED."""
    sig_failed = Signal(str)
    """Writing the entry failed; the message says why."""

    def __init__(
        self, window: QWidget, settings: QSettings, runner: TaskRunner, entry: DesktopEntry
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.runner = runner
        self.entry = entry
        self.box: QMessageBox | None = None

    def ask(self) -> QMessageBox:
        box = QMessageBox(self.window)
        box.setObjectName("desktopEntryOffer")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Add TimelyGator to your applications menu?")
        box.setText("TimelyGator is not in your applications menu yet.")
        box.setInformativeText(
            "Add it, so you can start it like your other apps? This writes a menu entry and "
            "an icon for you only (~/.local/share). You can take it out again with "
            "'timelygator desktop-entry remove'."
        )
        add = box.addButton("Add to menu", QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton("No, thanks", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(add)
        box.setEscapeButton(no)

        def answered(_result: int) -> None:
            if box.clickedButton() is add:
                self._install()
            else:
                self._remember(DECLINED)

        box.finished.connect(answered)
        box.finished.connect(box.deleteLater)
        self.box = box
        box.open()
        return box

    def _remember(self, answer: str) -> None:
        self.settings.setValue(OFFER_KEY, answer)
        self.settings.sync()
        self.sig_answered.emit(answer)

    def _install(self) -> None:
        def failed(exc: BaseException) -> None:
            self.sig_failed.emit(f"Could not add TimelyGator to the menu: {exc}")

        self.runner.run(
            "desktop entry",
            self.entry.install,
            lambda _written: self._remember(INSTALLED),
            failed,
            keep_all=True,
        )


__all__ = ["OFFER_KEY", "DesktopEntryOffer", "should_offer"]
