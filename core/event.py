"""The event as core code sees it: plain, typed, cheap to create."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timelygator.core.timeutil import US_PER_S


@dataclass(slots=True)
class Event:
    """One span of activity in a bucket.

    Times are UTC microseconds; ``tz_offset_s`` is the local UTC offset at capture (``None``
    when the sender did not say), so local days stay right for travellers.
    """

    start_us: int
    end_us: int
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    tz_offset_s: int | None = None

    @property
    def duration_us(self) -> int:
        return self.end_us - self.start_us

    @property
    def duration_s(self) -> float:
        return (self.end_us - self.start_us) / US_PER_S


UNNAMED_HOSTS = frozenset({"", "!local", "unknown", "unknown-host"})


def bucket_host(name: str, hostname: str) -> str:
    """The host a bucket's events come from: its hostname, or, when that names none
    (ActivityWatch writes "!local" for some clients), the suffix of its name after "_"."""
    if hostname not in UNNAMED_HOSTS:
        return hostname
    suffix = name.rpartition("_")[2] if "_" in name else ""
    return suffix if suffix not in UNNAMED_HOSTS else (hostname or "unknown")


@dataclass(slots=True)
class BucketInfo:
    """A bucket's metadata (without its events)."""

    key: int
    name: str
    type: str
    client: str
    hostname: str
    created_us: int
    data: dict[str, Any] = field(default_factory=dict)
    first_us: int | None = None
    last_us: int | None = None

    @property
    def host(self) -> str:
        return bucket_host(self.name, self.hostname)
