"""How ``timelygator serve`` is set up: its options, the environment, and what each allows.

Every setting of the server process can come from an option or from the environment, so a
container (``installers/server/Dockerfile``) or a service manager configures it without a
command line. An option given on the command line wins over the environment, the
environment over the default:

- ``--host`` / ``TIMELYGATOR_HOST``: the address to listen on (default ``127.0.0.1``, this
  computer only; another needs ``--allow-remote`` and an API token);
- ``--port`` / ``TIMELYGATOR_PORT``: the port (default ``5600``; ``0`` picks a free one);
- ``--workers`` / ``TIMELYGATOR_WORKERS``: API processes on that one port (default ``1``;
  more need PostgreSQL);
- ``--log-level`` / ``TIMELYGATOR_LOG_LEVEL``: what the console shows (default ``warning``;
  ``info`` for a container's log);
- ``--database-url`` / ``TIMELYGATOR_DATABASE_URL``: a PostgreSQL server instead of the data
  folder's SQLite file.

An empty variable counts as unset (as ``TIMELYGATOR_PASSPHRASE`` does). A value that is not
valid is refused before anything is opened, with a sentence naming the option or variable
it came from; the database URL is never repeated in a message (it may hold a password).

More than one worker needs PostgreSQL: a SQLite data folder has exactly one writer, the
process holding the folder's lock (``core.services``), so several processes cannot share it.
``resolve`` refuses that combination; ``core.api.supervisor`` runs the workers.

``resolve`` is a pure function of the parsed options and an environment mapping (tested
without a process); ``configure`` (what ``serve`` calls) adds the console's log level, and
``announce`` the "listening" line.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from typing import TYPE_CHECKING, Any

from timelygator.core.errors import ValidationError
from timelygator.core.server_store import DATABASE_URL_ENV, database_url

if TYPE_CHECKING:
    from timelygator.core.api.supervisor import WorkerLink

HOST_ENV = "TIMELYGATOR_HOST"
PORT_ENV = "TIMELYGATOR_PORT"
WORKERS_ENV = "TIMELYGATOR_WORKERS"
LOG_LEVEL_ENV = "TIMELYGATOR_LOG_LEVEL"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5600
DEFAULT_WORKERS = 1
DEFAULT_LOG_LEVEL = "warning"
# More processes than this is a typo, not a plan: each worker holds its own connections,
# writer thread and query process (a few hundred MB with the analytics loaded).
MAX_WORKERS = 64
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

# The attribute of the parsed arguments that carries a worker's link to its supervisor
# (set in the worker process only, by core.api.supervisor).
WORKER_ATTR = "_serve_worker"


@dataclass(frozen=True)
class ServerSettings:
    """What ``timelygator serve`` runs with, resolved and checked."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = DEFAULT_WORKERS
    log_level: str = DEFAULT_LOG_LEVEL
    # None: the data folder's SQLite database. Kept out of repr: it may hold a password.
    database_url: str | None = field(default=None, repr=False)
    # In a worker process of ``serve --workers N``: its link to the supervisor.
    worker: WorkerLink | None = field(default=None, repr=False, compare=False)

    @property
    def engine(self) -> str:
        """The database engine: ``sqlite`` (the data folder) or the URL's backend name."""
        return database_engine(self.database_url)

    @property
    def listen_socket(self) -> socket.socket | None:
        """The socket a worker serves on (bound by its supervisor); None: bind your own."""
        return None if self.worker is None else self.worker.socket


