"""The outer security layer, as plain ASGI middleware (cheap per request).

* Host-header check, always: Host must be localhost, 127.0.0.1 or [::1] (any port), else
  400. Stops DNS-rebinding pages from reaching the API. With ``allow_remote`` the machine's
  own names, the configured ``allowed_hosts`` and literal IP addresses (which a page cannot
  rebind) are accepted too.
* URL path and query string must be UTF-8 (percent-escapes included), else 400.
* CORS: only the browser extensions' origins, configured origins and the server's own
  origin get CORS headers and preflight answers; a request carrying any other ``Origin`` is
  refused (403), so a web page cannot even send "simple" cross-site requests.
* HEAD is answered as GET without the body.
* Request body size: 413 from ``Content-Length`` up front, or as soon as a streamed body
  passes the limit (imports have a larger limit of their own); a body that has not arrived
  within ``body_timeout_s`` (a Content-Length larger than what is sent) is a 408.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from timelygator.core.api.config import ApiConfig
from timelygator.core.api.errors import ApiError
from timelygator.core.api.wire import dumps
from timelygator.core.cors import AW_WATCHER_WEB_CHROME, TIMELYGATOR_EXTENSION_CHROME

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
_ALLOW_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
_DEFAULT_ALLOW_HEADERS = b"authorization, content-type, charset"
IMPORT_PATHS = frozenset({"/api/0/import", "/api/0/import/"})
HEAD_KEY = "timelygator.head"  # set in the scope of a HEAD request answered as GET


def _utf8(raw: bytes) -> bool:
    """True when ``raw`` (percent-escapes decoded) is strict UTF-8 (no lone surrogates)."""
    if raw.isascii() and b"%" not in raw:
        return True
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _own_names(config: ApiConfig) -> frozenset[str]:
    """The names a remote client may use for this machine (besides IP addresses)."""
    names = {n.lower() for n in config.allowed_hosts}
    hostname = socket.gethostname().lower()
    if hostname:
        names |= {hostname, f"{hostname}.local", socket.getfqdn().lower()}
    names.add(config.host.lower())
    return frozenset(names)


def host_name(host: str) -> str:
    """The name part of a Host header (port removed, IPv6 brackets kept), lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end > 0 else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class GuardMiddleware:
    def __init__(self, app: ASGIApp, config: ApiConfig) -> None:
        self.app = app
        self.remote = config.allow_remote
        self.own_names = _own_names(config) if config.allow_remote else frozenset()
        self.origins = frozenset(
            {AW_WATCHER_WEB_CHROME, TIMELYGATOR_EXTENSION_CHROME, *config.extension_origins}
        )
        self.max_body = config.max_body_bytes
        self.max_import = config.max_import_bytes
        self.body_timeout = config.body_timeout_s

    def host_allowed(self, host: str | None) -> bool:
        if host is None:
            return False
        name = host_name(host)
        if name in LOOPBACK_NAMES:
            return True
        if not self.remote:
            return False
        if name in self.own_names:
            return True
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return False
        return True

    def origin_allowed(self, origin: str, host: str, scheme: str) -> bool:
        if origin in self.origins or origin.startswith("moz-extension://"):
            return True
        return bool(host) and origin == f"{scheme}://{host}"

    async def _reply(
        self, send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]]
    ) -> None:
        body = dumps({"message": text})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = origin = length = request_method = request_headers = None
        for key, value in scope["headers"]:
            if key == b"host":
                host = value.decode("latin-1")
            elif key == b"origin":
                origin = value.decode("latin-1")
            elif key == b"content-length":
                length = value
            elif key == b"access-control-request-method":
                request_method = value
            elif key == b"access-control-request-headers":
                request_headers = value
        if not self.host_allowed(host):
            text = "Invalid Host header: this API only answers to localhost."
            if self.remote:
                text = "Invalid Host header: use this computer's name or IP address."
            await self._reply(send, 400, text, [])
            return
        if not _utf8(scope.get("raw_path") or b""):
            await self._reply(send, 400, "The URL path is not valid UTF-8 text.", [])
            return
        query: bytes = scope.get("query_string") or b""
        if not _utf8(query):
            await self._reply(send, 400, "The query string is not valid UTF-8 text.", [])
            return
        cors: list[tuple[bytes, bytes]] = []
        if origin is not None:
            if not self.origin_allowed(origin, host or "", scope.get("scheme", "http")):
                await self._reply(
                    send,
                    403,
                    f"Requests from the origin {origin[:100]!r} are not allowed: allow it with "
                    "'timelygator serve --allow-origin' (a web page) or --allow-extension "
                    "(a Chrome extension id), or in Settings > Local API.",
                    [],
                )
                return
            cors = [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"vary", b"Origin"),
            ]
            if scope["method"] == "OPTIONS" and request_method is not None:
                headers = [
                    *cors,
                    (b"access-control-allow-methods", _ALLOW_METHODS),
                    (b"access-control-allow-headers", request_headers or _DEFAULT_ALLOW_HEADERS),
                    (b"access-control-max-age", b"600"),
                    (b"content-length", b"0"),
                ]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
        limit = self.max_import if scope["path"] in IMPORT_PATHS else self.max_body
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await self._reply(send, 400, "Invalid Content-Length header.", cors)
                return
            if declared > limit:
                await self._reply(
                    send, 413, f"The request body is too large (limit {limit} bytes).", cors
                )
                return
        received = 0
        body_done = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        timeout = self.body_timeout

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # e.g. a stream waiting for the client to go: no time limit
                return await receive()
            # A bare timer that cancels this task at the deadline (asyncio.timeout costs
            # ~10 µs a request on this hot path; this ~2 µs).
            task = asyncio.current_task()
            assert task is not None
            fired = False

            def expire() -> None:
                nonlocal fired
                fired = True
                task.cancel()

            timer = loop.call_at(deadline, expire)
            try:
                message = await receive()
            except asyncio.CancelledError:
                if not fired:
                    raise
                task.uncancel()
                raise ApiError(
                    408,
                    f"The request body did not arrive within {timeout:g} s (is its "
                    "Content-Length larger than the body sent?).",
                    {"Connection": "close"},
                ) from None
            finally:
                timer.cancel()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError(413, f"The request body is too large (limit {limit} bytes).")
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        if scope["method"] == "HEAD":
            scope = {**scope, "method": "GET", HEAD_KEY: True}
            send = _without_body(send)
        if cors:

            async def cors_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), *cors]
                await send(message)

            await self.app(scope, limited_receive, cors_send)
        else:
            await self.app(scope, limited_receive, send)


def _without_body(send: Send) -> Send:
    """A HEAD answer: the GET answer's status and headers, no body."""

    async def head_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return head_send
