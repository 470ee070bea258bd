"""``timelygator watch``: run the watchers without the desktop app.

Without ``--server`` the watchers write into this machine's encrypted store directly; with
``--server URL`` they send heartbeats to a TimelyGator (or ActivityWatch) server over HTTP,
pre-merged and queued on disk while the server is unreachable.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from sqlcipher3 import dbapi2 as sqlcipher

from core import files
from core.cli import subcommand
from core.cli.common import dirs_from, open_services, passphrase_from
from core.client.offline_queue import OfflineQueue
from core.errors import ValidationError
from core.keys import DataKey, KeyStore
from core.paths import AppDirs
from core.services import Services
from watchers.config import AfkWatcherConfig, WatchersConfig, WebWatcherConfig, WindowWatcherConfig
from watchers.headless import run_headless
from watchers.local_sink import ServicesSink
from watchers.sink import Sink
from watchers.status import WatcherStatus

if TYPE_CHECKING:
    from core.client import TgClient

log = logging.getLogger(__name__)

TOKEN_ENV = "TIMELYGATOR_TOKEN"  # noqa: S105 - a variable name


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    watch = subcommand(subparsers, "watch", _watch, "run the watchers without the desktop app")
    watch.add_argument(
        "--server",
        metavar="URL",
        help="send to this TimelyGator/ActivityWatch server (e.g. http://127.0.0.1:5600) "
        "instead of writing to the local store",
    )
    watch.add_argument(
        "--token-file", type=Path, help=f"API token for --server (or env {TOKEN_ENV})"
    )
    watch.add_argument("--no-window", action="store_true", help="do not record the active window")
    watch.add_argument("--no-afk", action="store_true", help="do not record away time")
    watch.add_argument("--no-web", action="store_true", help="do not resolve browser tabs")
    watch.add_argument("--poll", type=float, default=1.0, help="window poll interval, seconds")
    watch.add_argument("--afk-timeout", type=float, default=180.0, help="seconds until away")


def build_config(args: argparse.Namespace) -> WatchersConfig:
    afk_poll = AfkWatcherConfig().poll_s
    if not 0.1 <= args.poll <= 3600:
        raise ValidationError("--poll must be between 0.1 and 3600 seconds.")
    if not afk_poll <= args.afk_timeout <= 86_400:
        raise ValidationError(
            f"--afk-timeout must be between {afk_poll:g} seconds (the away watcher looks "
            f"every {afk_poll:g} s) and 86400 seconds (a day)."
        )
    return replace(
        WatchersConfig(),
        window=WindowWatcherConfig(enabled=not args.no_window, poll_s=args.poll),
        afk=AfkWatcherConfig(enabled=not args.no_afk, timeout_s=args.afk_timeout),
        web=WebWatcherConfig(enabled=not args.no_web),
    )


QUEUE_FILENAME = "watcher-queue.sqlite"


def queue_key(dirs: AppDirs, passphrase: str | None) -> DataKey:
    """The data folder's key: the offline queue is encrypted with it too.

    A folder without a key gets its key and (empty) database first, as the app would make
    them, so the folder never holds a key without a database.
    """
    keystore = KeyStore(dirs)
    if keystore.mode() is None:
        Services.open(dirs, passphrase, create=True).close()
    return keystore.load(passphrase)[0]


def open_queue(dirs: AppDirs, passphrase: str | None) -> tuple[Path, DataKey]:
    """The queue file and its key; a queue made under an older key is set aside.

    After ``db rekey`` (or a key that was restored from elsewhere) the queue no longer opens
    with the folder's key; it is renamed ``….unreadable-<stamp>`` rather than deleted.
    """
    key = queue_key(dirs, passphrase)
    path = dirs.data / QUEUE_FILENAME
    if path.exists() and path.stat().st_size > 0:
        try:
            OfflineQueue(path, key).close()
        except sqlcipher.DatabaseError:
            aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
            log.warning("The offline queue does not open with the folder's key; kept as %s", aside)
            os.replace(path, aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path, key


def server_client(args: argparse.Namespace) -> TgClient:
    """The client ``watch --server`` sends through; its offline queue is encrypted."""
    from core.client import TgClient

    dirs = dirs_from(args)
    dirs.ensure()
    files.private_dir(dirs.data)
    queue_path, key = open_queue(dirs, passphrase_from(args))
    return TgClient(args.server, queue_path=queue_path, queue_key=key, token=_token(args))


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            return args.token_file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ValidationError(f"The token file cannot be read ({exc.strerror}).") from None
    return os.environ.get(TOKEN_ENV) or None


_PRINT_LOCK = threading.Lock()


def _report(name: str, status: WatcherStatus) -> None:
    # One write per line, under a lock: the watchers report from their own threads, and
    # print()'s separate write of the newline let two lines run together.
    with _PRINT_LOCK:
        sys.stdout.write(f"{name}: {status}\n")
        sys.stdout.flush()


def _watch(args: argparse.Namespace) -> int:
    from watchers.session import detect_session

    config = build_config(args)
    print(f"session: {detect_session().describe()}", flush=True)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if args.server:
        from watchers.sink import HttpSink

        sink: Sink = HttpSink(server_client(args))
        try:
            run_headless(sink, config, stop, on_status=_report)
        finally:
            sink.close()
        return 0
    with open_services(args, create=True) as services:
        sink = ServicesSink(services)
        run_headless(sink, config, stop, on_status=_report)
    return 0
