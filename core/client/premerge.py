"""Client-side heartbeat pre-merging (like aw-client's queued heartbeats).

Consecutive heartbeats that merge (same data, within pulsetime) are held locally; a request
is only produced when the data (or bucket) changes, or when the held event has grown by
``commit_interval_s`` since it was last sent. The server merges what arrives the same way,
so the stored events are identical, with far fewer requests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from timelygator.core.event import Event
from timelygator.core.heartbeat import merge_heartbeat
from timelygator.core.timeutil import US_PER_S


@dataclass(frozen=True, slots=True)
class OutgoingHeartbeat:
    bucket: str
    event: Event
    pulsetime_s: float


class HeartbeatPreMerger:
    """Holds the last (merged) heartbeat per bucket; thread-safe."""

    def __init__(self, commit_interval_s: float = 10.0) -> None:
        self.commit_interval_us = round(commit_interval_s * US_PER_S)
        self._held: dict[str, tuple[Event, float]] = {}
        self._lock = threading.Lock()

    def add(self, bucket: str, event: Event, pulsetime_s: float) -> list[OutgoingHeartbeat]:
        """Take a heartbeat; return what must be sent now (possibly nothing)."""
        with self._lock:
            held = self._held.get(bucket)
            if held is None:
                self._held[bucket] = (event, pulsetime_s)
                return []
            last, last_pulsetime = held
            merged = merge_heartbeat(last, event, round(pulsetime_s * US_PER_S))
            if merged is None:
                self._held[bucket] = (event, pulsetime_s)
                return [OutgoingHeartbeat(bucket, last, last_pulsetime)]
            if merged.duration_us >= self.commit_interval_us:
                # Send the grown event; keep merging from the new heartbeat (the server
                # extends its stored event the same way).
                self._held[bucket] = (event, pulsetime_s)
                return [OutgoingHeartbeat(bucket, merged, pulsetime_s)]
            self._held[bucket] = (merged, pulsetime_s)
            return []

    def drain(self) -> list[OutgoingHeartbeat]:
        """Everything held, to send before a flush or shutdown."""
        with self._lock:
            out = [OutgoingHeartbeat(b, e, p) for b, (e, p) in self._held.items()]
            self._held.clear()
        return out
