"""The app's lifecycle: first run, unlock, open on a worker, tray, pause, ordered shutdown."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog
from timelygator.core.analytics.localdays import AnalyticsSettings
from timelygator.core.errors import (
    KeyringUnavailableError,
    PassphraseRequiredError,
    TimelyGatorError,
    WrongKeyError,
)
from timelygator.core.keys import KeyStore
from timelygator.core.logs import add_secret, set_log_titles
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import Preferences, save_preferences
from timelygator.core.services import Services
from timelygator.core.timeutil import Clock
from timelygator.core.writer import WriterState
from timelygator.gui.api_host import ApiHost
from timelygator.gui.autostart import Autostart, describe
from timelygator.gui.away_dialog import AwayPrompt
from timelygator.gui.crash_handler import CrashHandler
from timelygator.gui.desktop_entry import DesktopEntry
from timelygator.gui.desktop_entry_offer import INSTALLED, DesktopEntryOffer, should_offer
from timelygator.gui.error_dialog import ErrorDialog, explain
from timelygator.gui.main_window import MainWindow
from timelygator.gui.maintenance import Maintenance
from timelygator.gui.open_progress import STEP_TEXT, TITLE, OpenProgress, OpenStep
from timelygator.gui.session import Session
from timelygator.gui.stats_warmer import StatsWarmer
from timelygator.gui.sync_host import SyncHost
from timelygator.gui.tasks import TaskRunner
from timelygator.gui.theme import ThemeManager
from timelygator.gui.tray import TrackingState, Tray
from timelygator.gui.unlock_dialogs import FirstRunDialog, UnlockDialog
from timelygator.gui.watcher_host import WatcherHost

log = logging.getLogger(__name__)

WARM_AFTER_MS = 3000  # the per-day statistics warm-up starts once the first view is drawn


def is_first_run(dirs: AppDirs) -> bool:
    """No database and no key file yet (a file check; the keyring is not asked)."""
    database = dirs.database
    return not (database.exists() and database.stat().st_size > 0) and not dirs.key_file.exists()


class AppController(QObject):
    """Owns the window, tray, services and hosts; drives start-up and shutdown."""

    sig_ready = Signal()
    """The data directory is open and the window shows it."""
    sig_finished = Signal(int)
    """Shutdown completed with this exit code (the app quits next)."""
    sig_writer_state = Signal(object, object)
    """The writer changed state: WriterState and the StorageError or None (any thread)."""
    sig_autostart_changed = Signal(bool)
    """The autostart entry was written (True) or removed (False)."""

    def __init__(
        self,
        dirs: AppDirs,
        passphrase: str | None = None,
        *,
        start_watchers: bool = True,
        probes: Any = None,
        start_minimized: bool = False,
        autostart: Autostart | None = None,
        parent: QObject | None = None,
        clock: Clock | None = None,
        from_terminal: bool = False,
        desktop_entry: DesktopEntry | None = None,
    ) -> None:
        """``start_minimized``: only the tray at first (``--minimized``, start at login);
        ``clock``: what "now" is for the watchers, the writer and "today" (tests fake it);
        ``from_terminal``: started by typing ``timelygator`` (then a pip install without a
        menu entry is offered one, once)."""
        super().__init__(parent)
        self.clock = clock
        self.dirs = dirs
        self.start_minimized = start_minimized
        self.autostart = autostart or Autostart()
        self.from_terminal = from_terminal
        self.desktop_entry = desktop_entry or DesktopEntry()
        self.desktop_offer: DesktopEntryOffer | None = None
        self.maintenance: Maintenance | None = None
        self.passphrase = passphrase
        self.start_watchers = start_watchers
        self.probes = probes
        self.session: Session | None = None
        self.services: Services | None = None
        self.watcher_host: WatcherHost | None = None
        self.api_host: ApiHost | None = None
        self.sync_host: SyncHost | None = None
        self.warmer: StatsWarmer | None = None
        self._warm_timer = QTimer(self)
        self._warm_timer.setSingleShot(True)
        self._warm_timer.setInterval(WARM_AFTER_MS)
        self._warm_timer.timeout.connect(self._start_warmer)
        self.enable_api_on_start = False
        self.dialog: QDialog | None = None
        self.exit_code = 0
        self._shutting_down = False
        self.runner = TaskRunner(self)
        # Opening and closing the data directory happen on one thread: the directory lock
        # (filelock, thread-local by default) must be released by the thread that took it.
        self.lifecycle = TaskRunner(self, pinned=True)
        self.crash = CrashHandler(self.show_error, self)
        self.open_progress = OpenProgress(self)
        self.open_progress.sig_step.connect(self._open_step)
        self.runner.sig_error.connect(lambda exc: self.crash.report(exc, "background work"))
        dirs.config.mkdir(parents=True, exist_ok=True)
        self.ui_settings = QSettings(str(dirs.config / "ui.ini"), QSettings.Format.IniFormat)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        # The theme the preferences held last time, before they can be read (after unlock).
        self.theme = ThemeManager(app, self.ui_settings, self)
        self.theme.apply()
        self.window = MainWindow(self.runner, self.ui_settings, clock=clock)
        self.tray = Tray(self)
        self.away = AwayPrompt(self.window, self.window.category_paths, self.window.record_entry)
        self.window.has_tray = Tray.available()
        self._resume_timer = QTimer(self)
        self._resume_timer.setSingleShot(True)
        self._resume_timer.timeout.connect(self.resume)
        self.tray.sig_open_requested.connect(self.window.bring_to_front)
        self.tray.sig_pause_requested.connect(self.pause)
        self.tray.sig_resume_requested.connect(self.resume)
        self.tray.sig_quit_requested.connect(self.quit)
        self.tray.sig_settings_requested.connect(self.open_settings)
        self.window.sig_quit_requested.connect(self.quit)
        self.window.sig_settings_requested.connect(self.open_settings)
        self.sig_writer_state.connect(self._on_writer_state)

    # -- start-up ---------------------------------------------------------------------------
    def start(self) -> None:
        """Show the window at once, then first-run / unlock as needed and open on a worker.

        Started minimized (and with a tray to come back from), only the tray icon shows.
        """
        if Tray.available():
            self.tray.show()
        if not self.start_minimized:
            self.window.show()
        elif not Tray.available():
            self.window.showMinimized()  # no tray to start in: a minimized window instead
        if is_first_run(self.dirs) and self.passphrase is None:
            keyring_ok = KeyStore(self.dirs).keyring_available()
            self._ask_first_run(keyring_ok)
        else:
            self._open(self.passphrase)

    def _ask_first_run(self, keyring_ok: bool) -> None:
        self.window.show()  # a question needs the user: minimized or not
        dialog = FirstRunDialog(self.dirs.data, keyring_ok, self.window)
        self.dialog = dialog

        def chosen() -> None:
            self.enable_api_on_start = dialog.enable_api.isChecked()
            self._open(dialog.chosen_passphrase())

        dialog.accepted.connect(chosen)
        dialog.rejected.connect(lambda: self.quit(0))
        dialog.open()

    def _ask_passphrase(self, message: str = "") -> None:
        self.window.show()
        dialog = UnlockDialog(self.dirs.data, message, self.window)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._open(dialog.passphrase.text()))
        dialog.rejected.connect(lambda: self.quit(0))
        dialog.open()

    def _open(self, passphrase: str | None) -> None:
        add_secret(passphrase)
        self.dialog = None
        self.window.status_label.setText(f"Opening {self.dirs.data}…")
        dirs = self.dirs
        progress = self.open_progress
        clock = self.clock

        def work() -> Session:
            # A schema upgrade reports its steps (backup, Alembic) to the window.
            services = Services.open(
                dirs, passphrase, create=True, progress=progress.report, clock=clock
            )
            try:
                return Session.load(services)
            except BaseException:
                services.close()
                raise

        self.lifecycle.run("open", work, self._opened, self._open_failed)

    def _open_step(self, step: OpenStep) -> None:
        if self.session is not None:
            return
        self.window.show_busy(TITLE, STEP_TEXT[step])
        self._set_tracking(TrackingState.STARTING, "upgrading the database")

    def _open_failed(self, exc: BaseException) -> None:
        self.window.hide_busy()
        if isinstance(exc, WrongKeyError):
            self._ask_passphrase(str(exc))
        elif isinstance(exc, PassphraseRequiredError):
            self._ask_passphrase()
        elif isinstance(exc, KeyringUnavailableError) and is_first_run(self.dirs):
            self._ask_first_run(keyring_ok=False)
        else:
            self.window.status_label.setText(str(exc))
            self.show_error(exc, "opening the data directory")
            self.quit(1)

    def _opened(self, session: Session) -> None:
        if self._shutting_down:
            self.lifecycle.run("close", session.services.close, lambda _r: None, keep_all=True)
            return
        self.session = session
        self.services = services = session.services
        set_log_titles(session.preferences.general.log_titles)
        if session.preferences.general.theme != self.theme.theme:
            self.theme.apply(session.preferences.general.theme)
        services.writer.add_state_listener(lambda s, e: self.sig_writer_state.emit(s, e))
        self.window.attach(session)
        self.api_host = ApiHost(services, self)
        self.api_host.sig_status_changed.connect(self.tray.set_api_status)
        if self.enable_api_on_start and not session.preferences.api.enabled:
            session.preferences.api.enabled = True
            save_preferences(services.writer, services.user_id, session.preferences)
        self.api_host.start(session.preferences.api)
        self.sync_host = SyncHost(services, self)
        self.sync_host.start(session.preferences.sync, session.preferences.privacy)
        self.maintenance = Maintenance(services, self.runner, self._data_prefs, self)
        self.maintenance.sig_failed.connect(
            lambda text: self.window.status_label.setText(f"Scheduled backup failed: {text}")
        )
        self.maintenance.start()
        if self.start_watchers:
            self.watcher_host = WatcherHost(services, self.probes, self)
            self.watcher_host.sig_returned.connect(self.away.ask)
            self.watcher_host.sig_status_changed.connect(self.tray.set_watcher_status)
            self.watcher_host.start(session.preferences)
        self._set_tracking(TrackingState.TRACKING if self.start_watchers else TrackingState.PAUSED)
        self._warm_timer.start()
        self.sig_ready.emit()
        self._offer_desktop_entry()

    def _offer_desktop_entry(self) -> None:
        """Once, on Linux, when started from a terminal without a menu entry anywhere."""
        if self.start_minimized or not should_offer(
            self.ui_settings, self.desktop_entry, from_terminal=self.from_terminal
        ):
            return
        offer = DesktopEntryOffer(self.window, self.ui_settings, self.runner, self.desktop_entry)
        offer.sig_answered.connect(self._desktop_entry_answered)
        offer.sig_failed.connect(self.window.status_label.setText)
        self.desktop_offer = offer
        offer.ask()

    def _desktop_entry_answered(self, answer: str) -> None:
        if answer == INSTALLED:
            self.window.status_label.setText("TimelyGator is now in your applications menu.")

    def _start_warmer(self) -> None:
        session = self.session
        if session is None or self._shutting_down or self.warmer is not None:
            return
        hour = session.preferences.general.day_start_hour
        self.warmer = StatsWarmer(
            session.services, session.categories, AnalyticsSettings(day_start_s=hour * 3600),
            parent=self,
        )  # fmt: skip
        self.warmer.sig_finished.connect(lambda days: log.info("Statistics warm: %d days", days))
        self.window.insights.warmer = self.warmer  # a training waits for the warm-up
        self.warmer.start()

    def _data_prefs(self) -> Any:
        return (self.session.preferences if self.session else Preferences()).data

    # -- tracking state -----------------------------------------------------------------------
    def _set_tracking(self, state: TrackingState, detail: str = "") -> None:
        text = {
            TrackingState.TRACKING: "Tracking",
            TrackingState.PAUSED: "Paused",
            TrackingState.ERROR: "Not recording",
            TrackingState.STARTING: "Starting…",
        }[state]
        if detail:
            text = f"{text} — {detail}"
        self.tray.set_state(state, text)
        self.window.set_tracking_text(text)

    def pause(self, seconds: float | None) -> None:
        if self.watcher_host is not None:
            self.watcher_host.pause(seconds)
        self._resume_timer.stop()
        if seconds is not None:
            self._resume_timer.start(int(seconds * 1000))
            minutes = int(seconds // 60)
            self._set_tracking(TrackingState.PAUSED, f"for {minutes} min")
        else:
            self._set_tracking(TrackingState.PAUSED, "until resumed")

    def resume(self) -> None:
        self._resume_timer.stop()
        if self.watcher_host is not None:
            self.watcher_host.resume()
        self._set_tracking(TrackingState.TRACKING)

    def _on_writer_state(self, state: WriterState, error: object) -> None:
        if state is WriterState.FAILING:
            self._set_tracking(TrackingState.ERROR, str(error))
        elif state is WriterState.RUNNING and self.tray.state is TrackingState.ERROR:
            self._set_tracking(TrackingState.TRACKING)

    # -- settings -----------------------------------------------------------------------------
    def open_settings(self) -> None:
        if self.session is None:
            return
        from timelygator.gui.settings.dialog import SettingsDialog

        dialog = SettingsDialog(
            self.session, self.runner, self.api_host, self.window, self.window.navigator.range,
            watcher_host=self.watcher_host, sync_host=self.sync_host,
        )  # fmt: skip
        self.dialog = dialog
        dialog.sig_applied.connect(self.apply_preferences)
        dialog.sig_save_failed.connect(self.settings_not_saved)
        dialog.data_page.sig_imported.connect(self.window.reload)
        dialog.open()

    def apply_preferences(self, prefs: Preferences, categories_changed: bool) -> None:
        """Settings were OK'd: restart what depends on them and reload the views."""
        if self.session is None:
            return
        old = self.session.preferences
        self.session.preferences = prefs
        set_log_titles(prefs.general.log_titles)
        if self.watcher_host is not None and (
            prefs.watchers != old.watchers or prefs.privacy != old.privacy
        ):
            self.watcher_host.start(prefs)
        if self.api_host is not None and prefs.api != old.api:
            self.api_host.start(prefs.api)
        if self.sync_host is not None and (prefs.sync != old.sync or prefs.privacy != old.privacy):
            self.sync_host.start(prefs.sync, prefs.privacy)  # new privacy rules apply at once
        if prefs.general.start_at_login != old.general.start_at_login:
            self.set_start_at_login(prefs.general.start_at_login)
        if self.maintenance is not None and prefs.data != old.data:
            self.maintenance.run_now()  # a backup may be due now, or retention shorter
        if prefs.general.theme != old.general.theme:
            self.theme.apply(prefs.general.theme)
        self.window.attach(self.session)

    def set_start_at_login(self, on: bool) -> None:
        """Write or remove the OS's autostart entry (on a worker)."""
        entry = self.autostart

        def failed(exc: BaseException) -> None:
            self.show_error(exc, f"changing the autostart entry {describe(entry)}")

        def done(_result: object) -> None:
            self.sig_autostart_changed.emit(on)

        self.runner.run("autostart", lambda: entry.set_enabled(on), done, failed, keep_all=True)

    # -- errors -------------------------------------------------------------------------------
    def show_error(self, exc: BaseException, context: str = "") -> None:
        dialog = ErrorDialog.for_exception(exc, context, self.window)
        self.dialog = dialog
        dialog.open()

    def settings_not_saved(self, exc: BaseException) -> None:
        """OK'd settings are in use but could not be stored: say so, and until when."""
        self.show_error(exc, "saving the settings")
        dialog = self.dialog
        assert isinstance(dialog, ErrorDialog)
        dialog.what.setText("<b>Your settings could not be saved.</b>")
        dialog.todo.setText(
            f"{explain(exc)[0]} They apply until TimelyGator is closed; "
            "press OK in Settings again to save them."
        )

    # -- shutdown -----------------------------------------------------------------------------
    def quit(self, code: int = 0) -> None:
        """Ordered shutdown: watchers -> flush writer -> API -> close the database."""
        if self._shutting_down:
            return
        self._shutting_down = True
        self.exit_code = code
        self.window.quitting = True
        self.window.status_label.setText("Saving and closing…")
        self.away.close()
        self._warm_timer.stop()
        warmer = self.warmer
        if warmer is not None:
            warmer.request_stop()  # waited for on the lifecycle thread, before closing
        insights = self.window.insights
        insights.request_stop()  # a training stops at its next pause; waited for below
        if self.maintenance is not None:
            self.maintenance.stop()
        if self.watcher_host is not None:
            self.watcher_host.stop()
        self.window.detach()
        services, api, sync = self.services, self.api_host, self.sync_host

        runner = self.runner

        def flush_and_stop_api() -> None:
            runner.wait(60_000)  # a backup or import in progress finishes first
            insights.wait()
            if warmer is not None:
                warmer.wait()
            if sync is not None:
                sync.stop()  # after the page in progress
            if services is not None:
                services.writer.flush(10)
            if api is not None:
                api.wait()  # a start still queued finishes first, then everything stops
                api.stop_blocking(final=True)

        def close_rest(_result: object = None) -> None:
            self.lifecycle.run(
                "close",
                (services.close if services is not None else (lambda: None)),
                self._closed,
                lambda exc: self._closed(None, exc),
                keep_all=True,
            )

        self.lifecycle.run(
            "close", flush_and_stop_api, close_rest, lambda exc: close_rest(exc), keep_all=True
        )

    def _closed(self, _result: object, exc: BaseException | None = None) -> None:
        if exc is not None:
            log.error("closing failed: %s", exc)
        self.tray.hide()
        self.crash.uninstall()
        self.window.quitting = True
        self.window.hide()
        self.services = None
        self.sig_finished.emit(self.exit_code)


__all__ = ["AppController", "TimelyGatorError", "is_first_run"]
