"""The window watcher: which app and title has focus (``currentwindow`` events)."""

from __future__ import annotations

import logging

from timelygator.core.event import Event
from timelygator.core.privacy import PrivacyFilter
from timelygator.core.timeutil import Clock
from timelygator.watchers.config import CLIENT_PREFIX, WINDOW_TYPE, window_bucket
from timelygator.watchers.probes import BrowserHistoryProbe, WindowProbe, backend_of
from timelygator.watchers.sink import Sink
from timelygator.watchers.status import StatusCallback, WatcherState
from timelygator.watchers.watcher import Watcher, local_utc_offset_s

log = logging.getLogger(__name__)


class WindowWatcher(Watcher):
    """Sends ``{app, title}`` (+ ``url`` for browsers when known) every poll.

    Heartbeats are zero-length observations; with ``pulsetime = poll + 1 s`` consecutive
    ones merge into one event per focused window.
    """

    name = "window"
    client = f"{CLIENT_PREFIX}-window"

    def __init__(
        self,
        sink: Sink,
        probe: WindowProbe,
        *,
        hostname: str,
        privacy: PrivacyFilter | None = None,
        browser_history: BrowserHistoryProbe | None = None,
        poll_interval_s: float = 1.0,
        clock: Clock | None = None,
        on_status: StatusCallback | None = None,
    ) -> None:
        super().__init__(sink, poll_interval_s=poll_interval_s, clock=clock, on_status=on_status)
        self.probe = probe
        self.hostname = hostname
        self.privacy = privacy or PrivacyFilter()
        self.browser_history = browser_history
        self.bucket = window_bucket(hostname)
        self.pulsetime_s = poll_interval_s + 1.0
        self._last_data: dict[str, object] | None = None

    def setup(self) -> None:
        self.sink.ensure_bucket(self.bucket, WINDOW_TYPE, self.client, self.hostname)

    def poll_once(self, now_us: int) -> None:
        if self.privacy.is_paused(now_us):
            self.set_status(WatcherState.PAUSED)
            return
        info = self.probe.active_window()
        self.set_status(WatcherState.RUNNING, backend_of(self.probe))
        if info is None:
            return
        url: str | None = None
        private = info.is_private
        if self.browser_history is not None:
            try:
                browser = self.browser_history.browser_for_app(info.app)
                tab = self.browser_history.resolve(browser, info.title) if browser else None
            except Exception:
                log.debug("browser history lookup failed", exc_info=True)
                tab = None
            if tab is not None:
                url = tab.url
                private = private or tab.incognito
        data = self.privacy.window_data(info.app, info.title, url, private)
        if data is None:
            return
        event = Event(now_us, now_us, data, tz_offset_s=local_utc_offset_s(now_us))
        if data != self._last_data:
            # The log hides the title and URL unless the user allowed them (core.logs).
            log.debug("active window: %r", data)
            self._last_data = data
        self.sink.heartbeat(self.bucket, event, self.pulsetime_s)
