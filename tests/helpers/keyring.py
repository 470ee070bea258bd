"""Keyrings for tests: the real OS keyring is never touched."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend

FILE_KEYRING_ENV = "TIMELYGATOR_TEST_KEYRING_FILE"


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict (priority > 0 so it counts as available)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


class FileKeyring(KeyringBackend):
    """A keyring in a JSON file, shared by the processes of one test.

    Subprocesses use it with ``PYTHON_KEYRING_BACKEND=tests.helpers.keyring.FileKeyring``
    and ``TIMELYGATOR_TEST_KEYRING_FILE=<path>``. Each change is written atomically, as a
    real keyring stores one entry at a time.
    """

    # Usable (> 0) but below MemoryKeyring: keyring's own detection never prefers it.
    priority = 0.5

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        chosen = path if path is not None else os.environ.get(FILE_KEYRING_ENV, "")
        self.path = Path(chosen or os.devnull)

    def _read(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    def _write(self, entries: dict[str, str]) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries), encoding="utf-8")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._read()
        entries[f"{service}\n{username}"] = password
        self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._read()
        if entries.pop(f"{service}\n{username}", None) is not None:
            self._write(entries)

    @property
    def entries(self) -> dict[str, str]:
        return self._read()
