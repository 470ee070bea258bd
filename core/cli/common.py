"""Helpers shared by subcommands: resolving directories, unlocking, opening the folder.

Reading commands (``report``, ``export``, ``db check``, ``backup``, ``token list``) open the
database as a reader beside whoever holds the folder (``Services.open_reader``): they work
while the app or ``serve`` runs and never change a key or a file. Commands that change the
folder hold its lock and refuse, saying what to do instead, while the app runs.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from timelygator.core.errors import DatabaseLockedError, StorageError
from timelygator.core.keys import KeyMode, KeyStore
from timelygator.core.locks import READER_BUSY, SwapLock
from timelygator.core.logs import add_secret
from timelygator.core.paths import AppDirs, resolve_dirs
from timelygator.core.recovery import open_reader
from timelygator.core.schema import SCHEMA_VERSION
from timelygator.core.server_store import ServerStore, database_url
from timelygator.core.services import Services, resolve_passphrase


def dirs_from(args: argparse.Namespace) -> AppDirs:
    return resolve_dirs(getattr(args, "data_dir", None))


def passphrase_from(args: argparse.Namespace, *, ask: bool = True) -> str | None:
    """``--passphrase-file``, then the environment; on a terminal, asked for (no echo),
    once per command however often the command needs it."""
    given = resolve_passphrase(getattr(args, "passphrase_file", None))
    if given is not None or not ask:
        return given
    asked = getattr(args, "_asked_passphrase", None)
    if asked is not None:
        return str(asked)
    if KeyStore(dirs_from(args)).mode() is not KeyMode.PASSPHRASE:
        return None
    if not sys.stdin.isatty():
        return None  # the command then says how to give it (PassphraseRequiredError)
    answer = getpass.getpass("TimelyGator passphrase: ")
    add_secret(answer)
    args._asked_passphrase = answer
    return answer


def open_services(args: argparse.Namespace, *, create: bool = False, instead: str = "") -> Services:
    """Hold and open the data directory named by the arguments (never creates unless asked).

    ``instead`` says what to do when the app holds the folder (for commands that write).
    """
    dirs = dirs_from(args)
    try:
        return Services.open(dirs, passphrase_from(args), create=create)
    except DatabaseLockedError:
        if not instead:
            raise
        raise DatabaseLockedError(
            f"TimelyGator is running on {dirs.data} (the app, 'timelygator serve' or "
            f"'watch'). {instead} Nothing was changed."
        ) from None


def open_reader_services(args: argparse.Namespace) -> Services:
    """Open the data directory read-only, beside a running app if there is one."""
    return Services.open_reader(dirs_from(args), passphrase_from(args))


def server_url(args: argparse.Namespace) -> str | None:
    """Server mode's PostgreSQL database when one is given (``--database-url`` where the
    command has it, else ``TIMELYGATOR_DATABASE_URL``), else None: the data folder's file."""
    return database_url(args)


@contextmanager
def _server_store(url: str, dirs: AppDirs, *, write: bool) -> Iterator[ServerStore]:
    """A server database for one small command; a writer creates its schema if missing."""
    store = ServerStore(url, pool_size=1, read_only=not write)
    try:
        if store.user_version() != SCHEMA_VERSION:
            if not write:
                raise StorageError(
                    f"There is no current TimelyGator schema in {store.description}: run "
                    "'timelygator serve' on it once, then retry."
                )
            Services.open_server(url, dirs).close()  # the schema, or SchemaTooNewError
        yield store
    finally:
        store.close()


@contextmanager
def admin_transaction(args: argparse.Namespace) -> Iterator[Connection]:
    """One transaction for a small administrative write (API tokens).

    Unlike :func:`open_services` this does not take the data folder's lock, so it works
    while the app or ``timelygator serve`` is running: SQLite serialises the write with the
    running writer. It holds the swap lock shared, so it never writes into a file that a
    rekey or restore is replacing, and changes no key. A folder without any database or key
    gets one first. In server mode (``server_url``) the transaction is on the server's
    database, which gets its schema first if it has none.
    """
    dirs = dirs_from(args)
    url = server_url(args)
    if url is not None:
        with (
            _server_store(url, dirs, write=True) as server,
            server.connect() as conn,
            conn.begin(),
        ):
            yield conn
        return
    passphrase = passphrase_from(args)
    if not dirs.database.exists() and KeyStore(dirs).mode() is None:
        Services.open(dirs, passphrase, create=True).close()
    swap = SwapLock(dirs)
    with swap.hold(exclusive=False, busy=READER_BUSY):
        reader = open_reader(dirs, passphrase)
        key = reader.key
        reader.engine.dispose()
        from timelygator.core.store import Store

        store = Store(dirs.database, key, pool_size=1)
        try:
            if store.user_version() != SCHEMA_VERSION:
                raise StorageError(
                    "The database needs an upgrade first: start TimelyGator (or "
                    "'timelygator serve') once, then retry."
                )
            with store.connect() as conn, conn.begin():
                yield conn
        finally:
            store.engine.dispose()


@contextmanager
def read_transaction(args: argparse.Namespace) -> Iterator[Connection]:
    """A read-only connection for a small administrative read (``token list``); on the
    server's database in server mode (``server_url``)."""
    url = server_url(args)
    if url is not None:
        with _server_store(url, dirs_from(args), write=False) as server, server.connect() as conn:
            yield conn
        return
    services = open_reader_services(args)
    try:
        with services.read() as conn:
            yield conn
    finally:
        services.close()
