"""The HTTP side of the sync: a TimelyGator server's ``/api/0/info``, bucket list and
``/api/0/sync`` routes (``core.sync.protocol``), with errors a user can act on.

Requests are direct, not queued: the sync's queue is the local database itself (each
bucket's watermark says what the server has acknowledged, ``core.sync.engine``), so
nothing is copied into the offline queue of ``TgClient``. The token is sent as a bearer
credential and appears in no message, log line or exception.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from timelygator.core.client.http_client import http_client
from timelygator.core.errors import SyncError, ValidationError
from timelygator.core.event import Event
from timelygator.core.logs import add_secret
from timelygator.core.sync import protocol
from timelygator.core.sync.ranges import Range
from timelygator.core.wire_format import DataLimits, loads

log = logging.getLogger(__name__)

# Retry later: the server is busy, overloaded or failing for a moment.
_TRANSIENT = {408, 429, 500, 502, 503, 504}


def check_server_url(url: str) -> str:
    """The server's address without a trailing slash; ValidationError when it is none."""
    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ValidationError(
            f"{url.strip()!r} is not a server address; give one like "
            "https://timelygator.example.org or http://192.168.1.10:5600."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(
            "A server address must not carry a query, fragment or password (the token is "
            "given separately)."
        )
    return text


class SyncClient:
    """Talks to one server with one token; not thread-safe (one sync at a time)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = check_server_url(base_url)
        if not token.strip():
            raise ValidationError("A sync needs the server's API token for this device.")
        add_secret(token.strip())
        self._token = token.strip()
        self._http = http_client(self.base_url, self._token, timeout_s, transport, proxies=True)
        self.limits = DataLimits()

    def __repr__(self) -> str:  # no token in reprs
        return f"SyncClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """``GET /api/0/info``: SyncError unless it is a TimelyGator server."""
        answer = self._call(
            "GET", "/api/0/info", what="asking the server what it is", route_check=True
        )
        version = answer.get("version") if isinstance(answer, dict) else None
        if not isinstance(version, str) or "TimelyGator" not in version:
            raise SyncError(
                f"{self.base_url} answers, but it is not a TimelyGator server (sync needs "
                "TimelyGator's server: 'timelygator serve').",
                retry=False,
            )
        if not isinstance(answer.get("device_id"), str):
            raise SyncError(f"{self.base_url} did not say which server it is.", retry=False)
        return dict(answer)

    def buckets(self) -> dict[str, dict[str, Any]]:
        """This user's buckets on the server, by id."""
        answer = self._call("GET", "/api/0/buckets/", what="listing the server's buckets")
        if not isinstance(answer, dict):
            raise SyncError("The server's bucket list is not what TimelyGator sends.")
        return {str(k): v for k, v in answer.items() if isinstance(v, dict)}

    def push(self, bucket_id: str, push: protocol.Push) -> dict[str, Any]:
        """Replace a range of the server's bucket (``POST /api/0/sync/buckets/{id}``)."""
        path = protocol.PUSH_PATH.format(bucket=quote(bucket_id, safe=""))
        answer = self._call(
            "POST",
            path,
            content=protocol.encode(protocol.push_body(push)),
            what=f"sending {bucket_id}",
            route_check=True,
        )
        if not isinstance(answer, dict):
            raise SyncError("The server's answer to a push is not what TimelyGator sends.")
        return answer

    def pull(self, bucket_id: str, span: Range, limit: int) -> list[Event]:
        """The server bucket's events that start in ``span``, oldest first, at most ``limit``."""
        path = protocol.PULL_PATH.format(bucket=quote(bucket_id, safe=""))
        params: dict[str, Any] = {"limit": limit}
        if span.start_us is not None:
            params["start"] = protocol.time_param(span.start_us)
        if span.end_us is not None:
            params["end"] = protocol.time_param(span.end_us)
        answer = self._call(
            "GET", path, params=params, what=f"reading {bucket_id}", route_check=True
        )
        try:
            return protocol.parse_events(answer, self.limits)
        except ValidationError as exc:
            raise SyncError(
                f"The server sent events of {bucket_id} that cannot be stored: {exc}", retry=False
            ) from None

    # -- errors -----------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        route_check: bool = False,
    ) -> Any:
        """The answer's JSON; SyncError for anything else. ``route_check``: a 404 or 405 that
        is not about a bucket means the server lacks the route (not TimelyGator, or older)."""
        try:
            headers = None if content is None else {"Content-Type": "application/json"}
            response = self._http.request(
                method, path, content=content, params=params, headers=headers
            )
        except httpx.TimeoutException:
            raise SyncError(
                f"The sync server {self.base_url} did not answer in time ({what}); the sync "
                "goes on from where it stopped next time."
            ) from None
        except httpx.HTTPError as exc:
            raise SyncError(
                f"The sync server {self.base_url} cannot be reached ({_reason(exc)}). Check the "
                "address and that the server runs; the sync goes on from where it stopped."
            ) from None
        status = response.status_code
        if status < 300:
            try:
                return loads(response.content)
            except (ValidationError, UnicodeDecodeError):
                raise SyncError(
                    f"{self.base_url} answered {what} with something that is not JSON; is it "
                    "a TimelyGator server?",
                    retry=False,
                ) from None
        raise self._refused(status, _message(response), what, route_check)

    def _refused(self, status: int, message: str, what: str, route_check: bool) -> SyncError:
        message = message.replace(self._token, "[hidden]")
        if status == 401:
            return SyncError(
                f"The sync server {self.base_url} refused the token (HTTP 401: unknown or "
                "revoked). Create a token for this device on the server ('timelygator token "
                "create --scope write') and enter it in Settings → Sync.",
                retry=False,
            )
        if status == 403:
            return SyncError(f"The sync server refused {what} (HTTP 403): {message}", retry=False)
        if status in (404, 405) and route_check and "bucket" not in message.lower():
            return SyncError(
                f"{self.base_url} is not a TimelyGator server that syncs (HTTP {status} "
                f"{what}); check the address, and update the server if it is an older "
                "TimelyGator.",
                retry=False,
            )
        if status in _TRANSIENT:
            return SyncError(
                f"The sync server is busy or failing (HTTP {status}, {what}); trying again later."
            )
        return SyncError(f"The sync server refused {what} (HTTP {status}): {message}", retry=False)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no reason given"
    text = body.get("message") if isinstance(body, dict) else None
    return str(text)[:300] if text else response.reason_phrase or "no reason given"


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or no route to it"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "not an http or https address"
    return type(exc).__name__
