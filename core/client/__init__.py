"""tg-client: talk to a TimelyGator (or ActivityWatch) server over ``/api/0``."""

from core.client.http_client import DEFAULT_URL, TgClient
from core.client.offline_queue import OfflineQueue, QueuedRequest
from core.client.premerge import HeartbeatPreMerger, OutgoingHeartbeat
from core.client.wire import event_to_wire

__all__ = [
    "DEFAULT_URL",
    "HeartbeatPreMerger",
    "OfflineQueue",
    "OutgoingHeartbeat",
    "QueuedRequest",
    "TgClient",
    "event_to_wire",
]
