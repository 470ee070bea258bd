"""Who may change a data folder, and when a reader may look at its database file.

Two locks, both released by the OS when a process dies:

* The **folder lock** is exclusive and held for a process's whole use of the folder by the
  app, ``serve``, ``watch`` and every command that changes keys or files (restore, rekey,
  passphrase, salvage, import). It is ``timelygator.lock`` (``filelock``) and, on POSIX,
  also a ``flock`` on the data folder itself, which nobody deletes by accident: deleting
  ``timelygator.lock`` does not let a second writer in.
* The **swap lock** (``timelygator.swap.lock``) is shared by readers that open the database
  beside a running app (``report``, ``export``, ``db check``, ``backup``, ``token``) and
  taken exclusively by an operation that replaces the database file or its key (rekey,
  restore, salvage) for as long as it works. A reader thus never opens a file that is being
  replaced, nor a file with a key that is being replaced.

Only the folder lock's holder resolves what an interrupted operation left (a pending key,
temporary files): ``core.recovery``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock
from timelygator.core import files
from timelygator.core.errors import DatabaseLockedError, DiskFullError, ReadOnlyError, StorageError
from timelygator.core.paths import AppDirs

log = logging.getLogger(__name__)

SWAP_LOCK_FILENAME = "timelygator.swap.lock"
# How long a reader waits for a rekey or restore to finish, and such an operation for readers.
SWAP_WAIT_S = 120.0
_POLL_S = 0.05

if sys.platform != "win32":
    import fcntl


def folder_error(folder: Path, exc: OSError) -> StorageError:
    """An OSError on the data folder as a message users can act on."""
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnlyError(
            f"The data folder {folder} is read-only or not writable. Fix its permissions or "
            "choose another folder with --data-dir. Nothing was changed."
        )
    if exc.errno == errno.ENOSPC:
        return DiskFullError(f"The disk holding {folder} is full. Free some space and retry.")
    return StorageError(f"The data folder {folder} cannot be used ({exc.strerror}).")


def _locked_message(dirs: AppDirs) -> str:
    return (
        f"Another TimelyGator process is using {dirs.data}. Close it first, or start this "
        "one with a different --data-dir."
    )


class FolderLock:
    """The exclusive right to change one data folder (see the module docstring)."""

    def __init__(self, dirs: AppDirs) -> None:
        self.dirs = dirs
        # Not thread-local: the app opens and closes on different threads.
        self._file = filelock.FileLock(str(dirs.lock_file), mode=0o600, thread_local=False)
        self._dir_fd: int | None = None
        self.held = False

    @classmethod
    def acquire(cls, dirs: AppDirs) -> FolderLock:
        """Hold the folder now; DatabaseLockedError when another process has it."""
        lock = cls(dirs)
        try:
            lock._file.acquire(timeout=0)
        except filelock.Timeout:
            raise DatabaseLockedError(_locked_message(dirs)) from None
        except OSError as exc:
            raise folder_error(dirs.data, exc) from None
        try:
            lock._lock_folder()
        except BaseException:
            lock._file.release()
            raise
        lock.held = True
        files.make_private(dirs.lock_file)  # made 0644 by builds before this one
        return lock

    def _lock_folder(self) -> None:
        if sys.platform == "win32":  # an open lock file cannot be deleted there
            return
        try:
            fd = os.open(self.dirs.data, os.O_RDONLY)
        except OSError as exc:
            raise folder_error(self.dirs.data, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DatabaseLockedError(_locked_message(self.dirs)) from None
        except OSError as exc:  # a file system without flock on folders (some network ones)
            os.close(fd)
            log.info("the data folder cannot be flocked (%s); using the lock file only", exc)
            return
        self._dir_fd = fd

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if self._dir_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._dir_fd)  # closing the descriptor drops its flock
            self._dir_fd = None
        with contextlib.suppress(Exception):
            self._file.release()

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def folder_is_locked(dirs: AppDirs) -> bool:
    """True when another process holds the folder (a running app, ``serve`` or ``watch``)."""
    try:
        lock = FolderLock.acquire(dirs)
    except DatabaseLockedError:
        return True
    except StorageError:
        return False
    lock.release()
    return False


class SwapLock:
    """Shared by readers, exclusive while the database file or its key is replaced.

    ``fcntl.flock`` on POSIX; on Windows, where ``flock`` does not exist, readers take it
    exclusively too (``filelock.lock_descriptor``), which only makes them wait for each other.
    """

    def __init__(self, dirs: AppDirs) -> None:
        self.path = dirs.data / SWAP_LOCK_FILENAME
        self._fd: int | None = None
        self.exclusive = False

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            raise StorageError(
                f"There is no TimelyGator data folder at {self.path.parent}."
            ) from None
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and self.path.exists():
                return os.open(self.path, os.O_RDONLY)
            raise folder_error(self.path.parent, exc) from None

    @staticmethod
    def _try(fd: int, exclusive: bool) -> bool:
        if sys.platform == "win32":
            return bool(filelock.lock_descriptor(fd, blocking=False))
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def acquire(self, *, exclusive: bool, busy: str, timeout: float | None = None) -> None:
        """Take the lock, waiting up to ``timeout`` s; DatabaseLockedError(``busy``) after."""
        if self._fd is not None:
            raise RuntimeError("the swap lock is already held by this object")
        fd = self._open()
        wait = threading.Event()
        deadline = SWAP_WAIT_S if timeout is None else timeout
        waited = 0.0
        try:
            while not self._try(fd, exclusive):
                if waited >= deadline:
                    raise DatabaseLockedError(busy)
                wait.wait(_POLL_S)
                waited += _POLL_S
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self.exclusive = exclusive

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)  # drops the lock

    @contextmanager
    def hold(self, *, exclusive: bool, busy: str, timeout: float | None = None) -> Iterator[None]:
        self.acquire(exclusive=exclusive, busy=busy, timeout=timeout)
        try:
            yield
        finally:
            self.release()


READER_BUSY = (
    "The database is being re-encrypted, restored or salvaged right now; retry when that "
    "has finished."
)
SWAPPER_BUSY = (
    "Another command is still reading the database (report, export, db check, backup); "
    "retry when it has finished. Nothing was changed."
)
