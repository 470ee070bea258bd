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
import threading
from dataclasses import replace
from pathlib import Path
from types import FrameType

from core.cli import subcommand
from core.cli.common import dirs_from, open_services
from core.errors import ValidationError
from core.keys import DataKey, KeyStore
from core.paths import AppDirs
from watchers.config import AfkWatcherConfig, WatchersConfig, WebWatcherConfig, WindowWatcherConfig
from watchers.headless import run_headless
from watchers.local_sink import ServicesSink
from watchers.sink import Sink
from watchers.status import WatcherStatus

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
    if args.poll <= 0 or args.afk_timeout <= 0:
        raise ValidationError("--poll and --afk-timeout must be positive numbers of seconds.")
    return replace(
        WatchersConfig(),
        window=WindowWatcherConfig(enabled=not args.no_window, poll_s=args.poll),
        afk=AfkWatcherConfig(enabled=not args.no_afk, timeout_s=args.afk_timeout),
        web=WebWatcherConfig(enabled=not args.no_web),
    )


def queue_key(dirs: AppDirs, passphrase: str | None) -> DataKey:
    """The data folder's key (created on first use): the offline queue is encrypted too."""
    keystore = KeyStore(dirs)
    if keystore.mode() is None:
        return keystore.create(passphrase)
    return keystore.load(passphrase)[0]


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            return args.token_file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ValidationError(f"The token file cannot be read ({exc.strerror}).") from None
    return os.environ.get(TOKEN_ENV) or None


def _report(name: str, status: WatcherStatus) -> None:
    print(f"{name}: {status}", flush=True)


def _watch(args: argparse.Namespace) -> int:
    config = build_config(args)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if args.server:
        from core.client import TgClient
        from watchers.sink import HttpSink

        dirs = dirs_from(args)
        dirs.ensure()
        client = TgClient(
            args.server, queue_path=dirs.data / "watcher-queue.sqlite", token=_token(args)
        )
        sink: Sink = HttpSink(client)
        try:
            run_headless(sink, config, stop, on_status=_report)
        finally:
            sink.close()
        return 0
    with open_services(args, create=True) as services:
        sink = ServicesSink(services)
        run_headless(sink, config, stop, on_status=_report)
    return 0
