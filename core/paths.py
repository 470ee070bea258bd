"""Where TimelyGator keeps its files.

Defaults come from ``platformdirs``. ``--data-dir`` or ``TIMELYGATOR_DATA_DIR`` moves
everything (data, config and logs) under one directory, which is how tests and portable
installs keep away from the user's real files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "TimelyGator"
DATA_DIR_ENV = "TIMELYGATOR_DATA_DIR"
DB_FILENAME = "timelygator.db"
KEY_FILENAME = "key.json"
LOCK_FILENAME = "timelygator.lock"


@dataclass(frozen=True)
class AppDirs:
    """The directories one TimelyGator installation uses."""

    data: Path
    config: Path
    logs: Path

    @property
    def database(self) -> Path:
        return self.data / DB_FILENAME

    @property
    def key_file(self) -> Path:
        return self.data / KEY_FILENAME

    @property
    def lock_file(self) -> Path:
        return self.data / LOCK_FILENAME

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    def ensure(self) -> None:
        """Create the directories (owner-only where the OS supports modes)."""
        for path in (self.data, self.config, self.logs):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)


def resolve_dirs(
    data_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> AppDirs:
    """Resolve the directories: explicit argument, then environment, then platform default."""
    env = os.environ if environ is None else environ
    chosen = data_dir if data_dir is not None else env.get(DATA_DIR_ENV) or None
    if chosen is not None:
        root = Path(chosen).expanduser().resolve()
        return AppDirs(data=root, config=root / "config", logs=root / "logs")
    return AppDirs(
        data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
