#!/usr/bin/env python3
"""The server image's health check: exit 0 when ``/health`` answers 200, else 1.

Docker runs it every interval inside the container (``HEALTHCHECK`` in the Dockerfile), so
it uses the standard library only and starts in a few tens of milliseconds: no FastAPI, no
database of its own. ``/health`` itself is cheap (one small read and the writer's state) and
answers 503 while the database does not. It asks the server on this machine, at the port
of ``TIMELYGATOR_PORT`` (default 5600); an address in ``TIMELYGATOR_HOST`` is used unless it
is a wildcard (``0.0.0.0``, ``::``), which is reached through the loopback.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 4.0  # below the Dockerfile's --timeout, so a hung server is a clear "no"


def health_url(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    host = environ.get("TIMELYGATOR_HOST", "").strip() or "127.0.0.1"
    if host == "0.0.0.0":  # noqa: S104 - a wildcard to translate, not a bind
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    port = environ.get("TIMELYGATOR_PORT", "").strip() or "5600"
    return f"http://{host}:{port}/health"


def main() -> int:
    url = health_url()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:  # noqa: S310 - http only
            status = answer.status
    except urllib.error.HTTPError as exc:  # 503: the database does not answer
        status = exc.code
        exc.close()
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {url} did not answer ({exc})", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
