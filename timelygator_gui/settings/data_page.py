"""Data page: retention, backups (schedule, back up now), export/import, passphrase."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
)
from timelygator.core import reader
from timelygator.core.awimport import (
    AwDatabase,
    AwImport,
    find_activitywatch_databases,
    import_activitywatch,
    is_sqlite_file,
)
from timelygator.core.backup import BackupFile, backup_now
from timelygator.core.importer import BucketImport, import_file
from timelygator.core.keys import KeyMode
from timelygator.core.maintenance import change_passphrase, set_passphrase
from timelygator.core.preferences import DataPrefs, Preferences
from timelygator.core.services import Services
from timelygator.core.transfer_format import write_export
from timelygator.gui.display_path import display_path
from timelygator.gui.maintenance import backup_folder, newest_backup
from timelygator.gui.settings.page import SettingsPage, form_page
from timelygator.gui.tasks import TaskRunner


def export_all(services: Services, path: Path) -> int:
    """Write every bucket and event in ActivityWatch's export form (``timelygator export``'s
    file, each event in the UTC offset it was captured with); returns the event count."""
    with services.read() as conn:
        return write_export(conn, reader.list_buckets(conn, services.user_id), path)


def describe_backup(backup: BackupFile | None) -> str:
    if backup is None:
        return "No backup yet."
    when = backup.created.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"Last backup: {when} ({backup.size_bytes / 1e6:.1f} MB), {backup.path.name}"


def describe_import(result: list[BucketImport]) -> str:
    imported = sum(b.imported for b in result)
    repeated = sum(b.repeated for b in result)
    skipped = sum(b.skipped for b in result) - repeated
    text = f"Imported {imported:,} events into {len(result)} buckets"
    notes = []
    if skipped:
        notes.append(f"{skipped:,} already present, skipped")
    if repeated:
        notes.append(f"{repeated:,} exact repeats within the file stored once")
    return text + (f" ({'; '.join(notes)})." if notes else ".")


class DataPage(SettingsPage):
    title = "Data"

    sig_backup_shown = Signal()
    """The last-backup line was updated (after loading, or after "Back up now")."""
    sig_imported = Signal()
    """An import finished and wrote events (the views should reload)."""
    sig_import_done = Signal()
    """An import attempt ended (imported or failed); its result is shown."""
    sig_activitywatch_found = Signal()
    """An ActivityWatch database was found: the import from it is offered."""

    def __init__(self, services: Services, runner: TaskRunner) -> None:
        super().__init__()
        self.services = services
        self.runner = runner
        where = display_path(services.dirs.data)
        form = form_page(self, f"Your data is stored encrypted in {where}.")
        self.retention = QSpinBox()
        self.retention.setRange(0, 3650)
        self.retention.setSpecialValueText("Keep forever")
        self.retention.setSuffix(" days")
        self.retention_note = QLabel(
            "Old events are deleted from the database and from the backups alike."
        )
        self.retention_note.setObjectName("retentionNote")
        self.retention_note.setWordWrap(True)
        self.backup_dir = QLineEdit()
        self.backup_dir.setPlaceholderText(display_path(services.dirs.backups))
        self.backup_every = QSpinBox()
        self.backup_every.setRange(0, 90)
        self.backup_every.setSpecialValueText("Never")
        self.backup_every.setPrefix("every ")
        self.backup_every.setSuffix(" days")
        self.backups_kept = QSpinBox()
        self.backups_kept.setRange(1, 100)
        self.backups_kept.setPrefix("keep the last ")
        self.backups_kept.setSuffix(" backups")
        self.backup_button = QPushButton("Back up now")
        self.backup_status = QLabel("…")
        self.backup_status.setObjectName("backupStatus")
        self.backup_status.setWordWrap(True)
        self.export_button = QPushButton("Export all data…")
        self.export_status = QLabel("")
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("An ActivityWatch export (aw-buckets-export.json) or ours")
        self.import_status = QLabel("")
        self.import_status.setWordWrap(True)
        self.aw_button = QPushButton("Import from ActivityWatch")
        self.aw_button.setObjectName("importActivityWatch")
        self.aw_button.setVisible(False)
        self.aw_status = QLabel("")
        self.aw_status.setObjectName("activityWatchStatus")
        self.aw_status.setWordWrap(True)
        self.aw_status.setVisible(False)
        self.aw_database: Path | None = None
        self.old_pass = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.new_pass = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.confirm_pass = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.pass_button = QPushButton("Change passphrase")
        self.pass_status = QLabel("")
        self.pass_status.setWordWrap(True)
        export_row = QHBoxLayout()
        export_row.addWidget(self.export_button)
        export_row.addWidget(self.export_status, 1)
        import_row = QHBoxLayout()
        import_row.addWidget(self.import_button)
        import_row.addWidget(self.import_status, 1)
        aw_row = QHBoxLayout()
        aw_row.addWidget(self.aw_button)
        aw_row.addWidget(self.aw_status, 1)
        schedule_row = QHBoxLayout()
        schedule_row.addWidget(self.backup_every)
        schedule_row.addWidget(self.backups_kept)
        schedule_row.addStretch(1)
        backup_row = QHBoxLayout()
        backup_row.addWidget(self.backup_button)
        backup_row.addWidget(self.backup_status, 1)
        form.addRow("Delete events older than:", self.retention)
        form.addRow("", self.retention_note)
        form.addRow("Backup folder:", self.backup_dir)
        form.addRow("Back up:", schedule_row)
        form.addRow("", backup_row)
        form.addRow("Export:", export_row)
        form.addRow("Import:", import_row)
        form.addRow("", aw_row)
        self.key_mode = QLabel("")
        form.addRow("Key storage:", self.key_mode)
        form.addRow("Current passphrase:", self.old_pass)
        form.addRow("New passphrase:", self.new_pass)
        form.addRow("Repeat:", self.confirm_pass)
        form.addRow(self.pass_button, self.pass_status)
        self.export_button.clicked.connect(self.choose_export)
        self.import_button.clicked.connect(self.choose_import)
        self.aw_button.clicked.connect(lambda: self.import_activitywatch())
        self.backup_button.clicked.connect(self.back_up_now)
        self.pass_button.clicked.connect(self.change_passphrase)
        self.runner.run("key-mode", services.keystore.mode, self._show_mode)
        self.runner.run("find-activitywatch", find_activitywatch_databases, self._offer_aw)

    # -- ActivityWatch -----------------------------------------------------------------------
    def _offer_aw(self, found: list[AwDatabase]) -> None:
        """Offer the import when ActivityWatch's data folder holds a database."""
        if not found:
            return
        self.aw_database = found[0].path
        self.aw_button.setVisible(True)
        self.aw_status.setVisible(True)
        self.aw_status.setText(
            f"ActivityWatch's history was found ({display_path(found[0].path)}). Importing "
            "copies it; ActivityWatch's file is not changed, and importing twice adds nothing."
        )
        self.sig_activitywatch_found.emit()

    def import_activitywatch(self, path: Path | None = None) -> None:
        """Import ActivityWatch's database (the one found, or ``path``) on a worker."""
        source = path or self.aw_database
        if source is None:
            return
        services = self.services
        self.aw_button.setEnabled(False)
        self.aw_status.setText("Importing ActivityWatch's history…")

        def done(result: AwImport) -> None:
            self.aw_button.setEnabled(True)
            self.aw_status.setText(f"{describe_import(result.buckets)} {result.categories_note}")
            if any(b.imported for b in result.buckets):
                self.sig_imported.emit()
            self.sig_import_done.emit()

        def failed(exc: BaseException) -> None:
            self.aw_button.setEnabled(True)
            self.aw_status.setText(f"Import failed: {exc}")
            self.sig_import_done.emit()

        self.runner.run("import-aw", lambda: import_activitywatch(services, source), done,
                        failed, keep_all=True)  # fmt: skip

    def _show_mode(self, mode: KeyMode | None) -> None:
        if mode is KeyMode.PASSPHRASE:
            self.key_mode.setText("Key file protected by your passphrase")
        else:
            self.key_mode.setText("System keyring (set a passphrase below to use one instead)")
            self.old_pass.setEnabled(False)
            self.pass_button.setText("Protect with passphrase")

    def load(self, prefs: Preferences) -> None:
        d = prefs.data
        self.retention.setValue(d.retention_days)
        self.backup_dir.setText(d.backup_dir)
        self.backup_every.setValue(d.backup_every_days)
        self.backups_kept.setValue(d.backups_kept)
        self.refresh_backup_status()

    def store(self, prefs: Preferences) -> None:
        d = prefs.data
        d.retention_days = self.retention.value()
        d.backup_dir = self.backup_dir.text().strip()
        d.backup_every_days = self.backup_every.value()
        d.backups_kept = self.backups_kept.value()

    def _data_prefs(self) -> DataPrefs:
        prefs = Preferences()
        self.store(prefs)
        return prefs.data

    # -- backups ------------------------------------------------------------------------------
    def refresh_backup_status(self) -> None:
        folder = backup_folder(self.services, self._data_prefs())
        self.runner.run("backup-status", lambda: newest_backup(folder), self._show_backup)

    def _show_backup(self, backup: BackupFile | None) -> None:
        self.backup_status.setText(describe_backup(backup))
        self.sig_backup_shown.emit()

    def back_up_now(self) -> None:
        """A verified backup into the folder shown, now (on a worker)."""
        services, prefs = self.services, self._data_prefs()
        folder = backup_folder(services, prefs)
        self.backup_button.setEnabled(False)
        self.backup_status.setText("Backing up…")

        def done(backup: BackupFile) -> None:
            self.backup_button.setEnabled(True)
            self._show_backup(backup)

        def failed(exc: BaseException) -> None:
            self.backup_button.setEnabled(True)
            self.backup_status.setText(f"Backup failed: {exc}")
            self.sig_backup_shown.emit()

        self.runner.run(
            "backup-now", lambda: backup_now(services, folder, keep=prefs.backups_kept), done,
            failed, keep_all=True, owner=self,
        )  # fmt: skip

    # -- import -------------------------------------------------------------------------------
    def choose_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Import activity data",
            "",
            "JSON export (*.json);;ActivityWatch database (*.db);;All files (*)",
        )
        if name:
            self.import_from(Path(name))

    def import_from(self, path: Path) -> None:
        if is_sqlite_file(path):  # ActivityWatch's own database, picked by hand
            self.aw_button.setVisible(True)
            self.aw_status.setVisible(True)
            self.import_activitywatch(path)
            return
        services = self.services
        self.import_button.setEnabled(False)
        self.import_status.setText(f"Importing {path.name}…")

        def done(result: list[BucketImport]) -> None:
            self.import_button.setEnabled(True)
            self.import_status.setText(describe_import(result))
            if any(b.imported for b in result):
                self.sig_imported.emit()
            self.sig_import_done.emit()

        def failed(exc: BaseException) -> None:
            self.import_button.setEnabled(True)
            self.import_status.setText(f"Import failed: {exc}")
            self.sig_import_done.emit()

        self.runner.run("import", lambda: import_file(services, path), done, failed,
                        keep_all=True, owner=self)  # fmt: skip

    def choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export TimelyGator data", "timelygator-export.json", "JSON (*.json)"
        )
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        self.export_status.setText("Exporting…")
        services = self.services
        self.runner.run(
            "export", lambda: export_all(services, path),
            lambda n: self.export_status.setText(f"Exported {n:,} events to {path.name}."),
            lambda exc: self.export_status.setText(f"Export failed: {exc}"), owner=self,
        )  # fmt: skip

    def change_passphrase(self) -> None:
        new = self.new_pass.text()
        if new != self.confirm_pass.text():
            self.pass_status.setText("The two new passphrases differ.")
            return
        services = self.services
        keystore = services.keystore
        old = self.old_pass.text()

        def work() -> None:
            # The app holds the folder lock; the key was resolved when it opened the folder.
            if keystore.mode() is KeyMode.PASSPHRASE:
                change_passphrase(services.dirs, old, new, lock=services.lock)
            else:
                set_passphrase(services.dirs, new, lock=services.lock)

        def done(_r: object) -> None:
            for edit in (self.old_pass, self.new_pass, self.confirm_pass):
                edit.clear()
            self.pass_status.setText("Passphrase changed. You will need it at the next start.")
            self.runner.run("key-mode", keystore.mode, self._show_mode)

        self.pass_status.setText("Changing…")
        self.runner.run(
            "passphrase", work, done, lambda exc: self.pass_status.setText(str(exc)), owner=self
        )
