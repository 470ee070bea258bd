"""Settings → Watchers: what is recorded and how often; what each watcher reads right now.

The status lines name the backend in use (``Active window: running (sway IPC)``) or say what
is missing; on GNOME on Wayland the page offers to install the TimelyGator GNOME Shell
extension, after saying what it does and asking.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
)
from timelygator.core.preferences import Preferences
from timelygator.gui.settings.page import SettingsPage, form_page
from timelygator.gui.tasks import TaskRunner
from timelygator.watchers.desktop_integration import (
    InstallResult,
    gnome_extension_status,
    install_gnome_extension,
    installed_gnome_extension,
    is_gnome_wayland,
    user_extension_dir,
)
from timelygator.watchers.status import WatcherStatus, ordered_watchers, status_line

CONSENT_TITLE = "Install the TimelyGator GNOME Shell extension?"


def consent_text(environ: Mapping[str, str] | None) -> str:
    return (
        "GNOME on Wayland lets no program ask which window has focus. TimelyGator's small "
        "GNOME Shell extension answers that question, and only that one, on this login's "
        "session bus: the focused window's app and title. Nothing leaves the computer.\n\n"
        f"It is copied to {user_extension_dir(environ)} and turned on; GNOME starts it at "
        "your next login. You can remove it in GNOME's Extensions app or with "
        "'timelygator desktop-integration remove-gnome'."
    )


def _seconds(value: float, low: float, high: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSuffix(" s")
    box.setDecimals(1)
    box.setValue(value)
    return box


class WatchersPage(SettingsPage):
    title = "Watchers"

    def __init__(
        self,
        runner: TaskRunner | None = None,
        statuses: Mapping[str, WatcherStatus] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.runner = runner
        self.environ = environ
        form = form_page(self, "What TimelyGator records, and how often it looks.")
        self.window_enabled = QCheckBox("Record the active window (app and title)")
        self.window_poll = _seconds(1.0, 0.2, 60)
        self.afk_enabled = QCheckBox("Detect when I am away (no keyboard or mouse input)")
        self.afk_timeout = QSpinBox()
        self.afk_timeout.setRange(30, 3600)
        self.afk_timeout.setSuffix(" s")
        self.web_enabled = QCheckBox("Record the active browser tab (from browser history)")
        self.web_poll = _seconds(2.0, 0.5, 60)
        form.addRow(self.window_enabled)
        form.addRow("Window check interval:", self.window_poll)
        form.addRow(self.afk_enabled)
        form.addRow("Away after:", self.afk_timeout)
        form.addRow(self.web_enabled)
        form.addRow("Browser check interval:", self.web_poll)

        self.statuses: dict[str, WatcherStatus] = dict(statuses or {})
        self.status_label = QLabel()
        self.status_label.setObjectName("watcherStatus")
        self.status_label.setWordWrap(True)
        form.addRow("Now:", self.status_label)
        self._show_statuses()

        self.gnome_label = QLabel()
        self.gnome_label.setWordWrap(True)
        self.gnome_button = QPushButton()
        self.gnome_button.clicked.connect(lambda: self.ask_to_install_gnome_extension())
        self.consent: QMessageBox | None = None
        if is_gnome_wayland(environ):
            form.addRow("GNOME Shell extension:", self.gnome_label)
            form.addRow("", self.gnome_button)
            self._show_gnome_extension()
        else:
            self.gnome_label.hide()
            self.gnome_button.hide()

    # -- status ------------------------------------------------------------------------------
    def set_status(self, name: str, status: WatcherStatus) -> None:
        """A watcher's state changed (connected to WatcherHost.sig_status_changed)."""
        self.statuses[name] = status
        self._show_statuses()

    def _show_statuses(self) -> None:
        if not self.statuses:
            self.status_label.setText("The watchers are not running.")
            return
        order = ordered_watchers(self.statuses)
        self.status_label.setText("\n".join(status_line(n, self.statuses[n]) for n in order))

    # -- the GNOME Shell extension -----------------------------------------------------------
    def _show_gnome_extension(self, message: str | None = None) -> None:
        installed = installed_gnome_extension(self.environ) is not None
        self.gnome_label.setText(message or gnome_extension_status(self.environ))
        self.gnome_button.setText(
            "Reinstall the extension…" if installed else "Install the extension…"
        )

    def ask_to_install_gnome_extension(self) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(CONSENT_TITLE)
        box.setText(CONSENT_TITLE)
        box.setInformativeText(consent_text(self.environ))
        install = box.addButton("Install", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r: self._consent_given(box.clickedButton() is install))
        self.consent = box
        box.open()

    def _consent_given(self, yes: bool) -> None:
        self.consent = None
        if not yes:
            return
        environ = self.environ
        self.gnome_button.setEnabled(False)
        self.gnome_label.setText("Installing…")

        def done(result: InstallResult) -> None:
            self.gnome_button.setEnabled(True)
            self._show_gnome_extension(result.message)

        def failed(exc: BaseException) -> None:
            self.gnome_button.setEnabled(True)
            self.gnome_label.setText(f"The extension could not be installed: {exc}")

        if self.runner is None:  # no worker threads (a page on its own): a quick copy
            try:
                done(install_gnome_extension(environ))
            except OSError as exc:
                failed(exc)
            return
        self.runner.run(
            "gnome-extension",
            lambda: install_gnome_extension(environ),
            done,
            failed,
            keep_all=True,
            owner=self,
        )

    # -- preferences -----------------------------------------------------------------------------
    def load(self, prefs: Preferences) -> None:
        w = prefs.watchers
        self.window_enabled.setChecked(w.window_enabled)
        self.window_poll.setValue(w.window_poll_s)
        self.afk_enabled.setChecked(w.afk_enabled)
        self.afk_timeout.setValue(int(w.afk_timeout_s))
        self.web_enabled.setChecked(w.web_enabled)
        self.web_poll.setValue(w.web_poll_s)

    def store(self, prefs: Preferences) -> None:
        w = prefs.watchers
        w.window_enabled = self.window_enabled.isChecked()
        w.window_poll_s = self.window_poll.value()
        w.afk_enabled = self.afk_enabled.isChecked()
        w.afk_timeout_s = float(self.afk_timeout.value())
        w.web_enabled = self.web_enabled.isChecked()
        w.web_poll_s = self.web_poll.value()
