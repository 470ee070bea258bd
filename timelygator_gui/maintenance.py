"""Scheduled upkeep: backups when due (verified, rotated) and the retention purge.

A QTimer on the GUI thread only decides *when*; the work (listing backups, copying the
database, deleting old events through the writer) runs on the task runner's workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from timelygator.core.backup import (
    BackupFile,
    backup_due,
    backup_now,
    list_backups,
    purge_backups_older_than,
    purge_older_than,
)
from timelygator.core.preferences import DataPrefs
from timelygator.core.services import Services
from timelygator.gui.tasks import TaskRunner

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000


def backup_folder(services: Services, prefs: DataPrefs) -> Path:
    """Where backups go: the chosen folder, or the data directory's ``backups``."""
    return Path(prefs.backup_dir).expanduser() if prefs.backup_dir else services.dirs.backups


@dataclass(frozen=True, slots=True)
class UpkeepResult:
    """What one scheduled round did."""

    backup: BackupFile | None  # a new backup, or None when none was due
    purged: int  # events deleted by retention
    purged_from_backups: int = 0  # events deleted by retention from the rotated backups


def run_upkeep(services: Services, prefs: DataPrefs) -> UpkeepResult:
    """Back up when due and apply retention (worker thread)."""
    folder = backup_folder(services, prefs)
    made = None
    if backup_due(folder, prefs.backup_every_days):
        made = backup_now(services, folder, keep=prefs.backups_kept)
        log.info("backup written: %s", made.path)
    purged = purge_older_than(services, prefs.retention_days)
    if purged:
        log.info("retention: deleted %d events older than %d days", purged, prefs.retention_days)
    # Retention reaches the backups too: events older than the horizon leave them as well.
    in_backups = purge_backups_older_than(
        services, [services.dirs.backups, folder], prefs.retention_days
    )
    if in_backups:
        log.info("retention: deleted %d old events from the backups", in_backups)
    return UpkeepResult(made, purged, in_backups)


def newest_backup(folder: Path) -> BackupFile | None:
    backups = list_backups(folder)
    return backups[0] if backups else None


class Maintenance(QObject):
    """Runs ``run_upkeep`` soon after start-up, then every hour, on a worker."""

    sig_done = Signal(object)
    """A round finished: its UpkeepResult."""
    sig_failed = Signal(str)
    """A round failed: what went wrong."""

    def __init__(
        self,
        services: Services,
        runner: TaskRunner,
        prefs: Callable[[], DataPrefs],
        parent: QObject | None = None,
        *,
        first_ms: int = 60_000,
        every_ms: int = HOUR_MS,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.prefs = prefs
        self.busy = False
        self.last: UpkeepResult | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(every_ms)
        self._timer.timeout.connect(self.run_now)
        self._first = QTimer(self)
        self._first.setSingleShot(True)
        self._first.setInterval(first_ms)
        self._first.timeout.connect(self.run_now)

    def start(self) -> None:
        self._first.start()
        self._timer.start()

    def stop(self) -> None:
        self._first.stop()
        self._timer.stop()

    def run_now(self) -> None:
        """One round on a worker (skipped while the previous one runs)."""
        if self.busy:
            return
        self.busy = True
        services, prefs = self.services, self.prefs()
        self.runner.run("upkeep", lambda: run_upkeep(services, prefs), self._done, self._failed,
                        keep_all=True)  # fmt: skip

    def _done(self, result: UpkeepResult) -> None:
        self.busy = False
        self.last = result
        self.sig_done.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        log.error("scheduled backup/retention failed: %s", exc)
        self.sig_failed.emit(str(exc))
