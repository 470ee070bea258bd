"""How one API server is set up (host, port, security switches, limits)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# The default burst: this many seconds of the sustained rate (20,000 at 1,000/s).
BURST_SECONDS = 20


@dataclass(frozen=True)
class ApiConfig:
    """Settings of the REST API; every field has a safe default.

    ``compat_mode`` None means "as the user's setting says" (off unless enabled); token-less
    access is only ever granted to a loopback client that names a loopback Host.
    Rate limits are per token (or per client address for token-less compat requests):
    a bucket of ``rate_limit_burst`` requests (default: ``BURST_SECONDS`` of the rate)
    refilled at ``rate_limit_per_s``; 0 disables. Failed authentication has a limit of its
    own per client address, so guessing tokens is slow and cheap to refuse.
    """

    host: str = "127.0.0.1"
    port: int = 5600
    allow_remote: bool = False
    compat_mode: bool | None = None
    testing: bool = False
    hostname: str = field(default_factory=socket.gethostname)
    # Origins allowed besides the defaults (aw-watcher-web, TimelyGator's extension, every
    # Firefox extension, the server's own origin): "chrome-extension://<id>" of another
    # extension (an unpacked aw-watcher-web) or a local web page ("http://localhost:5600").
    extension_origins: tuple[str, ...] = ()
    # Host names the API answers to besides localhost/127.0.0.1/[::1] (only with
    # allow_remote; any literal IP address is accepted then too: it cannot be rebound).
    allowed_hosts: tuple[str, ...] = ()
    max_body_bytes: int = 8 * 1024 * 1024
    max_import_bytes: int = 512 * 1024 * 1024
    max_event_data_bytes: int = 256 * 1024
    max_data_depth: int = 32
    max_events_per_request: int = 100_000
    rate_limit_per_s: float = 1000.0
    rate_limit_burst: int | None = None  # None: BURST_SECONDS worth of rate_limit_per_s
    auth_failures_per_s: float = 1.0
    auth_failure_burst: int = 30
    # A request body must arrive within this (a Content-Length larger than the body sent,
    # or a trickle): then 408 and the connection is closed.
    body_timeout_s: float = 30.0
    # Real overload: with this many changes waiting for the writer, writes are refused with
    # 503 and Retry-After until it catches up (the only 503 besides a failing database).
    max_write_queue: int = 100_000
    # Idle keep-alive connections stay open this long (uvicorn's default, 5 s, is exactly
    # the AFK watcher's poll interval: every other heartbeat met a closed connection).
    keep_alive_s: int = 75
    # Budgets of one query (POST /api/0/query/): wall time, events read, items in any list
    # it builds, and the size of the answer. A query over a budget is stopped with a 400
    # that names the limit.
    query_timeout_s: float = 30.0
    query_max_events: int = 2_000_000
    query_max_items: int = 2_000_000
    query_max_answer_bytes: int = 128 * 1024 * 1024
    # Queries (and other heavy reads: rule previews, summaries) run at most this many at a
    # time; more wait their turn, so the writer and other requests keep their share of CPU.
    heavy_reads: int = 2
    # Run queries in this many worker processes (core.api.query_worker) instead of on
    # threads of the server's process; 0: threads (the desktop app).
    query_processes: int = 0
    docs: bool = True
    access_log: bool = False
    # Heartbeats, inserts, reads and counts of events answered by core.api.fastroutes (the
    # same behaviour as the FastAPI routes, which answer them when this is off).
    fast_routes: bool = True
    # gc.freeze() the start-up heap when the server starts (see server.freeze_heap); None:
    # unless a GUI toolkit is loaded in this process.
    freeze_heap: bool | None = None

    @property
    def loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def burst(self) -> int:
        """Requests one client may send at once before the rate limit applies."""
        if self.rate_limit_burst is not None:
            return self.rate_limit_burst
        return max(1, round(self.rate_limit_per_s * BURST_SECONDS))
