"""The settings dialog: pages on the left; edits copies, OK applies, Cancel restores."""

from __future__ import annotations

from PySide6.QtCore import Signal, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from timelygator.core.categories.model import Category
from timelygator.core.categories.stored import replace_stored_categories
from timelygator.core.preferences import Preferences, save_preferences
from timelygator.gui.api_host import ApiHost
from timelygator.gui.date_range import DateRange
from timelygator.gui.diagnostics import diagnostics
from timelygator.gui.session import Session
from timelygator.gui.settings.api_page import ApiPage
from timelygator.gui.settings.categories_page import CategoriesPage
from timelygator.gui.settings.data_page import DataPage
from timelygator.gui.settings.page import SettingsPage
from timelygator.gui.settings.simple_pages import GeneralPage, PrivacyPage
from timelygator.gui.settings.sync_page import SyncPage
from timelygator.gui.settings.watchers_page import WatchersPage
from timelygator.gui.sync_host import SyncHost
from timelygator.gui.tasks import TaskRunner
from timelygator.gui.watcher_host import WatcherHost
from timelygator.watchers.status import ordered_watchers, status_line


class SettingsDialog(QDialog):
    """Every page edits ``self.prefs`` (a copy); OK stores it through the writer."""

    sig_applied = Signal(object, bool)
    """OK was pressed: the new Preferences, and whether categories changed. The session has
    them already; they are being stored (``sig_saved`` follows, or ``sig_save_failed``)."""
    sig_saved = Signal()
    """What OK applied is stored (committed)."""
    sig_save_failed = Signal(object)
    """Storing what OK applied failed (the exception): it applies until the app closes."""

    def __init__(
        self,
        session: Session,
        runner: TaskRunner,
        api_host: ApiHost | None = None,
        parent: QWidget | None = None,
        sample: DateRange | None = None,
        watcher_host: WatcherHost | None = None,
        sync_host: SyncHost | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("TimelyGator Settings")
        self.resize(900, 640)
        self.session = session
        self.runner = runner
        self.prefs: Preferences = session.preferences.copy()
        services = session.services
        self.categories_page = CategoriesPage(session.categories, services, runner, sample)
        self.finished.connect(self.categories_page.stop_sample)
        self.api_page = ApiPage(
            services, runner, api_host.status if api_host is not None else "Off"
        )
        self.sync_page = SyncPage(services, runner, sync_host)
        self.data_page = DataPage(services, runner)
        self.general_page = GeneralPage(services.dirs.logs)
        self.watcher_host = watcher_host
        self.general_page.sig_copy_diagnostics_requested.connect(self._collect_diagnostics)
        self.watchers_page = WatchersPage(
            runner, watcher_host.statuses if watcher_host is not None else None
        )
        self.pages: list[QWidget] = [
            self.categories_page,
            self.watchers_page,
            PrivacyPage(),
            self.api_page,
            self.sync_page,
            self.data_page,
            self.general_page,
        ]
        self.page_list = QListWidget()
        self.page_list.setFixedWidth(150)
        self.stack = QStackedWidget()
        for page in self.pages:
            self.page_list.addItem(getattr(page, "title", "Page"))
            self.stack.addWidget(page)
            if isinstance(page, SettingsPage):
                page.load(self.prefs)
        if api_host is not None:
            api_host.sig_status_changed.connect(self.api_page.set_status)
        if watcher_host is not None:
            watcher_host.sig_status_changed.connect(self.watchers_page.set_status)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.page_list.setCurrentRow(0)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.buttons)

    def _collect_diagnostics(self) -> None:
        """The report of ``timelygator --diagnose`` plus what only the app knows (Qt, the
        running watchers), collected on a worker: the backend check asks the desktop."""
        app = QGuiApplication.instance()
        platform = app.platformName() if isinstance(app, QGuiApplication) else "?"
        extra = [f"Qt {qVersion()}, platform plugin '{platform}'"]
        statuses = dict(self.watcher_host.statuses) if self.watcher_host is not None else {}
        running = [status_line(name, statuses[name]) for name in ordered_watchers(statuses)]
        dirs = self.session.services.dirs
        page = self.general_page
        self.runner.run(
            "diagnostics",
            lambda: diagnostics(dirs, extra=extra, watchers=running),
            page.show_diagnostics,
            lambda exc: page.show_diagnostics(None, str(exc)),
        )

    def show_page(self, title: str) -> None:
        for row, page in enumerate(self.pages):
            if getattr(page, "title", "") == title:
                self.page_list.setCurrentRow(row)

    def apply(self) -> None:
        """Apply the edited copies to the session, store them, and close.

        The views reload with the new settings at once: they do not wait for the store,
        which may sit behind other writes (a year's statistics being stored). A rule that
        does not compile keeps the dialog open on it: nothing is applied or stored.
        """
        if self.categories_page.rule_error is not None:
            self.show_page(self.categories_page.title)
            self.categories_page.regex.setFocus()
            return
        for page in self.pages:
            if isinstance(page, SettingsPage):
                page.store(self.prefs)
        services = self.session.services
        futures = [save_preferences(services.writer, services.user_id, self.prefs)]
        changed = self.categories_page.changed
        if changed:
            categories = self.categories_page.categories()
            snapshot = [Category(list(c.name), c.rule, c.color, c.score) for c in categories]
            user_id = services.user_id
            futures.append(
                services.writer.call(
                    lambda conn: replace_stored_categories(conn, user_id, snapshot)
                )
            )
            self.session.categories = categories
        remaining = [len(futures)]

        def stored(_r: object) -> None:
            remaining[0] -= 1
            if remaining[0] == 0:
                self.sig_saved.emit()

        def failed(exc: object) -> None:
            if remaining[0] >= 0:  # one report, however many of the saves failed
                remaining[0] = -1
                self.sig_save_failed.emit(exc)

        self.buttons.setEnabled(False)
        for future in futures:
            self.runner.when_done("settings-save", future, stored, failed, owner=self)
        self.accept()
        self.sig_applied.emit(self.prefs.copy(), changed)
