"""``/api/0/users`` (admin scope): list, create, disable and enable users.

An administrator (a token with the ``admin`` scope) manages the users of a server; each
user's devices then get their own tokens (``POST /api/0/tokens`` with ``"user"``). A
disabled user's tokens are refused from the next request on, by this process at once and by
other processes within a second; their data stays, and enabling them again lets the same
tokens in. Nothing here reads a user's data. The store's own user and the user of the
asking token cannot be disabled (the administrator would lock themselves out).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from timelygator.core import tokens, users
from timelygator.core.api.context import ApiContext
from timelygator.core.api.deps import AdminAccess, Ctx, Principal
from timelygator.core.api.routing import route
from timelygator.core.api.schemas import Message
from timelygator.core.api.user_schemas import UserCreate, UserOut, UserPatch
from timelygator.core.api.wire import JSONBytes
from timelygator.core.errors import ValidationError
from timelygator.core.timeutil import format_iso

router = APIRouter(tags=["users"])

UserName = Annotated[str, Path(min_length=1, max_length=200, description="the user's name")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


def user_out(info: users.UserInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "created": format_iso(info.created_us),
        "disabled": info.disabled,
        "disabled_at": None if info.disabled_us is None else format_iso(info.disabled_us),
        "active_tokens": info.active_tokens,
    }


@route(router, "/api/0/users", ["GET"], response_model=list[UserOut])
async def list_users(ctx: Ctx, _who: AdminAccess) -> JSONBytes:
    """Every user of this server, oldest first (no data of theirs)."""
    found = await ctx.read(users.list_users)
    return JSONBytes([user_out(u) for u in found])


@route(router, "/api/0/users", ["POST"], response_model=UserOut, status_code=201)
async def create_user(body: UserCreate, ctx: Ctx, _who: AdminAccess) -> JSONBytes:
    """Add a user (409 if the name is taken, in any case); then create their tokens."""
    made = await ctx.wait(users.create(ctx.services.writer, body.name, now_us=_now(ctx)))
    return JSONBytes(user_out(made), status_code=201)


@route(router, "/api/0/users/{user_name}", ["GET"], response_model=UserOut, responses=NOT_FOUND)
async def get_user(user_name: UserName, ctx: Ctx, _who: AdminAccess) -> JSONBytes:
    found = await ctx.read(lambda conn: users.get_user(conn, user_name))
    return JSONBytes(user_out(found))


@route(router, "/api/0/users/{user_name}", ["PATCH"], response_model=UserOut, responses=NOT_FOUND)
async def patch_user(user_name: UserName, body: UserPatch, ctx: Ctx, who: AdminAccess) -> JSONBytes:
    """``{"disabled": true}`` disables the user, ``false`` enables them again."""
    return JSONBytes(user_out(await _switch(ctx, who, user_name, body.disabled)))


@route(
    router,
    "/api/0/users/{user_name}/disable",
    ["POST"],
    response_model=UserOut,
    responses=NOT_FOUND,
)
async def disable_user(user_name: UserName, ctx: Ctx, who: AdminAccess) -> JSONBytes:
    """Refuse the user's tokens from now on; their data is kept."""
    return JSONBytes(user_out(await _switch(ctx, who, user_name, True)))


@route(
    router,
    "/api/0/users/{user_name}/enable",
    ["POST"],
    response_model=UserOut,
    responses=NOT_FOUND,
)
async def enable_user(user_name: UserName, ctx: Ctx, who: AdminAccess) -> JSONBytes:
    """Let the user's tokens in again."""
    return JSONBytes(user_out(await _switch(ctx, who, user_name, False)))


def _now(ctx: ApiContext) -> int:
    return ctx.services.clock.now_us()


async def _switch(ctx: ApiContext, who: Principal, name: str, disabled: bool) -> users.UserInfo:
    writer = ctx.services.writer
    owner = ctx.services.user_id
    if not disabled:
        return await ctx.wait(users.enable(writer, name, owner_id=owner))
    target = await ctx.read(lambda conn: users.get_user(conn, name))
    if target.id == who.user_id and target.id != owner:
        raise ValidationError(
            "You cannot disable the user of the token you are using: use another "
            "administrator's token, or 'timelygator user disable' on the server."
        )
    info = await ctx.wait(users.disable(writer, name, owner_id=owner, now_us=_now(ctx)))
    # Refused by this process from the next request on, and its open event streams end now
    # (other processes notice within a second, see ApiContext.token_revoked).
    held = await ctx.read(lambda conn: tokens.list_tokens(conn, info.id))
    for token in held:
        if not token.revoked:
            ctx.note_revoked(token.id)
    return info
