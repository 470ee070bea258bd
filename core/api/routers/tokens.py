"""``/api/0/tokens`` (admin scope): list, create (secret shown once), revoke.

Without ``user`` these act on the tokens of the asking token's user. An administrator gives
another user's devices their own tokens with ``user`` (the body's field on POST, a query
parameter on GET and DELETE): each user's data is reached only with that user's tokens.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from timelygator.core import tokens, users
from timelygator.core.api.context import ApiContext
from timelygator.core.api.deps import AdminAccess, Ctx, Principal
from timelygator.core.api.routing import route
from timelygator.core.api.schemas import Message, NewTokenOut, TokenOut
from timelygator.core.api.user_schemas import TokenCreateFor
from timelygator.core.api.wire import JSONBytes
from timelygator.core.timeutil import format_iso

router = APIRouter(tags=["tokens"])

UserParam = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="another user's tokens (by name)"),
]


def token_out(info: tokens.TokenInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "prefix": info.prefix,
        "scope": info.scope,
        "created": format_iso(info.created_us),
        "last_used": None if info.last_used_us is None else format_iso(info.last_used_us),
        "revoked": info.revoked,
    }


async def _user_id(ctx: ApiContext, who: Principal, name: str | None) -> int:
    """The id of the user called ``name`` (404 if none), or the asking token's user."""
    if name is None:
        return who.user_id
    found = await ctx.read(lambda conn: users.get_user(conn, name))
    return found.id


@route(router, "/api/0/tokens", ["GET"], response_model=list[TokenOut])
async def list_tokens(ctx: Ctx, who: AdminAccess, user: UserParam = None) -> JSONBytes:
    user_id = await _user_id(ctx, who, user)
    found = await ctx.read(lambda conn: tokens.list_tokens(conn, user_id))
    return JSONBytes([token_out(t) for t in found])


@route(
    router,
    "/api/0/tokens",
    ["POST"],
    response_model=NewTokenOut,
    status_code=201,
    responses={404: {"model": Message}},
)
async def create_token(body: TokenCreateFor, ctx: Ctx, who: AdminAccess) -> JSONBytes:
    """Create a token for this user (or for ``user``); the secret is in this response only."""
    user_id = await _user_id(ctx, who, body.user)
    new = await ctx.wait(
        tokens.create(
            ctx.services.writer,
            user_id,
            body.scope,
            body.name,
            now_us=ctx.services.clock.now_us(),
        )
    )
    return JSONBytes({**token_out(new.info), "token": new.secret}, status_code=201)


@route(
    router,
    "/api/0/tokens/{token_id}",
    ["DELETE"],
    response_model=TokenOut,
    responses={404: {"model": Message}},
)
async def revoke_token(
    token_id: Annotated[int, Path(ge=1, lt=2**62)],
    ctx: Ctx,
    who: AdminAccess,
    user: UserParam = None,
) -> JSONBytes:
    """Revoke a token: it is refused from now on and its open event streams end."""
    user_id = await _user_id(ctx, who, user)
    info = await ctx.wait(tokens.revoke(ctx.services.writer, token_id, user_id))
    ctx.note_revoked(token_id)
    return JSONBytes(token_out(info))
