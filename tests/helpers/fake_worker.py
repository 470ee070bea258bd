"""A stand-in for ``timelygator serve`` inside the workers of ``core.api.supervisor``.

The real supervisor and the real ``ApiServer`` on the supervisor's socket, around a tiny app
that says which process answered, so several workers can be tested on one port before
there is a database they can share (several workers need PostgreSQL). ``main`` runs the
supervisor; ``serve`` is what each worker runs instead of the ``serve`` command.

The app's routes: ``/pid`` answers the worker's process id; ``/hold`` writes the pid into
the FIFO ``$FAKE_WORKER_FIFOS/held`` and then blocks the worker's whole event loop until a
line arrives on ``$FAKE_WORKER_FIFOS/release``: while one worker is held, every other
connection must be taken by another worker (no sleeps: the FIFOs are the handshake).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, cast

from timelygator.core.api import ApiConfig, ApiServer, server_config, supervisor
from timelygator.core.services import Services

FIFOS_ENV = "FAKE_WORKER_FIFOS"
FAIL_ENV = "FAKE_WORKER_FAIL"  # "1": the worker fails before it listens (exit code 3)


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/hold":  # blocks the event loop on purpose (see the docstring)
        fifos = Path(os.environ[FIFOS_ENV])
        with open(fifos / "held", "w", encoding="utf-8") as held:
            held.write(f"{os.getpid()}\n")
        with open(fifos / "release", encoding="utf-8") as release:
            release.readline()
    body = json.dumps({"pid": os.getpid()}).encode()
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve(args: argparse.Namespace) -> int:
    """One worker: the app above on the supervisor's socket until asked to stop."""
    settings = server_config.resolve(args)
    if os.environ.get(FAIL_ENV) == "1":
        print("fake worker: failing on purpose", file=sys.stderr, flush=True)
        return 3
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    config = ApiConfig(host=settings.host, port=settings.port, freeze_heap=False)
    no_services = cast(Services, None)  # the app is not TimelyGator's: nothing opens a database
    server = ApiServer(no_services, config, cast(Any, _app), listen=settings.listen_socket)
    server.start()
    server_config.announce(settings, server.url)
    while not stop.wait(1.0):
        pass
    server.stop()
    return 0


def main(workers: int) -> int:
    """The supervisor of ``workers`` fake workers on a free loopback port."""
    args = argparse.Namespace(
        host="127.0.0.1",
        port="0",
        workers=str(workers),
        log_level=None,
        # Several workers are refused on SQLite; the fake workers open no database at all.
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    settings = server_config.resolve(args)
    return supervisor.run_workers(args, settings, serve)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
