"""What opening the data directory is doing, for the window: mainly a schema upgrade.

``Services.open`` backs the database up and runs Alembic when the schema is older (about
30 s on a year of data) and reports those steps to a ``progress`` callback; ``OpenProgress``
turns them into ``sig_step`` on the GUI thread.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QObject, Signal
from timelygator.core.schema import STEP_BACKUP, STEP_UPGRADE


class OpenStep(Enum):
    BACKUP = STEP_BACKUP
    UPGRADE = STEP_UPGRADE


STEP_TEXT = {
    OpenStep.BACKUP: "Step 1 of 2: backing up your data…",
    OpenStep.UPGRADE: "Step 2 of 2: upgrading the database to this version…",
}
TITLE = "Upgrading your database (a backup is made first)…"


class OpenProgress(QObject):
    """Receives ``Services.open``'s progress on the opening thread, re-emits it as a signal."""

    sig_step = Signal(object)
    """Opening reached an upgrade step (OpenStep), emitted from the opening thread."""

    def report(self, step: str) -> None:
        """The ``progress`` callback for ``Services.open`` (called on the worker)."""
        self.sig_step.emit(OpenStep(step))  # queued to the GUI thread
