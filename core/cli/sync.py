"""``timelygator sync``: this computer's buckets to a TimelyGator server, and the other
devices' back (``core.sync``).

The server and token come from Settings → Sync (the token from the OS keyring), or from
``--server`` and ``--token-file`` / ``TIMELYGATOR_SYNC_TOKEN``; the token is never an
option's value, so it never shows in a process list, a shell history or a log. Without
``--once`` it syncs every ``--interval`` seconds until stopped (Ctrl-C), retrying while the
server is unreachable; each sync resumes where the last one stopped.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from timelygator.core.cli import subcommand
from timelygator.core.cli.common import open_services
from timelygator.core.errors import SyncError, ValidationError
from timelygator.core.preferences import load_preferences, save_preferences
from timelygator.core.services import Services

if TYPE_CHECKING:
    from timelygator.core.sync.engine import SyncEngine

TOKEN_ENV = "TIMELYGATOR_SYNC_TOKEN"  # noqa: S105 - a variable name
SERVER_ENV = "TIMELYGATOR_SYNC_SERVER"
FIRST_BACKOFF_S = 5.0
MAX_BACKOFF_S = 300.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = subcommand(
        subparsers,
        "sync",
        _sync,
        "send this computer's activity to a TimelyGator server and bring the other devices' back",
    )
    sync.add_argument("--once", action="store_true", help="sync once and exit")
    sync.add_argument(
        "--pull",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also bring the other devices' buckets here (default: Settings → Sync, on)",
    )
    sync.add_argument(
        "--full",
        action="store_true",
        help="send everything again (after edits made while the sync was off); the server "
        "keeps each event once",
    )
    sync.add_argument(
        "--server",
        metavar="URL",
        help=f"the server (or env {SERVER_ENV}; default: Settings → Sync)",
    )
    sync.add_argument(
        "--token-file",
        type=Path,
        help=f"read this device's API token from a file (or env {TOKEN_ENV}; default: the "
        "token Settings → Sync keeps in the OS keyring)",
    )
    sync.add_argument(
        "--save",
        action="store_true",
        help="remember --server, the token (in the OS keyring) and --pull/--no-pull for the "
        "app and later runs",
    )
    sync.add_argument(
        "--interval",
        type=float,
        default=60.0,
        help="without --once: seconds between syncs (default 60)",
    )


def _token(args: argparse.Namespace, services: Services) -> str:
    from timelygator.core.sync.token_store import load_token

    if args.token_file is not None:
        path: Path = args.token_file
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValidationError(f"The token file cannot be read ({exc.strerror}).") from None
        if not token:
            raise ValidationError(f"The token file {path} is empty.")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip() or load_token(services.dirs) or ""
    if not token:
        raise ValidationError(
            "No token for the sync server: enter it in Settings → Sync, or give it with "
            f"--token-file or {TOKEN_ENV} (create it on the server with 'timelygator token "
            "create --scope write').",
        )
    return token


def _sync(args: argparse.Namespace) -> int:
    from timelygator.core.client.sync_client import SyncClient, check_server_url
    from timelygator.core.sync.engine import SyncEngine
    from timelygator.core.sync.token_store import store_token

    if not 1 <= args.interval <= 86_400:
        raise ValidationError("--interval must be between 1 and 86400 seconds.")
    given = args.server or os.environ.get(SERVER_ENV, "").strip() or None
    if given is not None:
        check_server_url(given)  # refused before the folder is opened
    instead = "The app syncs by itself: turn it on in Settings → Sync (or quit the app first)."
    with open_services(args, instead=instead) as services:
        with services.read() as conn:
            prefs = load_preferences(conn, services.user_id)
        server = given or prefs.sync.server_url
        if not server:
            raise ValidationError(
                "No sync server: set one in Settings → Sync, or give --server URL (or "
                f"{SERVER_ENV}).",
            )
        pull = prefs.sync.pull if args.pull is None else args.pull
        token = _token(args, services)
        client = SyncClient(server, token)
        if args.save:
            store_token(services.dirs, token)
            prefs.sync.server_url, prefs.sync.pull = client.base_url, pull
            save_preferences(services.writer, services.user_id, prefs).result(30)
            print(f"Saved: server {client.base_url}, its token in the OS keyring.", flush=True)
        with client:
            engine = SyncEngine(services, client, pull=pull)
            if args.full:
                engine.resend_all()
            if args.once:
                return _once(engine, client.base_url)
            return _loop(engine, client.base_url, args.interval)


def _once(engine: SyncEngine, server: str) -> int:
    report = engine.sync_once()
    print(f"Synced with {server}: {report.summary()}", flush=True)
    for note in report.notes:
        print(f"  {note}", flush=True)
    print(f"  {report.pending} event(s) not on the server yet.", flush=True)
    return 0


def _loop(engine: SyncEngine, server: str, interval: float) -> int:
    """Sync every ``interval`` seconds until a signal; while the server is unreachable or
    busy, try again after 5 s, 10 s, … up to 5 minutes."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"Syncing with {server} every {interval:g} s (Ctrl-C stops).", flush=True)
    backoff = FIRST_BACKOFF_S
    while not stop.is_set():
        try:
            report = engine.sync_once(stop)
        except SyncError as exc:
            print(f"timelygator: {exc}", file=sys.stderr, flush=True)
            if not exc.retry:
                return exc.exit_code
            stop.wait(backoff)
            backoff = min(MAX_BACKOFF_S, backoff * 2)
            continue
        print(f"Synced: {report.summary()} {report.pending} pending.", flush=True)
        backoff = FIRST_BACKOFF_S
        stop.wait(interval)
    return 0
