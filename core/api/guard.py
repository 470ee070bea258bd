"""The outer security layer, as plain ASGI middleware (cheap per request).

* Host-header check while bound to loopback: Host must be localhost, 127.0.0.1 or [::1]
  (any port), else 400. Stops DNS-rebinding pages from reaching the API.
* CORS: only the browser extensions' origins and the server's own origin get CORS headers
  and preflight answers; a request carrying any other ``Origin`` is refused (403), so a web
  page cannot even send "simple" cross-site requests (this matters in compatibility mode).
* Request body size: 413 from ``Content-Length`` up front, or as soon as a streamed body
  passes the limit (imports have a larger limit of their own).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.api.config import AW_WATCHER_WEB_CHROME, ApiConfig
from core.api.errors import ApiError
from core.api.wire import dumps

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
_ALLOW_METHODS = b"GET, POST, PUT, DELETE, OPTIONS"
_DEFAULT_ALLOW_HEADERS = b"authorization, content-type, charset"
IMPORT_PATHS = frozenset({"/api/0/import", "/api/0/import/"})


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
        self.check_host = not config.allow_remote
        self.origins = frozenset({AW_WATCHER_WEB_CHROME, *config.extension_origins})
        self.max_body = config.max_body_bytes
        self.max_import = config.max_import_bytes

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
        if self.check_host and (host is None or host_name(host) not in _LOOPBACK_NAMES):
            await self._reply(
                send, 400, "Invalid Host header: this API only answers to localhost.", []
            )
            return
        cors: list[tuple[bytes, bytes]] = []
        if origin is not None:
            if not self.origin_allowed(origin, host or "", scope.get("scheme", "http")):
                await self._reply(send, 403, "Requests from this origin are not allowed.", [])
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

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError(413, f"The request body is too large (limit {limit} bytes).")
            return message

        if cors:

            async def cors_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), *cors]
                await send(message)

            await self.app(scope, limited_receive, cors_send)
        else:
            await self.app(scope, limited_receive, send)
