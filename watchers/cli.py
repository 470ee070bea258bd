"""``timelygator watch``: run the watchers without the desktop app.

Without ``--server`` the watchers write into this machine's encrypted store directly; with
``--server URL`` they send heartbeats to a TimelyGator (or ActivityWatch) server over HTTP,
pre-merged and queued on disk while the server is unreachable.

Either way they apply the user's privacy settings and watcher preferences, the ones the app's
Settings store in the data folder (``config_from_preferences``, the app's own mapping); the
options below override the watcher intervals and switches only. With ``--server`` the
server's database is not readable here, so the local data folder's preferences apply when it
opens (read-only, beside a running app); otherwise the output says that the defaults apply.
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
from timelygator.core import files
from timelygator.core.cli import subcommand
from timelygator.core.cli.common import dirs_from, open_services, passphrase_from
from timelygator.core.client.offline_queue import OfflineQueue
from timelygator.core.errors import TimelyGatorError, ValidationError
from timelygator.core.keys import DataKey, KeyStore
from timelygator.core.logs import set_log_titles
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import Preferences, load_preferences
from timelygator.core.services import Services
from timelygator.watchers.config import (
    WatchersConfig,
    config_from_preferences,
    describe_privacy,
)
from timelygator.watchers.headless import run_headless
from timelygator.watchers.local_sink import ServicesSink
from timelygator.watchers.sink import Sink
from timelygator.watchers.status import WatcherStatus

if TYPE_CHECKING:
    from timelygator.core.client import TgClient

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
    watch.add_argument(
        "--poll",
        type=float,
        default=None,
        help="window poll interval, seconds (default: the app's setting, 1 s)",
    )
    watch.add_argument(
        "--afk-timeout",
        type=float,
        default=None,
        help="seconds until away (default: the app's setting, 180 s)",
    )


def build_config(args: argparse.Namespace, prefs: Preferences | None = None) -> WatchersConfig:
    """The user's preferences (defaults when ``None``), with the command line's overrides.

    Privacy rules always come from the preferences: no option turns them off.
    """
    config = config_from_preferences(prefs or Preferences())
    window, afk, web = config.window, config.afk, config.web
    if args.poll is not None:
        if not 0.1 <= args.poll <= 3600:
            raise ValidationError("--poll must be between 0.1 and 3600 seconds.")
        window = replace(window, poll_s=args.poll)
    if args.afk_timeout is not None:
        afk_poll = afk.poll_s
        if not afk_poll <= args.afk_timeout <= 86_400:
            raise ValidationError(
                f"--afk-timeout must be between {afk_poll:g} seconds (the away watcher looks "
                f"every {afk_poll:g} s) and 86400 seconds (a day)."
            )
        afk = replace(afk, timeout_s=args.afk_timeout)
    if args.no_window:
        window = replace(window, enabled=False)
    if args.no_afk:
        afk = replace(afk, enabled=False)
    if args.no_web:
        web = replace(web, enabled=False)
    return replace(config, window=window, afk=afk, web=web)


def local_preferences(dirs: AppDirs, passphrase: str | None) -> Preferences | None:
    """The preferences stored in this machine's data folder, read beside a running app;
    None when the folder has no readable database (the reason is logged)."""
    if not dirs.database.exists():
        log.info("no database in %s: no stored preferences", dirs.data)
        return None
    try:
        services = Services.open_reader(dirs, passphrase)
    except TimelyGatorError as exc:
        log.warning("the preferences in %s cannot be read: %s", dirs.data, exc)
        return None
    try:
        with services.read() as conn:
            return load_preferences(conn, services.user_id)
    finally:
        services.close()


def _announce(config: WatchersConfig, source: str) -> None:
    """Say which privacy settings the watchers apply (on stdout and in the log)."""
    line = f"privacy: {describe_privacy(config.privacy)} ({source})"
    log.info("%s", line)
    print(line, flush=True)


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
    from timelygator.core.client import TgClient

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
    from timelygator.watchers.session import detect_session

    build_config(args)  # a wrong option is refused before anything is opened
    print(f"session: {detect_session().describe()}", flush=True)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if args.server:
        from timelygator.watchers.sink import HttpSink

        sink: Sink = HttpSink(server_client(args))
        try:
            dirs = dirs_from(args)
            prefs = local_preferences(dirs, passphrase_from(args))
            if prefs is not None:
                set_log_titles(prefs.general.log_titles)
            config = build_config(args, prefs)
            if prefs is None:
                _announce(config, "defaults: no readable preferences in " + str(dirs.data))
            else:
                _announce(config, f"the app's settings in {dirs.data}")
            run_headless(sink, config, stop, on_status=_report)
        finally:
            sink.close()
        return 0
    with open_services(args, create=True) as services:
        with services.read() as conn:
            prefs = load_preferences(conn, services.user_id)
        set_log_titles(prefs.general.log_titles)
        config = build_config(args, prefs)
        _announce(config, f"the app's settings in {services.dirs.data}")
        sink = ServicesSink(services)
        run_headless(sink, config, stop, on_status=_report)
    return 0
