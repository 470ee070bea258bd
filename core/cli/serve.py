"""``timelygator serve``: the REST API, standalone, until SIGTERM/SIGINT.

Shutdown is ordered and graceful: stop accepting, finish in-flight requests (their writes
commit), flush and stop the writer, close the database.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Any

from timelygator.core.cli import subcommand
from timelygator.core.cli.common import dirs_from, open_services, passphrase_from
from timelygator.core.cors import extension_origin, web_origin
from timelygator.core.errors import ValidationError
from timelygator.core.services import Services


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subcommand(
        subparsers, "serve", _serve, "run the local REST API (ActivityWatch-compatible)"
    )
    # Defaults None: the environment, then the built-in default (core.api.server_config).
    serve.add_argument(
        "--host", help="address to listen on (env TIMELYGATOR_HOST; default 127.0.0.1)"
    )
    serve.add_argument("--port", help="port (env TIMELYGATOR_PORT; default 5600; 0 = any free)")
    serve.add_argument(
        "--workers",
        metavar="N",
        help="API processes on one port (env TIMELYGATOR_WORKERS; default 1; more need a "
        "PostgreSQL database)",
    )
    serve.add_argument(
        "--database-url",
        metavar="URL",
        help="serve a PostgreSQL database instead of the data folder's file: "
        "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE (env TIMELYGATOR_DATABASE_URL)",
    )
    serve.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="what the console shows: debug, info, warning, error or critical (env "
        "TIMELYGATOR_LOG_LEVEL; default warning)",
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (needs at least one API token)",
    )
    serve.add_argument(
        "--compat",
        action="store_true",
        help="ActivityWatch-compatibility mode: accept token-less requests from this computer",
    )
    serve.add_argument("--testing", action="store_true", help="report testing=true in /api/0/info")
    serve.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="PER_S",
        help="sustained requests per second per token (0 = no limit; default 1000); the "
        "burst is 20 seconds of it unless --rate-burst says otherwise",
    )
    serve.add_argument(
        "--rate-burst", type=int, default=None, metavar="N", help="requests allowed at once"
    )
    serve.add_argument(
        "--allow-extension",
        action="append",
        default=[],
        metavar="ID",
        help="also allow this Chrome extension id (e.g. an unpacked aw-watcher-web); repeatable",
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="also allow this web origin, e.g. http://localhost:5600 (aw-webui); repeatable",
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="with --allow-remote: another name clients use for this machine; repeatable",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--query-processes",
        type=int,
        default=1,
        metavar="N",
        help="run queries in N worker processes beside the server (default 1; 0 = on "
        "threads of the server's process)",
    )


def _serve(args: argparse.Namespace) -> int:
    # Imported here: every other command (and the app) starts without FastAPI.
    from timelygator.core.api import ApiConfig, ApiServer, server_config, supervisor
    from timelygator.core.cli import run

    settings = server_config.configure(args)  # options, else environment; checked

    if args.compat and args.allow_remote:
        raise ValidationError(
            "--compat (token-less access) is for clients on this computer only and cannot be "
            "combined with --allow-remote: give remote clients a token instead."
        )
    origins = [extension_origin(i) for i in args.allow_extension]
    origins += [web_origin(o) for o in args.allow_origin]
    limits: dict[str, Any] = {}
    if args.rate_limit is not None:
        if not args.rate_limit >= 0:
            raise ValidationError("--rate-limit must be zero (no limit) or more.")
        limits["rate_limit_per_s"] = args.rate_limit
    if args.rate_burst is not None:
        if args.rate_burst < 1:
            raise ValidationError("--rate-burst must be at least 1.")
        limits["rate_limit_burst"] = args.rate_burst
    config = ApiConfig(
        host=settings.host,
        port=settings.port,
        allow_remote=args.allow_remote,
        compat_mode=True if args.compat else None,
        testing=args.testing,
        access_log=args.access_log,
        extension_origins=tuple(origins),
        allowed_hosts=tuple(args.allow_host),
        query_processes=max(args.query_processes, 0),
        heavy_reads=max(args.query_processes, 2),
        **limits,
    )
    if settings.workers > 1:
        if settings.database_url is None:
            passphrase_from(args)  # asked here if at all: the workers have no terminal
        return supervisor.run_workers(args, settings, run)
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if settings.database_url is not None:
            services = Services.open_server(settings.database_url, dirs_from(args))
        else:
            services = open_services(args, create=True)
        try:
            server = ApiServer(
                services, config, listen=settings.listen_socket, log_level=settings.log_level
            )
            server.start()
            try:
                server_config.announce(settings, server.url)
                while not stop.wait(1.0):
                    pass
                print("Stopping…", file=sys.stderr, flush=True)
            finally:
                server.stop()
        finally:
            services.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("Stopped; all writes are saved.", file=sys.stderr, flush=True)
    return 0
