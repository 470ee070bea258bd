"""Export (all buckets or one) and import in ActivityWatch's format.

Import drops incoming event ids and, into an existing bucket, skips events equal in
(timestamp, duration, data) to stored ones — importing the same file twice changes nothing.
The whole document is validated before anything is written.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.datastructures import UploadFile

from core import reader
from core.api.context import ApiContext
from core.api.deps import Ctx, ReadAccess, WriteAccess
from core.api.routers.buckets import NOT_FOUND, BucketId
from core.api.routing import route
from core.api.schemas import Export, ImportResult
from core.api.wire import (
    DataLimits,
    JSONBytes,
    bucket_out,
    check_data,
    dumps,
    loads,
    parse_event,
    utc_iso,
)
from core.errors import NotFoundError, ValidationError
from core.event import BucketInfo, Event
from core.timeutil import US_PER_S, check_time_range, from_us, parse_iso

router = APIRouter(tags=["export/import"])

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _export_timestamp(event: Event) -> str:
    """The start in the UTC offset it was captured with.

    ActivityWatch's format has no other place for the offset, and importing reads it back
    from there, so an export -> import round trip keeps every event on its local day. An
    event stored without an offset is counted in the system zone's offset of its moment
    (``OffsetResolver``), so it is written with that one.
    """
    offset = event.tz_offset_s
    if offset is None:
        offset = time.localtime(event.start_us // US_PER_S).tm_gmtoff
    if offset == 0:
        return utc_iso(event.start_us)
    zone = timezone(timedelta(seconds=offset))
    return from_us(event.start_us).astimezone(zone).isoformat(timespec="microseconds")


def export_document(conn: Connection, buckets: list[BucketInfo]) -> bytes:
    """The export file (ActivityWatch's format) of these buckets with all their events."""
    doc: dict[str, Any] = {}
    for bucket in buckets:
        item = bucket_out(bucket)
        item["events"] = [
            {
                "id": e.id,
                "timestamp": _export_timestamp(e),
                "duration": (e.end_us - e.start_us) / US_PER_S,
                "data": e.data,
            }
            for e in reader.get_events(conn, bucket.key)
        ]
        doc[bucket.name] = item
    return dumps({"buckets": doc})


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


@dataclass
class _ImportBucket:
    name: str
    type: str
    client: str
    hostname: str
    data: dict[str, Any]
    created_us: int | None
    events: list[Event] = field(default_factory=list)


def _text(value: Any, what: str, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > 500:
        raise ValidationError(f"{what} must be a string of at most 500 characters.")
    return value


def parse_import(doc: Any, limits: DataLimits, hostname: str) -> list[_ImportBucket]:
    """Validate a whole import document (raises ValidationError; nothing is written)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("buckets"), dict):
        raise ValidationError('An import must be a JSON object {"buckets": {id: bucket}}.')
    result = []
    for name, bucket in doc["buckets"].items():
        if not isinstance(bucket, dict):
            raise ValidationError(f"Bucket {name[:100]!r} must be a JSON object.")
        bucket_name = _text(bucket.get("id"), "A bucket id", name) or name
        if not bucket_name or len(bucket_name) > 500:
            raise ValidationError("A bucket id must be 1 to 500 characters long.")
        created = bucket.get("created")
        created_us = None
        if isinstance(created, str):
            created_us = parse_iso(created)[0]
            check_time_range(created_us, None, f"The 'created' time of bucket {name[:100]!r}")
        raw_events = bucket.get("events", [])
        if not isinstance(raw_events, list):
            raise ValidationError(f"The events of bucket {name[:100]!r} must be a list.")
        events = []
        for raw in raw_events:
            event = parse_event(raw, limits)
            event.id = None
            events.append(event)
        host = _text(bucket.get("hostname"), "A bucket hostname", "unknown")
        result.append(
            _ImportBucket(
                name=bucket_name,
                type=_text(bucket.get("type"), "A bucket type", "unknown"),
                client=_text(bucket.get("client"), "A bucket client", "unknown"),
                hostname=hostname if host == "!local" else host,
                data=check_data(bucket.get("data"), limits, "A bucket's data"),
                created_us=created_us,
                events=events,
            )
        )
    return result


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
