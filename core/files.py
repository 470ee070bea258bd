"""Durable, private file operations for the data folder.

Every file TimelyGator creates in a data or backup folder is readable by its owner only
(0600; folders 0700), set explicitly so the process's umask does not matter. A file that
replaces another is written completely and fsynced first, and the rename is followed by an
fsync of the folder, so after a crash or power cut the name points either at the old file or
at the complete new one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SIDECARS = ("-wal", "-shm", "-journal")
_COPY_CHUNK = 1 << 20


def sidecars(path: Path) -> list[Path]:
    """SQLite's files beside ``path``: write-ahead log, shared memory, rollback journal."""
    return [Path(f"{path}{suffix}") for suffix in SIDECARS]


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) and make it owner-only."""
    path.mkdir(parents=True, exist_ok=True)
    make_private(path, PRIVATE_DIR)


def make_private(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Owner-only permissions for an existing file (a no-op where the OS has no modes)."""
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)


def fsync_dir(path: Path) -> None:
    """Make renames and deletions inside ``path`` durable (POSIX; Windows has no such call)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace(source: Path, target: Path) -> None:
    """Atomically rename ``source`` over ``target`` and make the rename durable."""
    os.replace(source, target)
    fsync_dir(target.parent)


def remove(*paths: Path) -> list[Path]:
    """Delete the files that exist (durably); returns the ones deleted."""
    removed = []
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    for folder in {p.parent for p in removed}:
        with contextlib.suppress(OSError):
            fsync_dir(folder)
    return removed


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary name, fsync, rename), owner-only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    replace(tmp, path)


def copy_private(source: Path, target: Path) -> None:
    """Copy ``source`` into a new owner-only file ``target`` and fsync it.

    ``source`` is only read (it may sit on read-only media); ``target`` must not exist.
    """
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE)
        with open(source, "rb") as src, os.fdopen(os.dup(fd), "wb", closefd=True) as dst:
            shutil.copyfileobj(src, dst, _COPY_CHUNK)
            dst.flush()
        os.fsync(fd)
    finally:
        os.close(fd)


def free_bytes(folder: Path) -> int:
    """Free space on the disk holding ``folder`` (for the current user)."""
    return shutil.disk_usage(folder).free


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files created meanwhile (by SQLite, say) get no group or other permissions (POSIX)."""
    if os.name != "posix":
        yield
        return
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)