def _from_env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _whole_number(text: str, source: str, low: int, high: int, what: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise ValidationError(
            f"{source} must be a whole number from {low} to {high} ({what}); it is {text!r}."
        ) from None
    if not low <= number <= high:
        raise ValidationError(
            f"{source} must be a whole number from {low} to {high} ({what}); it is {number}."
        )
    return number


def _pick(
    option: Any, option_name: str, environ: Mapping[str, str], env_name: str
) -> tuple[str | None, str]:
    """The raw value and where it came from: the option, else the variable, else None."""
    if option is not None:
        return str(option), option_name
    return _from_env(environ, env_name), env_name


def database_engine(url: str | None) -> str:
    """``sqlite`` for the data folder (no URL), else the URL's backend (``postgresql``…).

    A URL that cannot be read is a ``ValidationError`` that does not repeat it.
    """
    if url is None:
        return "sqlite"
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        raise ValidationError(
            "The database URL (--database-url or TIMELYGATOR_DATABASE_URL) cannot be read: "
            "write it as postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE."
        ) from None


def resolve(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ServerSettings:
    """The settings from the parsed options and ``environ`` (default ``os.environ``).

    Options win over the environment, the environment over the defaults. Raises
    ``ValidationError`` for a value that is not valid and for several workers on SQLite.
    """
    env = os.environ if environ is None else environ
    host_text, _ = _pick(getattr(args, "host", None), "--host", env, HOST_ENV)
    host = (host_text or DEFAULT_HOST).strip()
    if not host or any(c.isspace() for c in host):
        raise ValidationError(
            f"--host / {HOST_ENV} must be one address or name, such as 127.0.0.1 or 0.0.0.0."
        )

    port_text, port_source = _pick(getattr(args, "port", None), "--port", env, PORT_ENV)
    port = DEFAULT_PORT
    if port_text is not None:
        port = _whole_number(port_text, port_source, 0, 65535, "0 picks any free port")

    workers_text, workers_source = _pick(
        getattr(args, "workers", None), "--workers", env, WORKERS_ENV
    )
    workers = DEFAULT_WORKERS
    if workers_text is not None:
        workers = _whole_number(
            workers_text, workers_source, 1, MAX_WORKERS, "API processes on one port"
        )

    level_text, level_source = _pick(
        getattr(args, "log_level", None), "--log-level", env, LOG_LEVEL_ENV
    )
    log_level = DEFAULT_LOG_LEVEL
    if level_text is not None:
        log_level = level_text.strip().lower()
        if log_level not in LOG_LEVELS:
            raise ValidationError(
                f"{level_source} must be one of {', '.join(LOG_LEVELS)}; it is {level_text!r}."
            )

    url = database_url(args, env)
    engine = database_engine(url)
    worker: WorkerLink | None = getattr(args, WORKER_ATTR, None)
    if workers > 1 and engine != "postgresql":
        where = "the data folder's SQLite database" if url is None else f"a {engine} database"
        raise ValidationError(
            f"{workers} workers ({workers_source}) need a PostgreSQL database, and this is "
            f"{where}. A SQLite database has one writer, the process that holds it, so "
            "several processes cannot share it. Run one worker (--workers 1), or give a "
            "PostgreSQL server with --database-url postgresql+psycopg://… (or "
            f"{DATABASE_URL_ENV}). Nothing was started."
        )
    return ServerSettings(
        host=host,
        port=port,
        workers=1 if worker is not None else workers,
        log_level=log_level,
        database_url=url,
        worker=worker,
    )


def apply_log_level(level: str, *, verbose: bool = False) -> None:
    """Show ``level`` and up on the console (``core.logs``' stderr handler).

    The log file keeps INFO and up as always (``debug`` lowers it too); ``--verbose``
    already shows everything and is left alone.
    """
    if verbose:
        return
    number = logging.getLevelNamesMapping()[level.upper()]
    root = logging.getLogger()
    for handler in root.handlers:
        if not getattr(handler, "_timelygator", False):
            continue
        if isinstance(handler, RotatingFileHandler):
            handler.setLevel(min(number, logging.INFO))
        else:
            handler.setLevel(number)
    root.setLevel(min(number, logging.INFO))


def configure(args: argparse.Namespace) -> ServerSettings:
    """``resolve`` from the real environment, then ``apply_log_level``: what ``serve`` calls."""
    settings = resolve(args)
    apply_log_level(settings.log_level, verbose=bool(getattr(args, "verbose", False)))
    return settings


def announce(settings: ServerSettings, url: str) -> None:
    """Say that the server listens: one line on stderr, or, in a worker, to its supervisor
    (which says it once for all of them)."""
    if settings.worker is not None:
        settings.worker.listening()
        return
    print(f"TimelyGator API listening on {url}", file=sys.stderr, flush=True)
