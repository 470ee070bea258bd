"""Fault injection: run a multi-step operation in a child process and end it at step N.

Each operation of ``OPERATIONS`` runs in a process forked from a ``forkserver`` (cheap: the
server has imported TimelyGator once). A ``core.steps`` hook in the child counts the steps
and, at the chosen one, ends the process with ``os._exit`` (as a crash or a kill would: no
``finally``, no cleanup) or raises ``InjectedFault`` (a failure the operation must undo).
The parent then checks the folder as a user would.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
from timelygator.core import steps
from timelygator.core.paths import AppDirs, resolve_dirs

from tests.helpers.keyring import FileKeyring

KILLED = 77
RAISED = 78
DONE = 0


class InjectedFault(Exception):
    """Raised by the step hook in "raise" mode."""


@dataclass
class Case:
    """One operation on one data folder (paths and secrets the child needs)."""

    data: Path
    keyring_file: Path
    passphrase: str | None  # the folder's passphrase (None: keyring mode)
    new_passphrase: str = "a brand new passphrase"
    backup: Path | None = None  # restore: the backup file; retention: its folder
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dirs(self) -> AppDirs:
        return resolve_dirs(self.data)


def _rekey(case: Case) -> None:
    from timelygator.core.maintenance import rekey_database

    rekey_database(case.dirs, case.passphrase)


def _restore(case: Case) -> None:
    from timelygator.core.backup import restore_backup

    assert case.backup is not None
    restore_backup(case.dirs, case.backup, case.passphrase)


def _backup(case: Case) -> None:
    from timelygator.core.backup import backup_now
    from timelygator.core.services import Services

    with Services.open(case.dirs, case.passphrase, create=False) as services:
        backup_now(services, keep=2)


def _passphrase_set(case: Case) -> None:
    from timelygator.core.maintenance import set_passphrase

    set_passphrase(case.dirs, case.new_passphrase)


def _passphrase_change(case: Case) -> None:
    from timelygator.core.maintenance import change_passphrase

    assert case.passphrase is not None
    change_passphrase(case.dirs, case.passphrase, case.new_passphrase)


def _passphrase_remove(case: Case) -> None:
    from timelygator.core.maintenance import remove_passphrase

    assert case.passphrase is not None
    remove_passphrase(case.dirs, case.passphrase)


def _salvage(case: Case) -> None:
    from timelygator.core.salvage import salvage_database

    salvage_database(case.dirs, case.passphrase)


def _retention(case: Case) -> None:
    from timelygator.core.backup import purge_backups_older_than
    from timelygator.core.services import Services

    with Services.open(case.dirs, case.passphrase, create=False) as services:
        purge_backups_older_than(
            services, [case.dirs.backups], days=1, now_us=int(case.extra["now_us"])
        )


def _downgrade(case: Case) -> None:
    from timelygator.core.schema_change import change_folder

    change_folder(case.dirs, case.passphrase, int(case.extra["target"]), downgrade=True)


def _upgrade(case: Case) -> None:
    from timelygator.core.schema import SCHEMA_VERSION
    from timelygator.core.schema_change import change_folder

    change_folder(case.dirs, case.passphrase, SCHEMA_VERSION, downgrade=False)


OPERATIONS: dict[str, Callable[[Case], None]] = {
    "rekey": _rekey,
    "restore": _restore,
    "backup": _backup,
    "passphrase-set": _passphrase_set,
    "passphrase-change": _passphrase_change,
    "passphrase-remove": _passphrase_remove,
    "salvage": _salvage,
    "retention": _retention,
    "downgrade": _downgrade,
    "upgrade": _upgrade,
}


def _child(
    operation: str, case: Case, fault_at: int, mode: str, record: str, then_kill: int
) -> None:
    import timelygator.core.keys

    timelygator.core.keys.SCRYPT_N = 2**14  # as the suite's conftest
    keyring.set_keyring(FileKeyring(case.keyring_file))
    seen: list[str] = []

    def hook(op: str, name: str) -> None:
        seen.append(f"{op}:{name}")
        if len(seen) - 1 == then_kill:  # a kill while the operation undoes the fault
            Path(record).write_text(json.dumps(seen), encoding="utf-8")
            os._exit(KILLED)
        if len(seen) - 1 == fault_at:
            Path(record).write_text(json.dumps(seen), encoding="utf-8")
            if mode == "raise":
                raise InjectedFault(f"{op}:{name}")
            os._exit(KILLED)

    with steps.hooked(hook):
        try:
            OPERATIONS[operation](case)
        except Exception as exc:
            # The injected fault, as raised or as the operation reported it (a rekey whose
            # key could not be saved says so in its own words).
            Path(record).write_text(json.dumps(seen), encoding="utf-8")
            if 0 <= fault_at < len(seen):
                os._exit(RAISED)
            print(f"{operation} failed: {type(exc).__name__}: {exc}", flush=True)
            os._exit(1)
    Path(record).write_text(json.dumps(seen), encoding="utf-8")
    os._exit(DONE)


_CONTEXT: Any = None


def _context() -> Any:
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(
            [
                "timelygator.core.maintenance",
                "timelygator.core.backup",
                "timelygator.core.salvage",
                "timelygator.core.schema_change",
                "tests.helpers.faults",
            ]
        )
    return _CONTEXT


@dataclass
class Outcome:
    exit_code: int
    steps: list[str]


def run(
    operation: str, case: Case, *, fault_at: int = -1, mode: str = "kill", then_kill: int = -1
) -> Outcome:
    """Run ``operation`` in a child; ``fault_at`` = the index of the step to die at.

    ``then_kill``: after a raised fault, also kill the child at this later step (the
    operation's undo path has steps of its own).
    """
    record = case.data.parent / f"steps-{os.getpid()}-{fault_at}.json"
    record.unlink(missing_ok=True)
    process = _context().Process(
        target=_child, args=(operation, case, fault_at, mode, str(record), then_kill)
    )
    process.start()
    process.join(120)
    if process.is_alive():
        process.kill()
        process.join()
        raise AssertionError(f"{operation} hung at step {fault_at}")
    seen = json.loads(record.read_text(encoding="utf-8")) if record.exists() else []
    record.unlink(missing_ok=True)
    return Outcome(int(process.exitcode or 0), seen)


def copy_folder(template: Path, target: Path) -> None:
    """A fresh copy of a prepared data folder (and its keyring file beside it)."""
    shutil.copytree(template, target, symlinks=True)
