"""Export (all buckets or one) and import in ActivityWatch's format (``core.transfer_format``).

Import drops incoming event ids and, into an existing bucket, skips events equal in
(timestamp, duration, data) to stored ones — importing the same file twice changes nothing.
The whole document is validated before anything is written.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.datastructures import UploadFile
from timelygator.core import reader
from timelygator.core.api.context import ApiContext
from timelygator.core.api.deps import Ctx, ReadAccess, WriteAccess
from timelygator.core.api.routers.buckets import NOT_FOUND, BucketId
from timelygator.core.api.routing import route
from timelygator.core.api.schemas import Export, ImportResult
from timelygator.core.api.wire import JSONBytes, loads
from timelygator.core.errors import NotFoundError, ValidationError
from timelygator.core.event import Event
from timelygator.core.transfer_format import export_document, parse_import

router = APIRouter(tags=["export/import"])

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _attachment(body: bytes, filename: str) -> JSONBytes:
    return JSONBytes(body, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@route(router, "/api/0/export", ["GET"], response_model=Export)
async def export_all(ctx: Ctx, who: ReadAccess) -> JSONBytes:
    """Every bucket of this user with all its events, as a download."""
    body = await ctx.read(
        lambda conn: export_document(conn, reader.list_buckets(conn, who.user_id))
    )
    return _attachment(body, "aw-buckets-export.json")


@route(
    router,
    "/api/0/buckets/{bucket_id}/export",
    ["GET"],
    response_model=Export,
    responses=NOT_FOUND,
)
async def export_bucket(bucket_id: BucketId, ctx: Ctx, who: ReadAccess) -> JSONBytes:
    body = await ctx.read(
        lambda conn: export_document(conn, [reader.get_bucket(conn, who.user_id, bucket_id)])
    )
    name = _SAFE_NAME.sub("_", bucket_id)[:100]
    return _attachment(body, f"aw-bucket-export_{name}.json")


def _new_events(conn: Connection, *, key: int, events: list[Event]) -> list[Event]:
    """The events not already stored in bucket ``key`` (nor repeated within ``events``)."""
    return reader.split_new_events(conn, key=key, events=events)[0]


async def _read_document(request: Request, ctx: ApiContext) -> Any:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=20)
        try:
            uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
            if len(uploads) != 1:
                raise ValidationError("Send exactly one file in the multipart import.")
            raw = await uploads[0].read()
        finally:
            await form.close()
    else:
        raw = await request.body()
    if not raw:
        raise ValidationError("The import is empty.")
    return await ctx.read(lambda _conn: loads(raw))


@route(
    router,
    "/api/0/import",
    ["POST"],
    response_model=ImportResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Export"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            },
        }
    },
)
async def import_buckets(request: Request, ctx: Ctx, who: WriteAccess) -> JSONBytes:
    """Import buckets (JSON body or one multipart file); duplicates are skipped."""
    doc = await _read_document(request, ctx)
    buckets = await ctx.read(lambda _conn: parse_import(doc, ctx.limits, ctx.config.hostname))
    ctx.check_capacity()
    writer = ctx.services.writer
    summary: dict[str, dict[str, int | bool]] = {}
    for bucket in buckets:
        created = await ctx.wait(
            writer.create_bucket(
                who.user_id,
                bucket.name,
                type=bucket.type,
                client=bucket.client,
                hostname=bucket.hostname,
                data=bucket.data,
                created_us=bucket.created_us,
            )
        )
        try:
            key = await ctx.bucket_key(who.user_id, bucket.name)
        except NotFoundError:  # deleted between the two steps
            continue
        fresh = await ctx.read(partial(_new_events, key=key, events=bucket.events))
        if fresh:
            await ctx.wait(writer.insert_events(key, fresh))
        summary[bucket.name] = {
            "created": created is not None,
            "imported": len(fresh),
            "skipped": len(bucket.events) - len(fresh),
        }
    return JSONBytes({"buckets": summary})
