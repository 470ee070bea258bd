"""The sync engine: this device's buckets to a TimelyGator server, other devices' back.

One ``sync_once`` pushes every bucket of this device, page by page (``core.sync.ranges``),
each page replacing the server's range of starts, and records the bucket's watermark only
after the server answered (``core.sync.state``): a sync stopped anywhere (the server killed,
the network gone, the app closed) resumes at the first page the server had not
acknowledged, and a page the server stored but could not acknowledge is stored again
without duplicates. The privacy rules in force now (``core.privacy``) apply to every event
before it leaves; when they change, everything is sent again under them, which removes
what they exclude from the server too.

With ``pull``, it then copies the server's other buckets here as read-only copies: a pulled
bucket carries its device's marker, so it is never pushed back, and its hostname, so the
views show each computer (a hostname that two devices share gets the device's short id).

Blocking and not thread-safe: one sync at a time, on a worker thread (``timelygator sync``,
the app's ``SyncHost``). ``note_changes`` may be called from any thread (the writer's).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from timelygator.core import reader
from timelygator.core.client.sync_client import SyncClient
from timelygator.core.device import load_device_id
from timelygator.core.errors import SyncError
from timelygator.core.event import BucketInfo, Event
from timelygator.core.preferences import PrivacyPrefs, load_preferences
from timelygator.core.privacy import PrivacyFilter, fingerprint, privacy_from_preferences
from timelygator.core.services import Services
from timelygator.core.sync import protocol
from timelygator.core.sync.ranges import Range, RangePlan, fit, next_page, plan_replace
from timelygator.core.sync.state import (
    UNCOUNTED,
    PullState,
    PushState,
    SyncState,
    load_state,
    new_epoch,
    save_state,
)
from timelygator.core.write_ops import BucketFields
from timelygator.core.writer import Change

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
# What one push may carry (the server takes 8 MB bodies); a page of large events is cut.
PUSH_BUDGET_BYTES = 4 * 1024 * 1024
WRITE_TIMEOUT_S = 120.0


@dataclass
class Counts:
    """What one bucket's sync changed at the other end."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def add(self, inserted: int, updated: int, deleted: int, unchanged: int) -> None:
        self.inserted += inserted
        self.updated += updated
        self.deleted += deleted
        self.unchanged += unchanged

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.deleted


@dataclass
class SyncReport:
    """What one ``sync_once`` did; ``pending``: local events the server has not yet."""

    pushed: dict[str, Counts] = field(default_factory=dict)
    pulled: dict[str, Counts] = field(default_factory=dict)
    withheld: int = 0  # events the privacy rules kept on this device
    notes: list[str] = field(default_factory=list)
    pending: int = 0
    stopped: bool = False  # asked to stop before the end

    def summary(self) -> str:
        """One sentence: what was sent, kept back, removed on the server, received."""
        sent = sum(c.inserted + c.updated for c in self.pushed.values())
        removed = sum(c.deleted for c in self.pushed.values())
        got = sum(c.inserted + c.updated + c.deleted for c in self.pulled.values())
        parts = [f"{sent} event(s) sent" if sent else "nothing new to send"]
        if removed:
            parts.append(f"{removed} removed on the server")
        if self.withheld:
            parts.append(f"{self.withheld} kept here by the privacy settings")
        if self.pulled:
            parts.append(f"{got} change(s) from other computers")
        return "; ".join(parts) + "."


