"""Helpers shared by subcommands: resolving directories and unlocking."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from core.errors import StorageError
from core.paths import AppDirs, resolve_dirs
from core.schema import SCHEMA_VERSION
from core.services import Services, open_store, resolve_passphrase


def dirs_from(args: argparse.Namespace) -> AppDirs:
    return resolve_dirs(getattr(args, "data_dir", None))


def passphrase_from(args: argparse.Namespace) -> str | None:
    return resolve_passphrase(getattr(args, "passphrase_file", None))


def open_services(args: argparse.Namespace, *, create: bool = False) -> Services:
    """Open the data directory named by the arguments (never creates unless asked)."""
    return Services.open(dirs_from(args), passphrase_from(args), create=create)


@contextmanager
def admin_transaction(args: argparse.Namespace) -> Iterator[Connection]:
    """One transaction for a small administrative write (API tokens).

    Unlike :func:`open_services` this does not take the data folder's lock, so it works
    while the app or ``timelygator serve`` is running: SQLite serialises the write with the
    running writer. A folder without a database gets one first.
    """
    dirs = dirs_from(args)
    passphrase = passphrase_from(args)
    if not dirs.database.exists():
        Services.open(dirs, passphrase, create=True).close()
    store = open_store(dirs, passphrase, create=False)
    try:
        if store.user_version() != SCHEMA_VERSION:
            raise StorageError(
                "The database needs an upgrade first: start TimelyGator (or 'timelygator serve') "
                "once, then retry."
            )
        with store.connect() as conn, conn.begin():
            yield conn
    finally:
        store.engine.dispose()
