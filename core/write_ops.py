"""The operations the writer applies: one frozen-in-shape dataclass per kind of change.

``core.writer.Writer`` turns each public method call into one of these, queues it, and
applies it on its thread with a ``match`` on the class: every argument is typed, nothing is
looked up by name. An operation keeps what its sender gave, so a transaction that failed can
apply it again (``InsertEvents.given``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from sqlalchemy import Connection
from timelygator.core.event import Event

# A JSON object as events and buckets carry it (``Event.data``, a bucket's ``data``).
JsonObject = dict[str, Any]


class BucketFields(TypedDict, total=False):
    """The fields of a bucket that ``update_bucket`` may change (only those given)."""

    type: str
    client: str
    hostname: str
    data: JsonObject


BUCKET_FIELDS = frozenset(BucketFields.__annotations__)


class ImportItem(Protocol):
    """One bucket of an import (``core.transfer_format.parse_import`` makes them)."""

    name: str
    type: str
    client: str
    hostname: str
    data: JsonObject
    created_us: int | None
    events: list[Event]


@dataclass(frozen=True, slots=True)
class ImportDone:
    """What an import did to one bucket."""

    name: str
    created: bool
    imported: int
    present: int  # equal to stored events: skipped
    repeated: int  # exact repeats of an event earlier in the import: stored once


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Merge ``event`` into the bucket's last event, or store it as new."""

    bucket_key: int
    event: Event
    pulsetime_us: int


@dataclass(frozen=True, slots=True)
class InsertEvents:
    """Insert events; those with an id of this bucket replace it. With ``adopt`` the stored
    events are the given objects (ids set); ``given`` keeps their ids as sent, for a retry."""

    bucket_key: int
    events: list[Event]
    adopt: bool = False
    given: list[int | None] | None = None


@dataclass(frozen=True, slots=True)
class DeleteEvents:
    bucket_key: int
    event_ids: list[int]


@dataclass(frozen=True, slots=True)
class CreateBucket:
    user_id: int
    name: str
    type: str
    client: str
    hostname: str
    data: JsonObject
    created_us: int | None


@dataclass(frozen=True, slots=True)
class UpdateBucket:
    bucket_key: int
    fields: BucketFields


@dataclass(frozen=True, slots=True)
class DeleteBucket:
    bucket_key: int


@dataclass(frozen=True, slots=True)
class ImportBuckets:
    """Create missing buckets and insert their new events, all or nothing; ``also`` runs
    in the same transaction (categories that come with the history)."""

    user_id: int
    buckets: list[ImportItem]
    also: Callable[[Connection], object] | None


@dataclass(frozen=True, slots=True)
class PurgeBefore:
    """Delete every event that ended before ``cutoff_us`` (retention)."""

    cutoff_us: int


@dataclass(frozen=True, slots=True)
class Call:
    """Run ``fn(connection)`` in the writer's transaction; ``events``: it changes events."""

    fn: Callable[[Connection], object]
    events: bool = False


Operation = (
    Heartbeat
    | InsertEvents
    | DeleteEvents
    | CreateBucket
    | UpdateBucket
    | DeleteBucket
    | ImportBuckets
    | PurgeBefore
    | Call
)
