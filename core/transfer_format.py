"""The export file (ActivityWatch's ``{"buckets": {...}}`` form, also TimelyGator's own):
written from the store and validated before an import, without HTTP.

One implementation for every door: ``POST /api/0/import`` and ``GET /api/0/export``, the
CLI's ``import``/``export`` and the app's Data page. The whole document is validated before
anything is written (``parse_import`` raises ValidationError); incoming event ids are dropped.
Exported timestamps keep the UTC offset each event was captured with, so an export imported
elsewhere puts every event on the same local day.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from timelygator.core import files, reader
from timelygator.core.errors import ValidationError
from timelygator.core.event import BucketInfo, Event
from timelygator.core.timeutil import (
    EARLIEST_US,
    LATEST_US,
    US_PER_S,
    check_time_range,
    from_us,
    parse_iso,
)
from timelygator.core.wire_format import (
    DataLimits,
    bucket_out,
    check_data,
    dumps,
    parse_event,
    utc_iso,
)


def export_timestamp(event: Event) -> str:
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
    local_us = event.start_us + offset * US_PER_S
    if offset % 60 == 0 and EARLIEST_US <= local_us <= LATEST_US:
        # The local wall time is the UTC text of the shifted moment (utc_iso caches its days).
        sign, minutes = ("+" if offset > 0 else "-"), abs(offset) // 60
        return f"{utc_iso(local_us)[:-6]}{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    zone = timezone(timedelta(seconds=offset))
    return from_us(event.start_us).astimezone(zone).isoformat(timespec="microseconds")


def _export(conn: Connection, buckets: list[BucketInfo]) -> tuple[bytes, int]:
    doc: dict[str, Any] = {}
    count = 0
    for bucket in buckets:
        item = bucket_out(bucket)
        item["events"] = [
            {
                "id": e.id,
                "timestamp": export_timestamp(e),
                "duration": (e.end_us - e.start_us) / US_PER_S,
                "data": e.data,
            }
            for e in reader.get_events(conn, bucket.key)
        ]
        count += len(item["events"])
        doc[bucket.name] = item
    return dumps({"buckets": doc}), count


def export_document(conn: Connection, buckets: list[BucketInfo]) -> bytes:
    """The export file (ActivityWatch's format) of these buckets with all their events."""
    return _export(conn, buckets)[0]


def write_export(conn: Connection, buckets: list[BucketInfo], path: Path) -> int:
    """Write the export file of ``buckets`` to ``path`` (readable by its owner only, as
    everything TimelyGator writes); returns the number of events in it."""
    body, count = _export(conn, buckets)
    files.write_private(path, body)
    return count


@dataclass
class ImportBucket:
    """One bucket of an import file, validated (``core.writer.ImportItem``)."""

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


def parse_import(doc: Any, limits: DataLimits, hostname: str) -> list[ImportBucket]:
    """Validate a whole import document (raises ValidationError; nothing is written).

    A bucket whose hostname is ActivityWatch's ``!local`` gets ``hostname``.
    """
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
            ImportBucket(
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
