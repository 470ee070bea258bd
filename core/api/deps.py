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
from timelygator.core import tokens
from timelygator.core.api.config import is_loopback_host
from timelygator.core.api.context import ApiContext
from timelygator.core.api.errors import ApiError
from timelygator.core.api.guard import LOOPBACK_NAMES, host_name

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

# How stock ActivityWatch clients get in: both ways, named in every 401.
ACTIVITYWATCH_HELP = (
    "ActivityWatch watchers (aw-client): run 'timelygator token create --for-activitywatch' "
    "(newer aw-client versions read that token by themselves), or turn on compatibility mode "
    "for clients on this computer ('timelygator serve --compat', or Settings > Local API)."
)
TOKEN_REQUIRED = (
    "An API token is required: create one with 'timelygator token create --scope write' (or "
    "in Settings > Local API) and send it as 'Authorization: Bearer <token>'. " + ACTIVITYWATCH_HELP
)
TOKEN_INVALID = (
    "The API token is not valid (unknown or revoked): create a new one with 'timelygator "
    "token create'. " + ACTIVITYWATCH_HELP
)


def user_disabled(name: str) -> str:
    """Why the token of a disabled user is refused, and what to do."""
    return (
        f"The user {name!r} of this API token is disabled; their data is kept. An "
        f"administrator can enable the user again ('timelygator user enable {name}')."
    )


def _failed(ctx: ApiContext, address: str | None, text: str, status: int = 401) -> ApiError:
    """A 401 (or ``status``) for ``address``, or a 429 once it failed more often than the
    limit allows."""
    wait = ctx.auth_failures.hit(("auth", address))
    if wait:
        return _too_many_failures(wait)
    return ApiError(status, text, _UNAUTHORIZED_HEADERS if status == 401 else None)


async def _refused(ctx: ApiContext, address: str | None, secret: str) -> ApiError:
    """The answer to a token ``verify_token`` refused: 403 naming the user when the user is
    disabled (the token itself is fine: asking again with it will not help), else 401."""
    owner = await ctx.read(lambda conn: tokens.disabled_owner(conn, secret))
    if owner is not None:
        return _failed(ctx, address, user_disabled(owner), 403)
    return _failed(ctx, address, TOKEN_INVALID)


def _too_many_failures(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(
        429,
        f"Too many failed authentication attempts from this address; retry in {seconds} s.",
        {"Retry-After": str(seconds)},
    )


async def authorize(
    ctx: ApiContext,
    header: str | None,
    client: Sequence[Any] | None,
    scope: str,
    host: str | None = None,
) -> Principal:
    """Who sends ``header`` (Authorization) from ``client`` (the ASGI (host, port)) to
    ``host`` (the Host header), with ``scope`` checked and one request taken from their rate
    limit; 401/403/429 otherwise.

    A valid token costs no database read (cached; revocations and disabled users are
    noticed within a second, see ``ApiContext.token_revoked``). A cached token found refused
    there is verified again before it is refused, so the refusal is always the database's
    word (a user enabled again is let in at once, not after the next check). Failed attempts
    are limited per client address: past the limit they are refused (429) without a
    database read.
    """
    address = None if client is None else str(client[0])
    if header:
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise _failed(ctx, address, "Use 'Authorization: Bearer <token>'.")
        info = ctx.cached_token(secret)
        if info is not None and ctx.token_revoked(info.id):
            ctx.token_cache.clear()
            info = None
        if info is None:
            # Past the failure limit only a token that could be real is looked up (one whose
            # public prefix is an active token's): a flood of guesses costs no database read
            # and does not lock out this address's real clients.
            wait = ctx.auth_failures.peek(("auth", address))
            if wait and not ctx.may_be_token(secret):
                raise _too_many_failures(wait)
            info = await ctx.verify_token(secret)
            if info is None:
                raise await _refused(ctx, address, secret)
        principal = Principal(info.user_id, info.id, info.scopes)
        limit_key: object = info.id
    else:
        if not (
            ctx.compat_mode
            and address is not None
            and is_loopback_host(address)
            and host is not None
            and host_name(host) in LOOPBACK_NAMES
        ):
            raise _failed(ctx, address, TOKEN_REQUIRED)
        principal = Principal(ctx.services.user_id, None, COMPAT_SCOPES)
        limit_key = ("compat", address)
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
    headers = request.headers
    return await authorize(
        ctx, headers.get("authorization"), request.scope.get("client"), scope, headers.get("host")
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
