"""How far the sync got with one server: stored in the data folder's database (the settings
store, ``timelygator.sync.state``), written only after the server acknowledged.

Per pushed bucket, a *watermark* (``since_us``): every event that starts before it is on the
server as it is here. The next push replaces the server's range from the watermark on, so
it re-sends the last event (a heartbeat may have grown it) and everything after. A rewrite
of history already sent lowers the watermark and draws a new epoch (``pending``), which the
last page of the rewrite hands to the server (``core.sync.protocol``). ``count`` is how many
local events started before the watermark when it was written (kept up page by page, not
counted again): a different count at the next session means events were added or deleted
behind the sync's back (an import, a command), and the bucket is sent again from the
beginning.

Per pulled bucket, the watermark of the copy here and the epoch it was pulled under
(``target``: the epoch a pull from the beginning is working towards).
"""

from __future__ import annotations

import secrets
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection
from timelygator.core.settings_store import get_setting, set_setting
from timelygator.core.writer import Writer

STATE_KEY = "timelygator.sync.state"
UNCOUNTED = -1  # ``count`` must be read again (a rewrite moved the watermark back)


def new_epoch() -> str:
    return secrets.token_hex(6)


@dataclass
class PushState:
    server_id: str
    since_us: int | None = None
    count: int = 0
    epoch: str = ""
    pending: str | None = None

    def rewrite(self, from_us: int | None) -> bool:
        """Send again from ``from_us`` (None: the beginning) under a new epoch, when that is
        before the watermark; True when it changed anything."""
        if from_us is not None and (self.since_us is None or from_us >= self.since_us):
            return False
        self.since_us = from_us
        self.count = 0 if from_us is None else UNCOUNTED
        self.pending = new_epoch()
        return True


@dataclass
class PullState:
    since_us: int | None = None
    epoch: str | None = None
    target: str | None = None


@dataclass
class SyncState:
    server: str = ""  # the server's device id (GET /api/0/info)
    privacy: str = ""  # the privacy rules' fingerprint the server's copies follow
    push: dict[str, PushState] = field(default_factory=dict)
    pull: dict[str, PullState] = field(default_factory=dict)
    last_sync_us: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Any) -> SyncState:
        """A stored state; anything unreadable gives an empty one (everything is sent again,
        which the server takes without duplicates)."""
        if not isinstance(raw, dict):
            return cls()
        try:
            return cls(
                server=str(raw.get("server", "")),
                privacy=str(raw.get("privacy", "")),
                push={str(k): PushState(**v) for k, v in dict(raw.get("push", {})).items()},
                pull={str(k): PullState(**v) for k, v in dict(raw.get("pull", {})).items()},
                last_sync_us=raw.get("last_sync_us"),
            )
        except (TypeError, ValueError):
            return cls()


def load_state(conn: Connection, user_id: int) -> SyncState:
    return SyncState.from_json(get_setting(conn, user_id, STATE_KEY))


def save_state(writer: Writer, user_id: int, state: SyncState) -> Future[None]:
    return set_setting(writer, user_id, STATE_KEY, state.to_json())
