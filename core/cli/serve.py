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

from core.cli import subcommand
from core.cli.common import open_services


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subcommand(
        subparsers, "serve", _serve, "run the local REST API (ActivityWatch-compatible)"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=5600, help="port (default 5600; 0 = any free)")
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
        help="sustained requests per second per token (0 = no limit)",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")


def _serve(args: argparse.Namespace) -> int:
    # Imported here: every other command (and the app) starts without FastAPI.
    from core.api import ApiConfig, ApiServer

    config = ApiConfig(
        host=args.host,
        port=args.port,
        allow_remote=args.allow_remote,
        compat_mode=True if args.compat else None,
        testing=args.testing,
        access_log=args.access_log,
        **({} if args.rate_limit is None else {"rate_limit_per_s": args.rate_limit}),
    )
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        services = open_services(args, create=True)
        try:
            server = ApiServer(services, config)
            server.start()
            try:
                print(f"TimelyGator API listening on {server.url}", file=sys.stderr, flush=True)
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
