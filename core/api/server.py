"""Running the API: uvicorn on a thread of its own, started and stopped by the caller.

Used by the desktop app (embedded) and by ``timelygator serve``. Signal handling stays with
the caller (uvicorn's is disabled). The socket is bound before the thread starts, so a port
in use is a clear ``TimelyGatorError`` from ``start()``, never a crash on another thread.
Under ``serve --workers N`` each worker process runs one ``ApiServer`` on the socket its
supervisor bound (``listen``; see ``core.api.supervisor``).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import socket
import sys
import threading
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI
from timelygator.core import tokens
from timelygator.core.api.app import create_app
from timelygator.core.api.config import ApiConfig
from timelygator.core.api.context import ApiContext
from timelygator.core.errors import TimelyGatorError
from timelygator.core.services import Services

log = logging.getLogger(__name__)


class _ThreadServer(uvicorn.Server):
    """A uvicorn server that leaves signals alone and reports when it is listening."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


def freeze_heap(config: ApiConfig) -> bool:
    """Move everything allocated so far out of the garbage collector's sight (``gc.freeze``).

    A server's start-up heap (FastAPI, pydantic, SQLAlchemy: a few hundred thousand objects)
    lives as long as the process, yet every full collection walks it again, and request
    bodies trigger full collections often (thousands of events per insert are young objects
    still alive when the collector runs): tens of milliseconds each, a quarter of the bulk
    insert throughput. Frozen objects are never collected, so this suits a process that
    only serves the API; by default (``config.freeze_heap`` None) it is done unless a GUI
    toolkit is loaded (the desktop app's objects come and go; it can opt in with True).
    """
    wanted = config.freeze_heap
    if wanted is None:
        wanted = "PySide6" not in sys.modules
    if wanted:
        gc.freeze()
    return wanted


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` (0: any free port), inheritable by worker
    processes; a port in use or an address this machine lacks is a clear
    ``TimelyGatorError``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP (with proto 0 every response waits ~40 ms for a delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if hasattr(socket, "SO_REUSEADDR") and not hasattr(socket, "SO_EXCLUSIVEADDRUSE"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
            raise TimelyGatorError(
                f"Port {port} on {host} is already in use (is ActivityWatch or "
                "another TimelyGator running?). Stop it, or choose another port."
            ) from None
        raise TimelyGatorError(f"Cannot listen on {host}:{port} ({exc.strerror or exc}).") from None
    sock.set_inheritable(True)
    return sock


class ApiServer:
    """The REST API on ``config.host:config.port``.

    ``start()`` returns once the server accepts connections; ``stop()`` ends open event
    streams, lets in-flight requests finish (their writes are committed) and joins the
    thread. ``services`` stays open: close it after ``stop()``.
    """

    def __init__(
        self,
        services: Services,
        config: ApiConfig | None = None,
        app: FastAPI | None = None,
        *,
        listen: socket.socket | None = None,
        log_level: str = "warning",
    ) -> None:
        """``listen``: a socket already bound and listening (a worker of ``serve --workers``
        shares its supervisor's); used by the first ``start()``, closed by ``stop()``.
        ``log_level``: uvicorn's own loggers (``serve --log-level``)."""
        self.services = services
        self.config = config or ApiConfig()
        self.app = app
        self.log_level = log_level
        self._listen = listen
        self._server: _ThreadServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = self.config.port

    @property
    def url(self) -> str:
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _check_exposure(self) -> None:
        if self.config.compat_mode and self.config.allow_remote:
            raise TimelyGatorError(
                "Compatibility mode (token-less access) is for clients on this computer only: "
                "it cannot be combined with --allow-remote. Give remote clients a token "
                "('timelygator token create') instead."
            )
        if self.config.loopback:
            return
        if not self.config.allow_remote:
            raise TimelyGatorError(
                f"Refusing to listen on {self.config.host}: only this computer (127.0.0.1) is "
                "allowed unless you pass --allow-remote."
            )
        with self.services.read() as conn:
            if not tokens.has_active_tokens(conn):
                raise TimelyGatorError(
                    f"Refusing to listen on {self.config.host} without API tokens: create one "
                    "with 'timelygator token create --scope read' first."
                )

    def start(self, timeout: float = 15.0) -> None:
        """Bind (or take ``listen``), start the server thread and wait until it listens."""
        if self.running:
            return
        self._check_exposure()
        if self.app is None:
            self.app = create_app(self.services, self.config)
        if self._listen is not None:
            sock, self._listen = self._listen, None
        else:
            sock = bind_socket(self.config.host, self.config.port)
        freeze_heap(self.config)
        if isinstance(self.app, FastAPI) and self.app.state.ctx.query_workers is not None:
            self.app.state.ctx.query_workers.start()
        self.port = int(sock.getsockname()[1])
        uv_config = uvicorn.Config(
            self.app,
            log_level=self.log_level,
            access_log=self.config.access_log,
            lifespan="off",
            ws="none",  # no websocket routes: do not load a websocket library
            timeout_graceful_shutdown=10,
            timeout_keep_alive=self.config.keep_alive_s,
            server_header=False,
        )
        server = _ThreadServer(uv_config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="timelygator-api", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        # Wait for "listening", or for the thread to die trying (checked on each short wait).
        waited = 0.0
        while not server.ready.wait(0.05):
            waited += 0.05
            if not thread.is_alive() or waited >= timeout:
                self._cleanup()
                raise TimelyGatorError(
                    f"The API server did not start on {self.config.host}:{self.port}."
                )
        log.info("API listening on %s", self.url)

    def stop(self, timeout: float = 15.0) -> None:
        """Graceful stop: end streams, finish in-flight requests, join the thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        if isinstance(self.app, FastAPI):
            ctx: ApiContext = self.app.state.ctx
            ctx.hub.close()
        server.should_exit = True
        thread.join(timeout)
        if isinstance(self.app, FastAPI):
            self.app.state.ctx.close()
        if thread.is_alive():
            log.warning("The API server did not stop in %.0f s; forcing it", timeout)
            server.force_exit = True
            thread.join(5.0)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> ApiServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
