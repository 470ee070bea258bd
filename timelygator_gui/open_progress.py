"""What opening the data directory is doing, for the window: mainly a schema upgrade.

``Services.open`` backs the database up and runs Alembic when the schema is older (about
30 s on a year of data). Core reports those steps only in its log (``core.schema``, then
Alembic's ``Running upgrade``); ``OpenProgress`` listens to those two loggers while the open
runs on its worker and turns the records into ``sig_step`` on the GUI thread.
"""

from __future__ import annotations

import logging
from enum import Enum

from PySide6.QtCore import QObject, Signal

SCHEMA_LOGGER = "core.schema"
ALEMBIC_LOGGER = "alembic.runtime.migration"


class OpenStep(Enum):
    BACKUP = "backup"
    UPGRADE = "upgrade"


STEP_TEXT = {
    OpenStep.BACKUP: "Step 1 of 2: backing up your data…",
    OpenStep.UPGRADE: "Step 2 of 2: upgrading the database to this version…",
}
TITLE = "Upgrading your database (a backup is made first)…"


def step_of(record: logging.LogRecord) -> OpenStep | None:
    """The upgrade step a log record announces, if any."""
    message = record.getMessage()
    if record.name == SCHEMA_LOGGER and message.startswith("Backing up the database"):
        return OpenStep.BACKUP
    if record.name == ALEMBIC_LOGGER and message.startswith("Running upgrade"):
        return OpenStep.UPGRADE
    return None


class _Handler(logging.Handler):
    def __init__(self, progress: OpenProgress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        step = step_of(record)
        if step is not None:
            self.progress.sig_step.emit(step)  # from the opening thread: queued to the GUI


class OpenProgress(QObject):
    """Listens for upgrade steps while installed (``with progress: open()`` on a worker)."""

    sig_step = Signal(object)
    """Opening reached an upgrade step (OpenStep), emitted from the opening thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handler = _Handler(self)
        self._levels: dict[str, int] = {}

    def __enter__(self) -> OpenProgress:
        for name in (SCHEMA_LOGGER, ALEMBIC_LOGGER):
            logger = logging.getLogger(name)
            self._levels[name] = logger.level
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)  # the steps are INFO records
            logger.addHandler(self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for name, level in self._levels.items():
            logger = logging.getLogger(name)
            logger.removeHandler(self._handler)
            logger.setLevel(level)
        self._levels.clear()
