"""Devices and a server for the sync tests: data folders with buckets and events, an engine
per device, and the rows a server or a device holds (to compare, as a person would)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from timelygator.core import reader, tokens
from timelygator.core.api import ApiConfig, ApiServer
from timelygator.core.client.sync_client import SyncClient
from timelygator.core.event import Event
from timelygator.core.paths import resolve_dirs
from timelygator.core.preferences import load_preferences, save_preferences
from timelygator.core.services import Services
from timelygator.core.sync.engine import SyncEngine
from timelygator.core.writer import Change

DAY_US = int(datetime(2024, 5, 1, 8, tzinfo=UTC).timestamp() * 1_000_000)
MINUTE_US = 60_000_000
WINDOW = "currentwindow"
AFK = "afkstatus"

# (bucket, start, end, tz offset, data as JSON): what a person compares.
Row = tuple[str, int, int, int | None, str]


def window_bucket(host: str) -> str:
    return f"aw-watcher-window_{host}"


def afk_bucket(host: str) -> str:
    return f"aw-watcher-afk_{host}"


class Server:
    """A TimelyGator server in this process (its own data folder, a free port) and a
    write token for the devices; ``restart`` brings it back on the same port."""

    def __init__(self, root: Path) -> None:
        self.services = Services.open(resolve_dirs(root / "server"), None, max_delay=0.02)
        writer, user = self.services.writer, self.services.user_id
        self.token = tokens.create(writer, user, "write", "devices").result().secret
        self.api = self._serve(0)

    def _serve(self, port: int) -> ApiServer:
        config = ApiConfig(port=port, hostname="server", freeze_heap=False)
        api = ApiServer(self.services, config)
        api.start()
        return api

    @property
    def url(self) -> str:
        return self.api.url

    def restart(self) -> None:
        self.api = self._serve(self.api.port)

    def close(self) -> None:
        self.api.stop()
        self.services.close()

    def rows(self) -> list[Row]:
        return rows_of(self.services)

    def text(self) -> str:
        return json.dumps(self.rows())


@dataclass
class Device:
    """One computer: its own data folder, opened, with a window and an AFK bucket."""

    services: Services
    host: str
    engines: list[SyncEngine] = field(default_factory=list)

    @classmethod
    def open(cls, root: Path, host: str, passphrase: str | None = None) -> Device:
        services = Services.open(resolve_dirs(root / host), passphrase, max_delay=0.02)
        for name, kind in ((window_bucket(host), WINDOW), (afk_bucket(host), AFK)):
            services.ensure_bucket(name, type=kind, client="timelygator-watcher", hostname=host)
        return cls(services, host)

    def close(self) -> None:
        for engine in self.engines:
            engine.client.close()
        self.services.close()

    def window(self, minute: int, minutes: float, app: str, title: str) -> Event:
        """A window event ``minute`` minutes into the day (UTC+2, as captured)."""
        start = DAY_US + minute * MINUTE_US
        event = Event(start, start + round(minutes * MINUTE_US), {"app": app, "title": title},
                      None, 7200)  # fmt: skip
        return self.insert(window_bucket(self.host), [event])[0]

    def away(self, minute: int, minutes: float, status: str) -> Event:
        start = DAY_US + minute * MINUTE_US
        event = Event(start, start + round(minutes * MINUTE_US), {"status": status}, None, 7200)
        return self.insert(afk_bucket(self.host), [event])[0]

    def insert(self, bucket: str, events: list[Event]) -> list[Event]:
        key = self.services.bucket_key(bucket)
        return self.services.writer.insert_events(key, events).result(30)

    def heartbeat(self, bucket: str, event: Event, pulsetime_s: float) -> Event:
        key = self.services.bucket_key(bucket)
        return self.services.writer.heartbeat(key, event, pulsetime_s).result(30)

    def privacy(self, **fields: object) -> None:
        """Change Settings → Privacy (and store it, as OK does)."""
        with self.services.read() as conn:
            prefs = load_preferences(conn, self.services.user_id)
        for name, value in fields.items():
            setattr(prefs.privacy, name, value)
        save_preferences(self.services.writer, self.services.user_id, prefs).result(30)

    def engine(
        self,
        url: str,
        token: str,
        *,
        pull: bool = True,
        page_size: int = 1000,
        transport: httpx.BaseTransport | None = None,
        watch: bool = False,
    ) -> SyncEngine:
        """A sync engine for this device; ``watch``: it hears the writer's changes, as the
        app's sync does."""
        client = SyncClient(url, token, transport=transport)
        engine = SyncEngine(self.services, client, pull=pull, page_size=page_size)
        if watch:

            def hear(changes: list[Change]) -> None:
                engine.note_changes(changes)

            self.services.writer.add_change_listener(hear)
        self.engines.append(engine)
        return engine

    def rows(self) -> list[Row]:
        return rows_of(self.services)

    def hosts(self) -> set[str]:
        """The hosts the app's host filter lists (every bucket's host)."""
        return {b.host for b in self.services.buckets()}


def rows_of(services: Services, keep: Callable[[str], bool] = lambda _name: True) -> list[Row]:
    """Every event of every bucket: (bucket, start, end, offset, data JSON), sorted."""
    out: list[Row] = []
    with services.read() as conn:
        for bucket in reader.list_buckets(conn, services.user_id):
            if not keep(bucket.name):
                continue
            for e in reader.events_starting(conn, bucket.key):
                out.append((bucket.name, e.start_us, e.end_us, e.tz_offset_s,
                            json.dumps(e.data, sort_keys=True)))  # fmt: skip
    return sorted(out)


def ids_of(services: Services) -> list[tuple[str, int, int, int]]:
    """(bucket, event id, start, end) of every event: unchanged ids prove updates in place."""
    out = []
    with services.read() as conn:
        for bucket in reader.list_buckets(conn, services.user_id):
            for e in reader.events_starting(conn, bucket.key):
                assert e.id is not None
                out.append((bucket.name, e.id, e.start_us, e.end_us))
    return sorted(out)


class FailingTransport(httpx.BaseTransport):
    """A real HTTP transport that breaks the sync at chosen pushes (numbered from 1).

    ``before``: these pushes never reach the server; ``after``: these reach it and are
    stored, and their answer is lost. ``on_fail`` runs at each break: given one (it kills
    a real server), a push ``before`` is then sent for real and fails for real; without,
    the connection error is made up here.
    """

    def __init__(
        self,
        before: set[int] | None = None,
        after: set[int] | None = None,
        on_fail: Callable[[], None] | None = None,
    ) -> None:
        self.inner = httpx.HTTPTransport()
        self.before, self.after = before or set(), after or set()
        self.on_fail = on_fail
        self.pushes = 0
        self.failed: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        is_push = request.method == "POST" and "/api/0/sync/" in request.url.path
        if is_push:
            self.pushes += 1
            if self.pushes in self.before:
                self._fail()
                if self.on_fail is None:
                    raise httpx.ConnectError("connection refused", request=request)
        response = self.inner.handle_request(request)
        if is_push and self.pushes in self.after:
            response.read()
            response.close()
            self._fail()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response

    def _fail(self) -> None:
        self.failed.append(self.pushes)
        if self.on_fail is not None:
            self.on_fail()

    def close(self) -> None:
        self.inner.close()
