"""tg-client: talk to a TimelyGator (or ActivityWatch) server over ``/api/0``."""

from timelygator.core.client.http_client import DEFAULT_URL, TgClient
from timelygator.core.client.offline_queue import OfflineQueue, QueuedRequest
from timelygator.core.client.premerge import HeartbeatPreMerger, OutgoingHeartbeat
from timelygator.core.client.wire import event_to_wire

__all__ = [
    "DEFAULT_URL",
    "HeartbeatPreMerger",
    "OfflineQueue",
    "OutgoingHeartbeat",
    "QueuedRequest",
    "TgClient",
    "event_to_wire",
]
