"""``/api/0/buckets``: list, get, create (200/304), update, delete (force=1)."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Path, Query
from starlette.responses import Response
from timelygator.core import reader
from timelygator.core.api.deps import Ctx, ReadAccess, WriteAccess
from timelygator.core.api.errors import ApiError
from timelygator.core.api.routing import route
from timelygator.core.api.schemas import BucketCreate, BucketOut, BucketUpdate, Message
from timelygator.core.api.wire import JSONBytes, bucket_out, check_data
from timelygator.core.timeutil import check_time_range, parse_iso
from timelygator.core.write_ops import BucketFields

router = APIRouter(tags=["buckets"])

BucketId = Annotated[str, Path(min_length=1, max_length=500, description="bucket id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


@route(router, "/api/0/buckets/", ["GET"], response_model=dict[str, BucketOut])
async def list_buckets(ctx: Ctx, who: ReadAccess) -> JSONBytes:
    """All of this user's buckets, keyed by id."""
    buckets = await ctx.read(lambda conn: reader.list_buckets(conn, who.user_id))
    return JSONBytes({b.name: bucket_out(b) for b in buckets})


@route(router, "/api/0/buckets/{bucket_id}", ["GET"], response_model=BucketOut, responses=NOT_FOUND)
async def get_bucket(bucket_id: BucketId, ctx: Ctx, who: ReadAccess) -> JSONBytes:
    bucket = await ctx.read(lambda conn: reader.get_bucket(conn, who.user_id, bucket_id))
    return JSONBytes(bucket_out(bucket))


@route(
    router,
    "/api/0/buckets/{bucket_id}",
    ["POST"],
    response_model=BucketOut,
    responses={304: {"description": "the bucket already exists (unchanged)"}},
)
async def create_bucket(
    bucket_id: BucketId, body: BucketCreate, ctx: Ctx, who: WriteAccess
) -> Response:
    """Create a bucket: 200 when created, 304 when it already exists."""
    data = check_data(body.data, ctx.limits, "A bucket's data")
    created_us = None
    if body.created:
        created_us = parse_iso(body.created)[0]
        check_time_range(created_us, None, "The bucket's 'created' time")
    hostname = ctx.config.hostname if body.hostname == "!local" else body.hostname
    future = ctx.services.writer.create_bucket(
        who.user_id,
        bucket_id,
        type=body.type,
        client=body.client,
        hostname=hostname,
        data=data,
        created_us=created_us,
    )
    created = await ctx.wait(future)
    if created is None:
        return Response(status_code=304)
    return JSONBytes(bucket_out(created))


@route(router, "/api/0/buckets/{bucket_id}", ["PUT"], response_model=BucketOut, responses=NOT_FOUND)
async def update_bucket(
    bucket_id: BucketId, body: BucketUpdate, ctx: Ctx, who: WriteAccess
) -> JSONBytes:
    """Change type, client, hostname or data (only the fields given)."""
    fields = body.model_dump(exclude_unset=True)
    if fields.get("data") is not None:
        fields["data"] = check_data(fields["data"], ctx.limits, "A bucket's data")
    fields = {k: v for k, v in fields.items() if v is not None}
    if fields.get("hostname") == "!local":
        fields["hostname"] = ctx.config.hostname
    key = await ctx.bucket_key(who.user_id, bucket_id)
    await ctx.wait(ctx.services.writer.update_bucket(key, cast(BucketFields, fields)))
    bucket = await ctx.read(lambda conn: reader.get_bucket(conn, who.user_id, bucket_id))
    return JSONBytes(bucket_out(bucket))


@route(
    router,
    "/api/0/buckets/{bucket_id}",
    ["DELETE"],
    response_model=dict[str, Any],
    responses={**NOT_FOUND, 401: {"model": Message}},
)
async def delete_bucket(
    bucket_id: BucketId,
    ctx: Ctx,
    who: WriteAccess,
    force: Annotated[str | None, Query(max_length=8)] = None,
) -> JSONBytes:
    """Delete a bucket and its events; needs ``?force=1`` (else 401, nothing deleted), except
    on a ``--testing`` server (as ActivityWatch's)."""
    key = await ctx.bucket_key(who.user_id, bucket_id)
    if force != "1" and not ctx.config.testing:
        raise ApiError(
            401, "Deleting a bucket needs ?force=1; the bucket and its events were kept."
        )
    await ctx.wait(ctx.services.writer.delete_bucket(key))
    ctx.forget_bucket(key)
    return JSONBytes({})
