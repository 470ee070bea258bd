"""``/api/0/tokens`` (admin scope): list, create (secret shown once), revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from timelygator.core import tokens
from timelygator.core.api.deps import AdminAccess, Ctx
from timelygator.core.api.routing import route
from timelygator.core.api.schemas import Message, NewTokenOut, TokenCreate, TokenOut
from timelygator.core.api.wire import JSONBytes
from timelygator.core.timeutil import format_iso

router = APIRouter(tags=["tokens"])


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


@route(router, "/api/0/tokens", ["GET"], response_model=list[TokenOut])
async def list_tokens(ctx: Ctx, who: AdminAccess) -> JSONBytes:
    found = await ctx.read(lambda conn: tokens.list_tokens(conn, who.user_id))
    return JSONBytes([token_out(t) for t in found])


@route(router, "/api/0/tokens", ["POST"], response_model=NewTokenOut, status_code=201)
async def create_token(body: TokenCreate, ctx: Ctx, who: AdminAccess) -> JSONBytes:
    """Create a token for this user; the secret is in this response only."""
    new = await ctx.wait(
        tokens.create(
            ctx.services.writer,
            who.user_id,
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
    token_id: Annotated[int, Path(ge=1, lt=2**62)], ctx: Ctx, who: AdminAccess
) -> JSONBytes:
    """Revoke a token: it is refused from now on and its open event streams end."""
    info = await ctx.wait(tokens.revoke(ctx.services.writer, token_id, who.user_id))
    ctx.note_revoked(token_id)
    return JSONBytes(token_out(info))
