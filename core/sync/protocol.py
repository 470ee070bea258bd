"""What a device and a TimelyGator server exchange to sync (``/api/0/sync``), defined once
for both sides.

**Whose bucket.** A device pushes each of its buckets under an id of its own on the server:
the local id plus ``@`` and the first 12 hex digits of the device id (``core.device``), e.g.
``aw-watcher-window_laptop@3f9c1a2b7d4e``: two computers never write into one bucket,
whatever their hostnames. The bucket's ``data`` on the server carries a marker under
``"timelygator.sync"``: the full device id, the bucket's local id and the *epoch* (below).
The server refuses a push into a bucket whose marker names another device (409). A copy
pulled onto another device keeps the marker (with ``"pulled": true``): a bucket with a
marker is never pushed again, so a device never sends back what it pulled.

**Epoch.** A token that changes whenever a device rewrites history it had already sent (an
event edited or deleted, new privacy rules, a full resend): the last page of the rewrite
sets it on the server, after the events changed. A device that pulled the bucket and sees
another epoch pulls it again from the beginning; otherwise it pulls from the last event
it has (which a heartbeat may have grown since).

**Events** travel as ActivityWatch's ``{timestamp, duration, data}`` with each event's own
UTC offset (as in exports), so every device puts it on the same local day. A push replaces
a range of start times (``core.sync.ranges``); a pull reads one, oldest first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.sync.ranges import Range, check_in_range
from timelygator.core.timeutil import US_PER_S, format_iso
from timelygator.core.transfer_format import export_timestamp
from timelygator.core.wire_format import (
    DataLimits,
    check_data,
    dumps,
    parse_event,
    parse_timestamp,
)

SYNC_KEY = "timelygator.sync"
PUSH_PATH = "/api/0/sync/buckets/{bucket}"
PULL_PATH = "/api/0/sync/buckets/{bucket}/events"
MAX_PULL_LIMIT = 10_000
MAX_BUCKET_ID = 500
_DEVICE_DIGITS = 12
_TEXT_FIELDS = ("type", "client", "hostname")


def device_suffix(device_id: str) -> str:
    """``@`` and the first 12 hex digits of a device id."""
    return "@" + device_id.replace("-", "")[:_DEVICE_DIGITS]


def server_bucket_id(name: str, device_id: str) -> str:
    """The id this device's bucket ``name`` has on the server (at most 500 characters)."""
    suffix = device_suffix(device_id)
    if len(name) + len(suffix) <= MAX_BUCKET_ID:
        return name + suffix
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[: MAX_BUCKET_ID - len(suffix) - 9]}~{digest}{suffix}"


def marker_of(data: dict[str, Any]) -> dict[str, Any] | None:
    """The sync marker in a bucket's data, or None (a bucket no device synced)."""
    marker = data.get(SYNC_KEY)
    return marker if isinstance(marker, dict) else None


def device_of(data: dict[str, Any]) -> str | None:
    """The device a synced bucket belongs to (from its marker), or None."""
    marker = marker_of(data)
    device = None if marker is None else marker.get("device")
    return device if isinstance(device, str) else None


def epoch_of(data: dict[str, Any]) -> str | None:
    marker = marker_of(data)
    epoch = None if marker is None else marker.get("epoch")
    return epoch if isinstance(epoch, str) else None


def with_marker(data: dict[str, Any], device_id: str, name: str, epoch: str) -> dict[str, Any]:
    """A pushed bucket's data: its own, plus the marker."""
    return {**data, SYNC_KEY: {"device": device_id, "bucket": name, "epoch": epoch}}


def is_pulled(data: dict[str, Any]) -> bool:
    """Whether a bucket is a copy of another device's, pulled here (read-only)."""
    marker = marker_of(data)
    return marker is not None and marker.get("pulled") is True


def pulled_data(data: dict[str, Any]) -> dict[str, Any]:
    """A pulled copy's data: the server's, its marker saying it was pulled."""
    return {**data, SYNC_KEY: {**(marker_of(data) or {}), "pulled": True}}


@dataclass(frozen=True, slots=True)
class BucketMeta:
    """What a bucket is, apart from its id and events."""

    type: str
    client: str
    hostname: str
    data: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "client": self.client,
            "hostname": self.hostname,
            "data": self.data,
        }

    def differences(self, other: BucketMeta) -> dict[str, Any]:
        """The fields of ``self`` that differ from ``other``'s."""
        return {k: v for k, v in self.to_wire().items() if v != other.to_wire()[k]}


@dataclass(frozen=True, slots=True)
class Push:
    """One push: the bucket, the range of starts it replaces, and that range's events."""

    bucket: BucketMeta
    span: Range
    events: list[Event]


def event_wire(event: Event) -> dict[str, Any]:
    """An event as the sync sends it: its own UTC offset, its duration in seconds."""
    return {
        "timestamp": export_timestamp(event),
        "duration": (event.end_us - event.start_us) / US_PER_S,
        "data": event.data,
    }


def time_param(us: int | None) -> str | None:
    """A range end as an ISO 8601 text (exact to the microsecond), None when open."""
    return None if us is None else format_iso(us)


def encode(value: Any) -> bytes:
    """Compact UTF-8 JSON (orjson; the standard library for what it refuses, such as
    integers beyond 64 bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return dumps(value)


def push_body(push: Push) -> dict[str, Any]:
    return {
        "bucket": push.bucket.to_wire(),
        "start": time_param(push.span.start_us),
        "end": time_param(push.span.end_us),
        "events": [event_wire(e) for e in push.events],
    }


def _time(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"A sync push's '{name}' must be an ISO 8601 text or null.")
    return parse_timestamp(value)[0]


def parse_bucket(value: Any, limits: DataLimits) -> BucketMeta:
    if not isinstance(value, dict):
        raise ValidationError("A sync push needs its 'bucket' (type, client, hostname, data).")
    texts = []
    for name in _TEXT_FIELDS:
        text = value.get(name, "")
        if not isinstance(text, str) or len(text) > 200:
            raise ValidationError(
                f"The bucket's '{name}' must be a text of at most 200 characters."
            )
        texts.append(text)
    data = check_data(value.get("data"), limits, "A bucket's data")
    return BucketMeta(texts[0], texts[1], texts[2], data)


def parse_push(body: Any, limits: DataLimits, max_events: int) -> Push:
    """A push body -> Push; ValidationError (nothing stored) for anything off."""
    if not isinstance(body, dict):
        raise ValidationError("A sync push must be a JSON object.")
    unknown = sorted(str(k)[:40] for k in body if k not in ("bucket", "start", "end", "events"))
    if unknown:
        raise ValidationError(f"Unknown sync push field(s): {', '.join(unknown[:5])}.")
    items = body.get("events")
    if not isinstance(items, list):
        raise ValidationError("A sync push needs 'events' (a list, maybe empty).")
    if len(items) > max_events:
        raise ValidationError(f"At most {max_events} events per request.")
    events = [parse_event(item, limits) for item in items]
    for event in events:
        event.id = None
    span = Range(_time(body.get("start"), "start"), _time(body.get("end"), "end"))
    check_in_range(span, events)
    return Push(parse_bucket(body.get("bucket"), limits), span, events)


def parse_events(items: Any, limits: DataLimits) -> list[Event]:
    """A pull's answer -> events (ids dropped); ValidationError when it is not a list of
    events."""
    if not isinstance(items, list):
        raise ValidationError("The server's answer is not a list of events.")
    events = [parse_event(item, limits) for item in items]
    for event in events:
        event.id = None
    return events
