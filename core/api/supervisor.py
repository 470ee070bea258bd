"""Several API processes on one port: ``timelygator serve --workers N``.

The process the user started becomes a supervisor: it binds the listening socket once and
starts N worker processes (``multiprocessing``, spawn). Each worker runs the same ``serve``
command on that inherited socket, as a single-process server would: its own database
connections, writer, query process and ordered stop. The kernel hands each new connection
to one of the processes accepting on the socket.

- **Start.** The first worker starts alone and is waited for: it upgrades the schema if
  needed (once, not N times at once), checks the exposure rules (a non-loopback address
  needs a token) and opens the database. If it fails, its one-line error (printed by the
  worker) and exit code are the command's, and nothing else starts. Then the others start
  together; the supervisor says "listening" once all of them are.
- **Run.** A worker that exits after it was listening (a crash, the OOM killer) is replaced.
  A replacement that fails before it listens stops the server: a crash loop serves nobody.
- **Stop.** SIGTERM or SIGINT asks every worker to stop, through a pipe (each then stops as
  ``serve`` does: streams ended, in-flight requests finished, the writer flushed), waits for
  all of them and kills only those still running after ``STOP_TIMEOUT_S``.
- **Orphans.** Each worker watches its pipe from the supervisor: when the supervisor dies
  (``kill -9``), the pipe closes and the worker stops by itself.
- **Metrics.** With several workers, ``/metrics`` from any of them counts the whole server
  (``core.api.metrics``): the supervisor makes a private directory for the workers' metric
  files (``shared_metrics_directory``), names it in their environment, tells prometheus_client
  when one has died (``mark_process_dead``: its writer queue no longer counts, its requests
  still do) and removes the directory when it stops. One worker keeps its metrics in memory.

Why not uvicorn's own multi-process mode (``uvicorn.run("module:factory", workers=N)``):
its workers build the app in a factory and would open and close the database in the ASGI
lifespan, after uvicorn's graceful shutdown, which waits for open event streams until its
timeout; a worker here is the tested single-process server (``ApiServer``), which ends the
streams first, and the start-up above (one migration, fail fast, "listening" when all are)
is not something uvicorn's supervisor offers.

Several workers need PostgreSQL (``server_config.resolve`` refuses SQLite). A worker's
in-memory state is its own: the live event stream and the analytics' memory see the changes
made through their own process (the analytics' stored rows are shared, in the database).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import logging
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

from prometheus_client.multiprocess import mark_process_dead
from timelygator.core.api.metrics import MULTIPROCESS_ENV
from timelygator.core.api.server import bind_socket
from timelygator.core.api.server_config import WORKER_ATTR, ServerSettings
from timelygator.core.errors import TimelyGatorError
from timelygator.core.logs import add_secret

log = logging.getLogger(__name__)

# How long a stopping worker may take (ApiServer.stop allows 15 s plus 5 s to force it,
# then the writer flushes) before it is killed.
STOP_TIMEOUT_S = 40.0
# How often the supervisor looks at its stop flag while nothing else happens.
_TICK_S = 0.5

Target = Callable[[argparse.Namespace], int]


class WorkerLink:
    """A worker's end of its supervisor's pipes, and the socket it serves on.

    Lives in the worker process, on the parsed arguments (``server_config.WORKER_ATTR``).
    """

    def __init__(self, index: int, sock: socket.socket, ready: Connection, stop: Connection):
        self.index = index
        self.socket = sock
        self._ready = ready
        self._stop = stop

    def listening(self) -> None:
        """Tell the supervisor this worker accepts connections."""
        log.info("API worker %d (pid %d) is listening", self.index, os.getpid())
        with contextlib.suppress(OSError):
            self._ready.send(os.getpid())

    def watch_supervisor(self) -> None:
        """Wait for "stop" or the supervisor's end, then stop this process like SIGTERM does.

        Runs on a thread of its own; ``serve`` installed its SIGTERM handler by the time a
        stop is asked (before that, the default action ends the process, which is right:
        it has not started serving).
        """
        with contextlib.suppress(EOFError, OSError):
            self._stop.recv()
        signal.raise_signal(signal.SIGTERM)


def _worker_main(
    target: Target,
    args: argparse.Namespace,
    index: int,
    sock: socket.socket,
    ready: Connection,
    stop: Connection,
) -> None:
    """A worker process: the same ``serve`` command, one process, on the given socket."""
    add_secret(getattr(args, "_asked_passphrase", None))
    link = WorkerLink(index, sock, ready, stop)
    setattr(args, WORKER_ATTR, link)
    threading.Thread(
        target=link.watch_supervisor, name="timelygator-supervisor-link", daemon=True
    ).start()
    sys.exit(target(args))


@contextlib.contextmanager
def shared_metrics_directory(workers: int) -> Iterator[Path | None]:
    """For several workers: a new private directory (mode 0700, in the temporary folder) for
    their metric files, named in this process's environment (``MULTIPROCESS_ENV``) so that
    every worker started meanwhile inherits it; at the end the variable is restored and the
    directory removed. For one worker: None, and nothing is made."""
    if workers < 2:
        yield None
        return
    previous = os.environ.get(MULTIPROCESS_ENV)
    try:
        made = tempfile.TemporaryDirectory(prefix="timelygator-metrics-")
    except OSError as exc:
        raise TimelyGatorError(
            f"Cannot make a folder for the workers' metrics in {tempfile.gettempdir()} "
            f"({exc.strerror or exc}): point TMPDIR at a folder this user may write to. "
            "Nothing was started."
        ) from None
    with made as path:
        os.environ[MULTIPROCESS_ENV] = path
        try:
            yield Path(path)
        finally:
            if previous is None:
                os.environ.pop(MULTIPROCESS_ENV, None)
            else:
                os.environ[MULTIPROCESS_ENV] = previous


@dataclass
class _Worker:
    index: int
    process: BaseProcess
    ready: Connection  # the supervisor's end: the worker's pid once it listens
    stop: Connection  # the supervisor's end: "stop", or closed when the supervisor goes
    listening: bool = False


class Supervisor:
    """Starts, watches, replaces and stops the workers (see the module's docstring)."""

    def __init__(self, args: argparse.Namespace, settings: ServerSettings, target: Target) -> None:
        self.args = args
        self.settings = settings
        self.target = target
        self.workers: dict[int, _Worker] = {}
        self.socket: socket.socket | None = None
        self.metrics_dir: Path | None = None  # the workers' metric files (several workers)
        self._stopping = threading.Event()
        self._context = multiprocessing.get_context("spawn")

    def request_stop(self, _signum: int | None = None, _frame: FrameType | None = None) -> None:
        """Stop every worker and return from ``run`` (a signal handler)."""
        self._stopping.set()

    # -- one worker ---------------------------------------------------------------------
    def _start(self, index: int) -> _Worker:
        assert self.socket is not None
        ready_here, ready_there = self._context.Pipe(duplex=False)
        stop_there, stop_here = self._context.Pipe(duplex=False)
        worker_args = copy.copy(self.args)
        worker_args.workers = 1
        process = self._context.Process(
            target=_worker_main,
            args=(self.target, worker_args, index, self.socket, ready_there, stop_there),
            name=f"timelygator-api-{index}",
        )
        process.start()
        # The worker holds the other ends now: ours must go, so that each side sees the
        # other's end as end-of-file.
        ready_there.close()
        stop_there.close()
        worker = _Worker(index, process, ready_here, stop_here)
        self.workers[index] = worker
        return worker

    def _await_listening(self, pending: list[_Worker]) -> _Worker | None:
        """Wait until every worker in ``pending`` listens; the first that died instead (or
        None). Returns None at once when a stop is requested."""
        waiting = [w for w in pending if not w.listening]
        while waiting and not self._stopping.is_set():
            ready = wait([w.ready for w in waiting], timeout=_TICK_S)
            for worker in [w for w in waiting if w.ready in ready]:
                waiting.remove(worker)
                try:
                    worker.ready.recv()
                except (EOFError, OSError):
                    worker.process.join()
                    return worker
                worker.listening = True
        return None

    # -- the whole -----------------------------------------------------------------------
    def run(self) -> int:
        """Serve until asked to stop; the exit code (0 after a requested stop)."""
        settings = self.settings
        with shared_metrics_directory(settings.workers) as self.metrics_dir:
            self.socket = bind_socket(settings.host, settings.port)
            try:
                code = self._run()
            except BaseException:
                self._stop_all()
                raise
            finally:
                self.socket.close()
            stopped = self._stop_all()
        self.metrics_dir = None
        return code or stopped

    def _run(self) -> int:
        first = self._start(1)
        failed = self._await_listening([first])
        if failed is None and not self._stopping.is_set():
            rest = [self._start(i) for i in range(2, self.settings.workers + 1)]
            failed = self._await_listening(rest)
        if failed is not None:
            code = failed.process.exitcode or 1
            log.error("API worker %d exited with code %s before it listened", failed.index, code)
            return code
        if self._stopping.is_set():
            return 0
        assert self.socket is not None
        host, port = self.socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        pids = ", ".join(str(w.process.pid) for w in self.workers.values())
        print(
            f"TimelyGator API listening on http://{shown}:{port} "
            f"({len(self.workers)} worker processes: {pids})",
            file=sys.stderr,
            flush=True,
        )
        return self._watch()

    def _watch(self) -> int:
        """Replace workers that die until a stop is requested."""
        while not self._stopping.is_set():
            running = list(self.workers.values())
            ended = wait([w.process.sentinel for w in running], timeout=_TICK_S)
            for gone in [w for w in running if w.process.sentinel in ended]:
                if self._stopping.is_set():
                    break
                gone.process.join()
                log.warning(
                    "API worker %d (pid %s) exited with code %s; starting another",
                    gone.index,
                    gone.process.pid,
                    gone.process.exitcode,
                )
                print(
                    f"API worker {gone.index} exited (code {gone.process.exitcode}); "
                    "starting another.",
                    file=sys.stderr,
                    flush=True,
                )
                self._close(gone)
                replacement = self._start(gone.index)
                failed = self._await_listening([replacement])
                if failed is None and replacement.listening:
                    print(
                        f"API worker {gone.index} is listening again "
                        f"(pid {replacement.process.pid}).",
                        file=sys.stderr,
                        flush=True,
                    )
                if failed is not None:
                    print(
                        f"The replacement of API worker {gone.index} could not start; "
                        "stopping the server.",
                        file=sys.stderr,
                        flush=True,
                    )
                    return failed.process.exitcode or 1
        return 0

    def _close(self, worker: _Worker) -> None:
        for conn in (worker.ready, worker.stop):
            conn.close()
        shared = self.metrics_dir
        if shared is not None and worker.process.exitcode is not None:
            # Its writer queue no longer counts; its requests do (their file stays).
            mark_process_dead(worker.process.pid, str(shared))  # type: ignore[no-untyped-call]
        with contextlib.suppress(ValueError):
            worker.process.close()
        self.workers.pop(worker.index, None)

    def _stop_all(self) -> int:
        """Ask every worker to stop, wait for each, kill those that do not; 0 when every
        one stopped cleanly, else 1."""
        code = 0
        workers = list(self.workers.values())
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.stop.send("stop")
        for worker in workers:
            worker.process.join(STOP_TIMEOUT_S)
            if worker.process.is_alive():
                log.warning("API worker %d did not stop in time; killing it", worker.index)
                worker.process.kill()
                worker.process.join()
            if worker.process.exitcode not in (0, -signal.SIGTERM):
                log.warning(
                    "API worker %d exited with code %s", worker.index, worker.process.exitcode
                )
                code = 1
            self._close(worker)
        return code


def run_workers(args: argparse.Namespace, settings: ServerSettings, target: Target) -> int:
    """``serve --workers N``: supervise N processes each running ``target(args)`` (the
    ``serve`` command) on one shared socket, until SIGTERM or SIGINT. The exit code."""
    supervisor = Supervisor(args, settings, target)
    handled = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, supervisor.request_stop) for sig in handled}
    try:
        code = supervisor.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code == 0:
        print("All API workers stopped; all writes are saved.", file=sys.stderr, flush=True)
    return code
