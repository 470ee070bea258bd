"""Runs the sync (core's ``SyncEngine``) for the app, on a thread of its own, never on the
GUI thread.

The thread takes commands in order (new settings, a new token to keep in the keyring, "sync
now", stop) and syncs: ``DELAY_S`` after this computer's data changed (the writer's change
listener wakes it; the sync's own writes do not), and at least every ``INTERVAL_S`` to bring
the other devices' data (pulling at most that often). While the server is unreachable it
tries again after 5 s, 10 s, … up to 5 minutes; each sync resumes where the last one
stopped. ``sig_status`` carries what the Sync page shows: the last sync, what is still to
send, the last error (never the token).
"""

from __future__ import annotations

import copy
import logging
import queue
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from timelygator.core.errors import SyncError, TimelyGatorError
from timelygator.core.preferences import PrivacyPrefs, SyncPrefs
from timelygator.core.services import Services
from timelygator.core.writer import Change

if TYPE_CHECKING:
    from timelygator.core.sync.engine import SyncEngine

log = logging.getLogger(__name__)

DELAY_S = 10.0
INTERVAL_S = 60.0
FIRST_BACKOFF_S = 5.0
MAX_BACKOFF_S = 300.0


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the sync is doing: ``state`` is "off", "syncing", "ok" or "error"."""

    state: str
    text: str
    last_sync_us: int | None = None
    pending: int | None = None
    error: str | None = None


OFF = SyncStatus("off", "Off")


class SyncHost(QObject):
    """The app's continuous sync. ``start`` with the settings; ``stop`` before closing."""

    sig_status = Signal(object)
    """The status changed (a ``SyncStatus``; emitted from the sync thread, queued to slots
    on the GUI thread)."""

    def __init__(
        self,
        services: Services,
        parent: QObject | None = None,
        *,
        delay_s: float = DELAY_S,
        interval_s: float = INTERVAL_S,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.delay_s = delay_s
        self.interval_s = interval_s
        self.status = OFF
        self._commands: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._enabled = False
        self._privacy: PrivacyPrefs | None = None
        self._engine: SyncEngine | None = None  # made and replaced on the sync thread
        self._thread = threading.Thread(target=self._run, name="timelygator-sync", daemon=True)
        services.writer.add_change_listener(self._on_changes)
        self._thread.start()

    # -- any thread -------------------------------------------------------------------------
    def start(self, prefs: SyncPrefs, privacy: PrivacyPrefs) -> None:
        """Sync with these settings from now on (or stop syncing when they say off), under
        these privacy rules (the ones OK'd, which may not be stored yet)."""
        self._enabled = prefs.enabled
        self._privacy = copy.deepcopy(privacy)
        self._commands.put(("config", replace(prefs)))

    def set_token(self, token: str) -> None:
        """Keep ``token`` in the OS keyring (an empty one forgets it), on the sync thread."""
        self._commands.put(("token", token))

    def sync_now(self) -> None:
        self._commands.put(("now", None))

    def stop(self, timeout_s: float = 15.0) -> None:
        """End the sync after the page in progress; wait for the thread."""
        self._enabled = False
        self._stop.set()
        self._commands.put(("stop", None))
        self._thread.join(timeout_s)

    def _on_changes(self, changes: list[Change]) -> None:
        """The writer thread, after each commit: wake the sync when this device's data changed."""
        engine = self._engine
        if not self._enabled:
            return
        if engine is not None:
            if engine.note_changes(changes):
                self._commands.put(("changed", None))
        elif any(c.bucket_key is not None for c in changes):
            self._commands.put(("changed", None))

    # -- the sync thread --------------------------------------------------------------------
    def _emit(self, status: SyncStatus) -> None:
        self.status = status
        try:
            self.sig_status.emit(status)
        except RuntimeError:  # the app is gone (a request outlived its shutdown)
            log.debug("sync status after the app closed: %s", status.state)

    def _run(self) -> None:
        prefs: SyncPrefs | None = None
        due: float | None = None
        last_pull = -float("inf")
        force_pull = False
        backoff = FIRST_BACKOFF_S
        last: SyncStatus = OFF
        while not self._stop.is_set():
            timeout = None if due is None else max(0.0, due - time.monotonic())
            try:
                kind, value = self._commands.get(timeout=timeout)
            except queue.Empty:
                kind, value = "due", None
            if kind == "stop":
                break
            if kind == "config":
                assert isinstance(value, SyncPrefs)
                prefs, backoff = value, FIRST_BACKOFF_S
                self._drop_engine()
                if not (prefs.enabled and prefs.server_url):
                    due = None
                    self._emit(
                        OFF
                        if not prefs.enabled
                        else SyncStatus(
                            "error", "Give the server's address.", error="No server address."
                        )
                    )
                    continue
                due, force_pull = time.monotonic(), True
            elif kind == "token":
                self._store_token(str(value))
                self._drop_engine()
                due = time.monotonic() if prefs is not None and prefs.enabled else due
                continue
            elif kind == "now":
                if prefs is None or not prefs.enabled:
                    self._emit(SyncStatus("off", "Off: turn the sync on and press OK first."))
                    continue
                due, force_pull = time.monotonic(), True
            elif kind == "changed":
                if prefs is None or not prefs.enabled:
                    continue
                soon = time.monotonic() + self.delay_s
                due = soon if due is None else min(due, soon)
            if due is None or time.monotonic() < due or prefs is None:
                continue
            pull = force_pull or time.monotonic() - last_pull >= self.interval_s
            last, ok = self._sync(prefs, last, pull)
            if ok:
                if pull:
                    last_pull = time.monotonic()
                force_pull, backoff = False, FIRST_BACKOFF_S
                due = time.monotonic() + self.interval_s
            else:
                due = time.monotonic() + backoff
                backoff = min(MAX_BACKOFF_S, backoff * 2)
        self._drop_engine()

    def _drop_engine(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.client.close()

    def _store_token(self, token: str) -> None:
        from timelygator.core.sync.token_store import store_token

        try:
            store_token(self.services.dirs, token)
        except TimelyGatorError as exc:
            self._emit(SyncStatus("error", str(exc), error=str(exc)))

    def _make_engine(self, prefs: SyncPrefs) -> SyncEngine:
        from timelygator.core.client.sync_client import SyncClient
        from timelygator.core.sync.engine import SyncEngine
        from timelygator.core.sync.token_store import load_token

        token = load_token(self.services.dirs)
        if not token:
            raise SyncError(
                "No token for the server: create one there for this computer and enter it here.",
                retry=False,
            )
        client = SyncClient(prefs.server_url, token)
        return SyncEngine(self.services, client, pull=prefs.pull)

    def _sync(self, prefs: SyncPrefs, last: SyncStatus, pull: bool) -> tuple[SyncStatus, bool]:
        self._emit(replace(last, state="syncing", text="Syncing…"))
        try:
            engine = self._engine
            if engine is None:
                engine = self._engine = self._make_engine(prefs)
            report = engine.sync_once(self._stop, pull=pull and prefs.pull, privacy=self._privacy)
        except TimelyGatorError as exc:
            status = replace(last, state="error", text=f"Not synced: {exc}", error=str(exc))
            self._emit(status)
            return status, False
        except Exception as exc:  # a bug: logged, shown, retried later
            log.exception("the sync failed")
            text = f"Not synced: an internal error ({type(exc).__name__}), logged."
            status = replace(last, state="error", text=text, error=text)
            self._emit(status)
            return status, False
        status = SyncStatus(
            "ok", f"Synced. {report.summary()}", self.services.clock.now_us(), report.pending
        )
        self._emit(status)
        return status, True
