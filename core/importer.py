"""Import an export file (ActivityWatch's ``{"buckets": ...}`` form, also TimelyGator's own).

The same rules as ``POST /api/0/import`` — both validate with ``core.transfer_format`` (no
HTTP, so the CLI and the app load no web framework for it) and skip duplicates with
``reader.split_new_events``: the whole document is validated before
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

from timelygator.core.errors import ValidationError
from timelygator.core.services import Services
from timelygator.core.transfer_format import parse_import
from timelygator.core.wire_format import DataLimits, loads


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
    timeout_s: float = 600.0,
) -> list[BucketImport]:
    """Import a parsed export document in one transaction.

    ValidationError (nothing written) when it is invalid; a failure half-way writes nothing.
    """
    buckets = parse_import(doc, limits or DataLimits(), hostname or socket.gethostname())
    done = services.writer.import_buckets(services.user_id, list(buckets)).result(timeout_s)
    return [
        BucketImport(d.name, d.created, d.imported, d.present + d.repeated, d.repeated)
        for d in done
    ]


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
