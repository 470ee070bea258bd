"""Events on the wire, ActivityWatch style: ``{timestamp, duration, data}``."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from timelygator.core.event import Event
from timelygator.core.timeutil import from_us


def event_to_wire(event: Event) -> dict[str, Any]:
    """The JSON body for an event; the timestamp keeps the capture's UTC offset."""
    moment = from_us(event.start_us)
    if event.tz_offset_s:
        moment = moment.astimezone(timezone(timedelta(seconds=event.tz_offset_s)))
    return {
        "timestamp": moment.isoformat(timespec="microseconds"),
        "duration": event.duration_s,
        "data": event.data,
    }
