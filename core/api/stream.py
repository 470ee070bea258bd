"""Live events for dashboards: committed writer changes fanned out to SSE subscribers.

The writer calls ``EventHub.publish`` on its own thread after each commit; each subscriber
gets the changes on its event loop through ``call_soon_threadsafe`` (nothing blocks the
writer). A subscriber that falls too far behind gets a ``reset`` and should re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

from timelygator.core.writer import Change

QUEUE_SIZE = 1000
_RELEVANT = frozenset({"event", "event_deleted", "bucket", "bucket_deleted"})


@dataclass(eq=False)
class Subscriber:
    loop: asyncio.AbstractEventLoop
    user_id: int
    token_id: int | None = None
    queue: asyncio.Queue[list[Change] | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    overflowed: bool = False
    revoked: bool = False

    def push(self, item: list[Change] | None) -> None:
        """On the subscriber's loop: queue the item (None ends the stream)."""
        if item is None:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)
            return
        if self.queue.full():
            self.overflowed = True
            return
        self.queue.put_nowait(item)


class EventHub:
    """Fan-out of committed changes to the open streams."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[Subscriber] = set()
        self.closed = False

    def subscribe(self, user_id: int, token_id: int | None = None) -> Subscriber:
        sub = Subscriber(asyncio.get_running_loop(), user_id, token_id)
        with self._lock:
            self._subscribers.add(sub)
            if self.closed:
                sub.push(None)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def publish(self, changes: list[Change]) -> None:
        """Writer thread: hand relevant changes to every subscriber's loop."""
        if not self._subscribers:
            return
        relevant = [c for c in changes if c.kind in _RELEVANT]
        if not relevant:
            return
        with self._lock:
            subs = list(self._subscribers)
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.push, relevant)
            except RuntimeError:  # its loop is closed
                self.unsubscribe(sub)

    def end_streams_of(self, token_id: int) -> None:
        """End the streams opened with token ``token_id`` (it was revoked)."""
        with self._lock:
            subs = [sub for sub in self._subscribers if sub.token_id == token_id]
        for sub in subs:
            sub.revoked = True
            with contextlib.suppress(RuntimeError):  # its loop is closed
                sub.loop.call_soon_threadsafe(sub.push, None)

    def close(self) -> None:
        """End every open stream (before a graceful server shutdown)."""
        with self._lock:
            self.closed = True
            subs = list(self._subscribers)
        for sub in subs:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                sub.loop.call_soon_threadsafe(sub.push, None)
