"""How one API server is set up (host, port, security switches, limits)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

# The aw-watcher-web extension (Chrome Web Store id).
AW_WATCHER_WEB_CHROME = "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi"


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ApiConfig:
    """Settings of the REST API; every field has a safe default.

    ``compat_mode`` None means "as the user's setting says" (off unless enabled).
    Rate limits are per token (or per client address for token-less compat requests):
    a bucket of ``rate_limit_burst`` requests refilled at ``rate_limit_per_s``; 0 disables.
    """

    host: str = "127.0.0.1"
    port: int = 5600
    allow_remote: bool = False
    compat_mode: bool | None = None
    testing: bool = False
    hostname: str = field(default_factory=socket.gethostname)
    # TimelyGator's own extension origins (e.g. "chrome-extension://<id>") besides the defaults.
    extension_origins: tuple[str, ...] = ()
    max_body_bytes: int = 8 * 1024 * 1024
    max_import_bytes: int = 512 * 1024 * 1024
    max_event_data_bytes: int = 256 * 1024
    max_data_depth: int = 32
    max_events_per_request: int = 100_000
    rate_limit_per_s: float = 1000.0
    rate_limit_burst: int = 20_000
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