class SyncEngine:
    """Syncs one open data folder with one server."""

    def __init__(
        self,
        services: Services,
        client: SyncClient,
        *,
        pull: bool = True,
        page_size: int = PAGE_SIZE,
        budget: int = PUSH_BUDGET_BYTES,
    ) -> None:
        """``page_size``: events per request at most; ``budget``: bytes of event data per
        push at most (one start's events go together whatever their size)."""
        self.services = services
        self.client = client
        self.pull_enabled = pull
        self.page_size = page_size
        self.budget = budget
        self.device_id = load_device_id(services.dirs.data)
        self._lock = threading.Lock()
        self._dirty: dict[str, int] = {}  # local bucket -> earliest change behind its watermark
        self._watermarks: dict[int, tuple[str, int | None]] = {}  # bucket key -> (name, since)
        self._sent_tails: dict[str, tuple[int | None, int, int, int]] = {}
        self._checked: set[int] = set()  # bucket keys whose count was checked this session
        self._pulled_keys: set[int] = set()  # local keys of the other devices' copies
        self._resend_all = False
        self._purged = False  # retention deleted old events: count them again, send nothing

    # -- any thread ---------------------------------------------------------------------------
    def note_changes(self, changes: Iterable[Change]) -> bool:
        """The writer's committed changes (any thread): an event changed behind a bucket's
        watermark (an edit, a deletion, an import into the past) makes the next sync send
        the bucket again from there. True when a change concerns this device's own data
        (a reason to sync soon); the sync's own writes (pulled copies, its state) are not.
        Heartbeats at the end of a bucket cost a dictionary lookup. Retention's purges stay
        on this computer: the server keeps those events."""
        concerns = False
        with self._lock:
            marks = self._watermarks
            for change in changes:
                if change.kind == "events_purged":
                    self._purged = True
                    continue
                key = change.bucket_key
                if key is None or key in self._pulled_keys:
                    continue
                concerns = True
                if change.kind not in ("event", "event_deleted"):
                    continue
                known = marks.get(key)
                if known is None:
                    continue
                name, since = known
                if since is None:
                    continue
                starts = [] if change.event is None else [change.event.start_us]
                if change.span is not None:
                    starts.append(change.span[0])
                earliest = min(starts, default=since)
                if earliest < since:
                    self._dirty[name] = min(self._dirty.get(name, earliest), earliest)
        return concerns

    def resend_all(self) -> None:
        """Send every bucket again from the beginning at the next sync (``sync --full``)."""
        with self._lock:
            self._resend_all = True

    # -- the sync (one worker thread) -----------------------------------------------------------
    def sync_once(
        self,
        stop: threading.Event | None = None,
        *,
        pull: bool | None = None,
        privacy: PrivacyPrefs | None = None,
    ) -> SyncReport:
        """Push this device's buckets, then pull the others' (when enabled; ``pull`` says
        whether this time, None: when enabled). ``stop``: end after the page in progress.
        ``privacy``: the rules in force (the app's, just OK'd and maybe not stored yet);
        None: the stored ones.

        SyncError when the server cannot be reached or refuses; what was acknowledged before
        stays acknowledged. ValidationError when a privacy rule does not compile (then
        nothing is sent)."""
        report = SyncReport()
        info = self.client.info()
        if info["device_id"] == self.device_id:
            raise SyncError(
                "That address is this computer's own TimelyGator; give the address of the "
                "server the devices share.",
                retry=False,
            )
        services = self.services
        with services.read() as conn:
            state = load_state(conn, services.user_id)
            prefs = load_preferences(conn, services.user_id)
            buckets = reader.list_buckets(conn, services.user_id)
        rules = PrivacyFilter(privacy_from_preferences(privacy or prefs.privacy))
        self._prepare(state, info["device_id"], fingerprint(rules.config))
        own = [b for b in buckets if protocol.marker_of(b.data) is None]
        with self._lock:
            purged, self._purged = self._purged, False
        if purged:
            for bucket in own:
                entry = state.push.get(bucket.name)
                if entry is not None:
                    entry.count = self._count_before(bucket.key, entry.since_us)
        with self._lock:
            self._pulled_keys = {b.key for b in buckets if protocol.marker_of(b.data) is not None}
            self._watermarks = {
                b.key: (b.name, state.push[b.name].since_us) for b in own if b.name in state.push
            }
        for bucket in own:
            if stop is not None and stop.is_set():
                report.stopped = True
                return report
            self._push_bucket(bucket, state, rules, report, stop)
        if (self.pull_enabled if pull is None else pull) and not report.stopped:
            self._pull_all(state, buckets, report, stop)
        state.last_sync_us = services.clock.now_us()
        self._save(state)
        report.pending = self.pending(state, own)
        return report

    def _prepare(self, state: SyncState, server: str, privacy: str) -> None:
        """Start over with a new server; mark what must be sent again (new privacy rules,
        changes noted since the last sync, ``resend_all``)."""
        changed = False
        if state.server != server:
            if state.server:
                log.info("the sync server is another one now: everything is sent again")
            state.server, state.push, state.pull = server, {}, {}
            self._sent_tails.clear()
            self._checked.clear()
            changed = True
        if state.privacy != privacy:
            for entry in state.push.values():
                entry.rewrite(None)
            state.privacy, changed = privacy, True
        with self._lock:
            dirty, self._dirty = self._dirty, {}
            everything, self._resend_all = self._resend_all, False
        for name, since in dirty.items():
            noted = state.push.get(name)
            changed = (noted is not None and noted.rewrite(since)) or changed
        if everything:
            for entry in state.push.values():
                entry.rewrite(None)
            changed = True
        if changed:  # a rewrite is recorded before anything of it is sent
            self._save(state)

    def _save(self, state: SyncState) -> None:
        save_state(self.services.writer, self.services.user_id, state).result(WRITE_TIMEOUT_S)

    def _read(self, key: int) -> Any:
        def read(start: int | None, end: int | None, limit: int | None) -> list[Event]:
            with self.services.read() as conn:
                return reader.events_starting(conn, key, start, end, limit)

        return read

    def _count_before(self, key: int, since: int | None) -> int:
        if since is None:
            return 0
        with self.services.read() as conn:
            return reader.count_starting(conn, key, None, since)

    # -- pushing --------------------------------------------------------------------------------
    def _push_bucket(
        self,
        bucket: BucketInfo,
        state: SyncState,
        privacy: PrivacyFilter,
        report: SyncReport,
        stop: threading.Event | None,
    ) -> None:
        name, key = bucket.name, bucket.key
        entry = state.push.get(name)
        if entry is None:
            server_id = protocol.server_bucket_id(name, self.device_id)
            entry = state.push[name] = PushState(server_id, pending=new_epoch())
        elif (
            key not in self._checked
            and entry.count != UNCOUNTED
            and entry.count != self._count_before(key, entry.since_us)
        ):
            log.info("events of %s changed outside the sync: it is sent again", name)
            entry.rewrite(None)
        self._checked.add(key)
        if entry.count == UNCOUNTED:
            entry.count = self._count_before(key, entry.since_us)
        read = self._read(key)
        while True:
            since = entry.since_us
            events, until = next_page(read, since, self.page_size)
            events, until = fit(events, until, _wire_size, self.budget)
            final = until is None
            tail = _tail(since, events)
            if final and entry.pending is None and self._sent_tails.get(name) == tail:
                break  # nothing new since the last push
            outgoing = []
            for event in events:
                data = privacy.stored_data(bucket.type, event.data)
                if data is None:
                    report.withheld += 1
                else:
                    outgoing.append(
                        Event(event.start_us, event.end_us, data, None, event.tz_offset_s)
                    )
            epoch = entry.pending if final and entry.pending is not None else entry.epoch
            meta = protocol.BucketMeta(
                bucket.type,
                bucket.client,
                bucket.hostname,
                protocol.with_marker(bucket.data, self.device_id, name, epoch),
            )
            answer = self.client.push(
                entry.server_id, protocol.Push(meta, Range(since, until), outgoing)
            )
            counts = report.pushed.setdefault(entry.server_id, Counts())
            if answer.get("created") is True and since is not None:
                log.info("the server had lost %s: it is sent again", entry.server_id)
                entry.rewrite(None)
                self._save(state)
                continue
            counts.add(
                *(int(answer.get(k, 0)) for k in ("inserted", "updated", "deleted", "unchanged"))
            )
            moved_to = until if not final else events[-1].start_us if events else since
            entry.count += sum(1 for e in events if moved_to is not None and e.start_us < moved_to)
            entry.since_us = moved_to
            if final and entry.pending is not None:
                entry.epoch, entry.pending = entry.pending, None
            self._save(state)
            with self._lock:
                self._watermarks[key] = (name, entry.since_us)
            if final:
                since = entry.since_us
                self._sent_tails[name] = _tail(
                    since, [e for e in events if since is None or e.start_us >= since]
                )
                break
            if stop is not None and stop.is_set():
                report.stopped = True
                break
        with self._lock:
            self._watermarks[key] = (name, entry.since_us)

    def pending(self, state: SyncState, own: list[BucketInfo]) -> int:
        """Local events the server does not have yet (after the watermarks)."""
        total = 0
        with self.services.read() as conn:
            for bucket in own:
                entry = state.push.get(bucket.name)
                since = None if entry is None else entry.since_us
                total += reader.count_starting(
                    conn, bucket.key, None if since is None else since + 1
                )
        return total

    # -- pulling --------------------------------------------------------------------------------
    def _pull_all(
        self,
        state: SyncState,
        buckets: list[BucketInfo],
        report: SyncReport,
        stop: threading.Event | None,
    ) -> None:
        remote = self.client.buckets()
        local = {b.name: b for b in buckets}
        hosts = _pulled_hosts(self.device_id, buckets, remote)
        for server_id, wire in sorted(remote.items()):
            data = _data(wire)
            if protocol.device_of(data) == self.device_id:
                continue
            copy = local.get(server_id)
            if copy is not None and protocol.marker_of(copy.data) is None:
                report.notes.append(
                    f"{server_id} was not pulled: a bucket of this computer has that id."
                )
                continue
            if stop is not None and stop.is_set():
                report.stopped = True
                return
            meta = protocol.BucketMeta(
                str(wire.get("type", "")),
                str(wire.get("client", "")),
                hosts.get(server_id, str(wire.get("hostname", ""))),
                protocol.pulled_data(data),
            )
            entry = state.pull.get(server_id)
            if entry is None or copy is None:  # new here, or its copy was deleted here
                entry = state.pull[server_id] = PullState()
            key = self._local_copy(server_id, meta, copy)
            with self._lock:
                self._pulled_keys.add(key)
            counts = report.pulled.setdefault(server_id, Counts())
            self._pull_bucket(server_id, key, entry, protocol.epoch_of(data), state, counts)
        for name, bucket in local.items():
            marker = protocol.marker_of(bucket.data)
            if marker is not None and marker.get("pulled") is True and name not in remote:
                log.info("%s is no longer on the server: its copy here is removed", name)
                self.services.writer.delete_bucket(bucket.key).result(WRITE_TIMEOUT_S)
                state.pull.pop(name, None)

    def _local_copy(self, name: str, meta: protocol.BucketMeta, copy: BucketInfo | None) -> int:
        writer, user_id = self.services.writer, self.services.user_id
        if copy is None:
            made = writer.create_bucket(
                user_id,
                name,
                type=meta.type,
                client=meta.client,
                hostname=meta.hostname,
                data=meta.data,
            ).result(WRITE_TIMEOUT_S)
            if made is not None:
                return made.key
            with self.services.read() as conn:
                return reader.bucket_key(conn, user_id, name)
        current = protocol.BucketMeta(copy.type, copy.client, copy.hostname, copy.data)
        fields = meta.differences(current)
        if fields:
            writer.update_bucket(copy.key, cast(BucketFields, fields)).result(WRITE_TIMEOUT_S)
        return copy.key

    def _pull_bucket(
        self,
        server_id: str,
        key: int,
        entry: PullState,
        epoch: str | None,
        state: SyncState,
        counts: Counts,
    ) -> None:
        if entry.epoch != epoch and entry.target != epoch:
            entry.since_us, entry.target = None, epoch  # rewritten there: from the beginning

        def read(start: int | None, end: int | None, limit: int | None) -> list[Event]:
            return self.client.pull(server_id, Range(start, end), limit or protocol.MAX_PULL_LIMIT)

        while True:
            since = entry.since_us
            events, until = next_page(read, since, self.page_size)
            plan = self._replace_local(key, Range(since, until), events)
            counts.add(len(plan.inserts), len(plan.updates), len(plan.deletes), plan.unchanged)
            if until is None:
                if events:
                    entry.since_us = events[-1].start_us
                entry.epoch, entry.target = epoch, None
                self._save(state)
                return
            entry.since_us = until
            self._save(state)

    def _replace_local(self, key: int, span: Range, events: list[Event]) -> RangePlan:
        with self.services.read() as conn:
            stored = reader.events_starting(conn, key, span.start_us, span.end_us)
        plan = plan_replace(stored, events)
        writer = self.services.writer
        futures: list[Any] = []
        if plan.updates or plan.inserts:
            futures.append(writer.insert_events(key, [*plan.updates, *plan.inserts]))
        if plan.deletes:
            futures.append(writer.delete_events(key, plan.deletes))
        for future in futures:
            future.result(WRITE_TIMEOUT_S)
        return plan


