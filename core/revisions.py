"""The schema's revisions: listing them, naming one, which TimelyGator reads each, and moving
a database to one (``timelygator db upgrade``/``downgrade``, ``core.schema_change``).

Revisions are named by their schema version, ``0001`` … (Alembic's revision ids; the newest
is ``schema.SCHEMA_VERSION``). A user may name one as ``5``, ``0005`` or the migration's file
name (``parse_revision``). ``migrate`` runs Alembic's steps to a revision inside the caller's
transaction, so a failure anywhere leaves the database as it was.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from timelygator.core.errors import ValidationError
from timelygator.core.schema import MIGRATIONS_DIR, revision_for
from timelygator.core.sql_dialect import alembic_version_of, set_user_version

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

# The TimelyGator release each schema first shipped in; a new revision adds its line (a test
# checks every revision has one). A TimelyGator reads exactly its newest schema: it upgrades
# an older database when it opens it, and refuses a newer one.
SCHEMA_RELEASES: dict[int, str] = {
    1: "0.1.0",
    2: "0.1.0",
    3: "0.1.0",
    4: "0.1.0",
    5: "0.1.0",
    6: "0.1.0",
}

# Hears each schema version a migration reached (inside its transaction).
StepCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Revision:
    """One migration: the schema version it makes and what it changes (its first line)."""

    version: int
    title: str

    @property
    def id(self) -> str:
        """Alembic's revision id (``0005``)."""
        return revision_for(self.version)


def _script() -> ScriptDirectory:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def revisions() -> list[Revision]:
    """Every revision, oldest first, as the migration scripts define them."""
    found = [
        Revision(int(script.revision), " ".join((script.doc or "").split()).replace("``", "'"))
        for script in _script().walk_revisions()
    ]
    return sorted(found, key=lambda r: r.version)


_FILE_NAME = re.compile(r"(\d{4})_\w+(\.py)?")


def parse_revision(text: str) -> int:
    """The schema version a user names: ``5``, ``0005`` (Alembic's id) or the migration's
    file name (``0005_analytics_values``). ValidationError for anything else."""
    given = text.strip()
    named = _FILE_NAME.fullmatch(given)
    number = named.group(1) if named else given
    known = {r.version for r in revisions()}
    if number.isdigit() and int(number) in known:
        return int(number)
    raise ValidationError(
        f"There is no schema revision {text!r}: name one as a number from 1 to "
        f"{max(known)} (e.g. 5 or {revision_for(max(known) - 1)}); 'timelygator db history' "
        "lists them."
    )


def readers_of(version: int) -> str:
    """Which TimelyGator reads schema ``version`` (each reads exactly its newest schema)."""
    release = SCHEMA_RELEASES[version]
    following = SCHEMA_RELEASES.get(version + 1)
    if following is None:
        return f"TimelyGator {release} and later releases until the next schema"
    if following == release:
        return f"builds of TimelyGator {release} made before revision {revision_for(version + 1)}"
    return f"TimelyGator {release} up to the release before {following}"


def migrate(conn: Connection, target: int, on_step: StepCallback | None = None) -> None:
    """Upgrade or downgrade the database under ``conn`` to schema ``target`` (0: no schema).

    Alembic's steps run inside the caller's transaction (env.py joins it), so nothing is
    changed unless the caller commits; the schema version is recorded where the engine keeps
    it (``sql_dialect.set_user_version``). ``on_step`` hears each version reached.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    if on_step is not None:

        def reached(*, heads: set[str], **_: Any) -> None:
            on_step(max((int(head) for head in heads), default=0))

        config.attributes["on_version_apply"] = reached
    name = revision_for(target) if target else "base"
    if target >= alembic_version_of(conn):
        command.upgrade(config, name)
    else:
        command.downgrade(config, name)
    set_user_version(conn, target)


def backup_path(folder: Path, version: int) -> Path:
    """Where the copy made before moving a database of schema ``version`` goes: beside the
    ones made before an upgrade at start, under a name not used yet."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"pre-migration-v{version}-{stamp}.db"
    suffix = 1
    while path.exists():
        suffix += 1
        path = folder / f"pre-migration-v{version}-{stamp}-{suffix}.db"
    return path
