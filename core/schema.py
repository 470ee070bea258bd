"""Schema versions: create, upgrade (after a backup) or refuse a newer database.

On SQLite, ``PRAGMA user_version`` mirrors the Alembic revision number, so the usual case
(database already at our version) costs one pragma and never loads Alembic (reading and
writing that number: ``core.sql_dialect.user_version``/``set_user_version``). Upgrades run
Alembic on the open, keyed connection after an encrypted backup of the file has been written
and verified.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from timelygator.core.errors import SchemaTooNewError, StorageError
from timelygator.core.sql_dialect import schema_lock, set_user_version
from timelygator.core.store import DataStore, Store

log = logging.getLogger(__name__)

# Bump together with a new revision in core/migrations/versions (tests check they agree).
SCHEMA_VERSION = 6
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Steps reported to ``progress`` while an older database is upgraded.
STEP_BACKUP = "backup"
STEP_UPGRADE = "upgrade"
ProgressCallback = Callable[[str], None]


def revision_for(version: int) -> str:
    return f"{version:04d}"


def _alembic_upgrade(store: DataStore, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with store.engine.begin() as conn:
        # A server's processes may start together: one upgrades, the others wait and find
        # the schema current (Alembic reads its version after the lock).
        schema_lock(conn)
        config.attributes["connection"] = conn
        command.upgrade(config, target)
        set_user_version(conn, int(target))


def ensure_schema(
    store: DataStore, backup_dir: Path | None = None, progress: ProgressCallback | None = None
) -> int:
    """Bring ``store`` to SCHEMA_VERSION; returns the version found before.

    ``progress`` hears STEP_BACKUP and STEP_UPGRADE when an older file is upgraded (which
    can take a while on years of data), so a GUI can say what is happening. A file is
    backed up first; a server's database is not (back it up with ``pg_dump``, as the
    README's server section says, before installing a new version).
    """
    found = store.user_version()
    if found == SCHEMA_VERSION:
        return found
    if found > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{store.description} was written by a newer TimelyGator (schema {found}, this "
            f"version knows {SCHEMA_VERSION}). Update TimelyGator; the database was not changed."
        )
    if found > 0 and not isinstance(store, Store):
        log.info("Upgrading %s from schema %d to %d", store.description, found, SCHEMA_VERSION)
    elif found > 0 and isinstance(store, Store):
        target_dir = backup_dir or store.path.parent / "backups"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = target_dir / f"pre-migration-v{found}-{stamp}.db"
        log.info("Backing up the database to %s before migrating from schema %d", backup, found)
        if progress is not None:
            progress(STEP_BACKUP)
        store.backup(backup)
    if found > 0 and progress is not None:
        progress(STEP_UPGRADE)
    try:
        _alembic_upgrade(store, revision_for(SCHEMA_VERSION))
    except StorageError:
        raise
    except Exception as exc:
        raise store.error(exc) from exc
    return found
