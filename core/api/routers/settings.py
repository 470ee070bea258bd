"""``/api/0/settings``: opaque JSON values per user (missing reads as null)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from timelygator.core import settings_store
from timelygator.core.api.context import ApiContext
from timelygator.core.api.deps import Ctx, Principal, ReadAccess, WriteAccess
from timelygator.core.api.errors import ApiError
from timelygator.core.api.routing import route
from timelygator.core.api.wire import JSONBytes, loads
from timelygator.core.errors import ValidationError

router = APIRouter(tags=["settings"])

Key = Annotated[str, Path(min_length=1, max_length=settings_store.MAX_KEY_LENGTH)]
_ANY_JSON = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}


def _check_reserved(key: str, who: Principal) -> None:
    if key.startswith(settings_store.RESERVED_PREFIX) and "admin" not in who.scopes:
        raise ApiError(
            403, f"Settings starting with {settings_store.RESERVED_PREFIX!r} need an admin token."
        )


def _is_compat_switch(key: str, ctx: ApiContext, who: Principal) -> bool:
    """The local user's compatibility-mode setting, unless the server config fixes it."""
    return (
        key == settings_store.COMPAT_MODE_KEY
        and ctx.config.compat_mode is None
        and who.user_id == ctx.services.user_id
    )


@route(router, "/api/0/settings", ["GET"], response_model=dict[str, Any])
async def all_settings(ctx: Ctx, who: ReadAccess) -> JSONBytes:
    values = await ctx.read(lambda conn: settings_store.get_settings(conn, who.user_id))
    return JSONBytes(values)


@route(router, "/api/0/settings/{key}", ["GET"], response_model=Any)
async def get_setting(key: Key, ctx: Ctx, who: ReadAccess) -> JSONBytes:
    value = await ctx.read(lambda conn: settings_store.get_setting(conn, who.user_id, key))
    return JSONBytes(value)


@route(router, "/api/0/settings/{key}", ["POST"], response_model=Any, openapi_extra=_ANY_JSON)
async def set_setting(key: Key, request: Request, ctx: Ctx, who: WriteAccess) -> JSONBytes:
    """Store any JSON value (falsy values are stored, not deleted)."""
    _check_reserved(key, who)
    raw = await request.body()
    if not raw.strip():
        raise ValidationError("A JSON value is required (send null to store null).")
    value = loads(raw)
    await ctx.wait(settings_store.set_setting(ctx.services.writer, who.user_id, key, value))
    if _is_compat_switch(key, ctx, who):
        ctx.compat_mode = value is True
    return JSONBytes(value)


@route(router, "/api/0/settings/{key}", ["DELETE"], response_model=dict[str, Any])
async def delete_setting(key: Key, ctx: Ctx, who: WriteAccess) -> JSONBytes:
    _check_reserved(key, who)
    await ctx.wait(settings_store.delete_setting(ctx.services.writer, who.user_id, key))
    if _is_compat_switch(key, ctx, who):
        ctx.compat_mode = False
    return JSONBytes({})
