"""The heartbeat merge rule, as a pure function.

A heartbeat H merges into the bucket's last event L iff their data are equal and
``L.start <= H.start <= L.end + pulsetime``; the merged event keeps L's start and ends at
``max(L.end, H.end)``. Otherwise H becomes a new event. (ActivityWatch's rule; see
shared/API-COMPAT.md.)
"""

from __future__ import annotations

from timelygator.core.event import Event


def merge_heartbeat(last: Event | None, heartbeat: Event, pulsetime_us: int) -> Event | None:
    """Return the merged event (same id as ``last``) or ``None`` when H must be stored as new."""
    if last is None or pulsetime_us < 0:
        return None
    if not (last.start_us <= heartbeat.start_us <= last.end_us + pulsetime_us):
        return None
    if last.data != heartbeat.data:
        return None
    return Event(
        start_us=last.start_us,
        end_us=max(last.end_us, heartbeat.end_us),
        data=last.data,
        id=last.id,
        tz_offset_s=last.tz_offset_s,
    )
