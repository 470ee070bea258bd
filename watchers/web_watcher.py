"""Web tabs resolved from browser history, for users without the browser extension.

Records ``web.tab.current`` events with the extension's keys. What history cannot know
(``audible``, ``tabCount``) is recorded as ``"unknown"``.
"""

from __future__ import annotations

import logging

from timelygator.core.event import Event
from timelygator.core.privacy import PrivacyFilter
from timelygator.core.timeutil import Clock
from timelygator.watchers.config import CLIENT_PREFIX, WEB_PULSETIME_S, WEB_TYPE, web_bucket
from timelygator.watchers.probes import UNKNOWN, BrowserHistoryProbe, WindowProbe
from timelygator.watchers.sink import Sink
from timelygator.watchers.status import StatusCallback, WatcherState
from timelygator.watchers.watcher import Watcher, local_utc_offset_s

log = logging.getLogger(__name__)


class WebWatcher(Watcher):
    """When a browser has focus, sends its current tab to ``aw-watcher-web-{browser}_{host}``."""

    name = "web"
    client = f"{CLIENT_PREFIX}-web"

    def __init__(
        self,
        sink: Sink,
        window_probe: WindowProbe,
        history: BrowserHistoryProbe,
        *,
        hostname: str,
        privacy: PrivacyFilter | None = None,
        poll_interval_s: float = 2.0,
        pulsetime_s: float = WEB_PULSETIME_S,
        clock: Clock | None = None,
        on_status: StatusCallback | None = None,
    ) -> None:
        super().__init__(sink, poll_interval_s=poll_interval_s, clock=clock, on_status=on_status)
        self.window_probe = window_probe
        self.history = history
        self.hostname = hostname
        self.privacy = privacy or PrivacyFilter()
        self.pulsetime_s = pulsetime_s
        self._buckets: set[str] = set()

    def setup(self) -> None:
        """Buckets are created per browser on first use."""

    def poll_once(self, now_us: int) -> None:
        if self.privacy.is_paused(now_us):
            self.set_status(WatcherState.PAUSED)
            return
        info = self.window_probe.active_window()
        self.set_status(WatcherState.RUNNING)
        if info is None:
            return
        browser = self.history.browser_for_app(info.app)
        if browser is None:
            return
        tab = self.history.resolve(browser, info.title)
        if tab is None:
            return
        incognito = bool(info.is_private) or tab.incognito
        data = self.privacy.web_data(
            tab.url, tab.title, incognito, {"audible": UNKNOWN, "tabCount": UNKNOWN}
        )
        if data is None:
            return
        bucket = web_bucket(browser, self.hostname)
        if bucket not in self._buckets:
            self.sink.ensure_bucket(bucket, WEB_TYPE, self.client, self.hostname)
            self._buckets.add(bucket)
        event = Event(now_us, now_us, data, tz_offset_s=local_utc_offset_s(now_us))
        self.sink.heartbeat(bucket, event, self.pulsetime_s)
