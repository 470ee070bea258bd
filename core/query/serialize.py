"""Query results as JSON-ready values (events in ActivityWatch's wire form)."""

from __future__ import annotations

from typing import Any

from timelygator.core.event import Event
from timelygator.core.timeutil import US_PER_S, format_iso

_SCALARS = (str, int, float, bool, type(None))


def event_to_json(event: Event) -> dict[str, Any]:
    """``{"id", "timestamp", "duration", "data"}`` exactly; duration in float seconds."""
    return {
        "id": event.id,
        "timestamp": format_iso(event.start_us),
        "duration": (event.end_us - event.start_us) / US_PER_S,
        "data": to_json(event.data),
    }


def to_json(value: Any) -> Any:
    """Convert events (also nested ones) to dicts; plain values are returned as they are."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is Event:
        return event_to_json(value)
    if kind is list or kind is tuple:
        if all(type(v) in _SCALARS for v in value):
            return value if kind is list else list(value)
        return [to_json(v) for v in value]
    if kind is dict:
        if all(type(v) in _SCALARS for v in value.values()):
            return value
        return {k: to_json(v) for k, v in value.items()}
    return value
