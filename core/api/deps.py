"""Request dependencies: the app context and the authenticated principal.

Every route that touches data depends on ``ReadAccess``, ``WriteAccess`` or ``AdminAccess``;
a test enumerates the app's routes and proves it. All dependencies are ``async`` so they
run on the event loop, not the threadpool.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.api.config import is_loopback_host
from core.api.context import ApiContext
from core.api.errors import ApiError

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token from `timelygator token create` or POST /api/0/tokens.",
)
COMPAT_SCOPES = frozenset({"read", "write"})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a user, through a token (or token-less in compatibility mode)."""

    user_id: int
    token_id: int | None
    scopes: frozenset[str]


async def get_ctx(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(get_ctx)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


async def authorize(
    ctx: ApiContext, header: str | None, client: Sequence[Any] | None, scope: str
) -> Principal:
    """Who sends ``header`` (Authorization) from ``client`` (the ASGI (host, port)), with
    ``scope`` checked and one request taken from their rate limit; 401/403/429 otherwise."""
    if header:
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise ApiError(401, "Use 'Authorization: Bearer <token>'.", _UNAUTHORIZED_HEADERS)
        info = await ctx.verify_token(secret)
        if info is None:
            raise ApiError(
                401, "The API token is not valid (unknown or revoked).", _UNAUTHORIZED_HEADERS
            )
        principal = Principal(info.user_id, info.id, info.scopes)
        limit_key: object = info.id
    else:
        host = None if client is None else str(client[0])
        if not (ctx.compat_mode and host is not None and is_loopback_host(host)):
            raise ApiError(
                401,
                "An API token is required: create one with 'timelygator token create' and send "
                "it as 'Authorization: Bearer <token>'.",
                _UNAUTHORIZED_HEADERS,
            )
        principal = Principal(ctx.services.user_id, None, COMPAT_SCOPES)
        limit_key = ("compat", host)
    if scope not in principal.scopes:
        raise ApiError(403, f"This token does not have the '{scope}' scope.")
    wait = ctx.rate_limiter.hit(limit_key)
    if wait:
        raise ApiError(
            429,
            "Too many requests; slow down and retry later.",
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return principal


async def authenticate(request: Request, ctx: ApiContext, scope: str) -> Principal:
    return await authorize(
        ctx, request.headers.get("authorization"), request.scope.get("client"), scope
    )


async def require_read(request: Request, ctx: Ctx, _credentials: Credentials) -> Principal:
    return await authenticate(request, ctx, "read")


async def require_write(request: Request, ctx: Ctx, _credentials: Credentials) -> Principal:
    return await authenticate(request, ctx, "write")


async def require_admin(request: Request, ctx: Ctx, _credentials: Credentials) -> Principal:
    return await authenticate(request, ctx, "admin")


ReadAccess = Annotated[Principal, Depends(require_read)]
WriteAccess = Annotated[Principal, Depends(require_write)]
AdminAccess = Annotated[Principal, Depends(require_admin)]