def _wire_size(event: Event) -> int:
    """About what an event weighs in a push (its data, its timestamp and duration)."""
    return len(protocol.encode(event.data)) + 80


def _data(wire: dict[str, Any]) -> dict[str, Any]:
    """A listed bucket's data (an empty one when the server sent none)."""
    data = wire.get("data")
    return data if isinstance(data, dict) else {}


def _tail(since: int | None, events: list[Event]) -> tuple[int | None, int, int, int]:
    """What the last page looked like: its start, how many events, the last one's span."""
    last = events[-1] if events else None
    return (
        since,
        len(events),
        -1 if last is None else last.start_us,
        -1 if last is None else last.end_us,
    )


def _pulled_hosts(
    device_id: str, buckets: list[BucketInfo], remote: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """The hostname each pulled bucket gets here: its own, unless another device uses the
    same one (two laptops called "laptop"): then with the device's short id after it, so
    the views never mix two computers' time."""
    devices: dict[str, set[str]] = {}
    for bucket in buckets:
        if protocol.marker_of(bucket.data) is None:
            devices.setdefault(bucket.hostname, set()).add(device_id)
    for wire in remote.values():
        data = _data(wire)
        devices.setdefault(str(wire.get("hostname", "")), set()).add(protocol.device_of(data) or "")
    out: dict[str, str] = {}
    for server_id, wire in remote.items():
        data = _data(wire)
        device = protocol.device_of(data) or ""
        hostname = str(wire.get("hostname", ""))
        if device != device_id and len(devices.get(hostname, set())) > 1:
            short = protocol.device_suffix(device)[1:9] if device else "server"
            out[server_id] = f"{hostname} ({short})"
    return out
