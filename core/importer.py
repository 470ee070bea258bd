"""Import an export file (ActivityWatch's ``{"buckets": ...}`` form, also TimelyGator's own).

The same rules as ``POST /api/0/import`` — it reuses that route's validation and duplicate
detection rather than a second implementation: the whole document is validated before
anything is written, incoming event ids are dropped, and events equal in (start, end, data)
to stored ones are skipped, so importing a file twice changes nothing.

For callers without HTTP (the desktop app, the CLI). Blocking: run it on a worker thread.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.api.routers.transfer import parse_import, split_new_events
from core.api.wire import DataLimits, loads
from core.errors import NotFoundError, ValidationError
from core.services import Services


@dataclass(frozen=True, slots=True)
class BucketImport:
    """What happened to one bucket of the file."""

    name: str
    created: bool
    imported: int
    skipped: int  # stored already (or repeated in the file)
    repeated: int = 0  # of ``skipped``: exact repeats of an event earlier in the same file


def import_document(
    services: Services,
    doc: Any,
    *,
    hostname: str | None = None,
    limits: DataLimits | None = None,
    timeout_s: float = 120.0,
) -> list[BucketImport]:
    """Import a parsed export document; ValidationError (nothing written) when it is invalid."""
    buckets = parse_import(doc, limits or DataLimits(), hostname or socket.gethostname())
    writer = services.writer
    result = []
    for bucket in buckets:
        created = writer.create_bucket(
            services.user_id,
            bucket.name,
            type=bucket.type,
            client=bucket.client,
            hostname=bucket.hostname,
            data=bucket.data,
            created_us=bucket.created_us,
        ).result(timeout_s)
        try:
            key = services.bucket_key(bucket.name)
        except NotFoundError:  # deleted in between
            continue
        with services.read() as conn:
            fresh, _present, repeated = split_new_events(conn, key=key, events=bucket.events)
        if fresh:
            writer.insert_events(key, fresh).result(timeout_s)
        result.append(
            BucketImport(
                bucket.name,
                created is not None,
                len(fresh),
                len(bucket.events) - len(fresh),
                repeated,
            )
        )
    return result


def import_file(services: Services, path: Path, **kwargs: Any) -> list[BucketImport]:
    """Read ``path`` (JSON) and import it; ValidationError when it is not an export file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{path} cannot be read ({exc.strerror}).") from None
    try:
        doc = loads(raw)
    except (ValidationError, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError(f"{path.name} is not a JSON export file.") from None
    return import_document(services, doc, **kwargs)
