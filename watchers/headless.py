"""Run the watchers on plain threads (``timelygator watch``, or any non-Qt host).

The GUI hosts the same watcher classes on QThreads; this module is the Qt-free equivalent:
build the watchers from a :class:`WatchersConfig`, supervise each on its own thread until
``stop_event`` is set, then stop them (each within a second) and flush the sink.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from timelygator.core.privacy import PrivacyFilter
from timelygator.core.timeutil import Clock
from timelygator.watchers.afk_watcher import AfkWatcher, ReturnedCallback
from timelygator.watchers.backends import default_idle_probe, default_window_probe
from timelygator.watchers.browser_history import BrowserHistoryResolver
from timelygator.watchers.config import WatchersConfig
from timelygator.watchers.probes import BrowserHistoryProbe, IdleProbe, WindowProbe, close_probe
from timelygator.watchers.sink import Sink
from timelygator.watchers.status import StatusCallback
from timelygator.watchers.supervisor import Supervisor
from timelygator.watchers.watcher import Watcher

log = logging.getLogger(__name__)


@dataclass
class Probes:
    """The probes to use; ``None`` means the real one for this OS (created lazily)."""

    window: WindowProbe | None = None
    idle: IdleProbe | None = None
    browser_history: BrowserHistoryProbe | None = None


@dataclass
class WatcherSet:
    """The watchers built from a config, with their supervisors and the shared privacy filter."""

    privacy: PrivacyFilter
    supervisors: list[Supervisor] = field(default_factory=list)
    #: Probes this set created (not the caller's): closed when the set stops.
    owned_probes: list[object] = field(default_factory=list)

    @property
    def watchers(self) -> list[Watcher]:
        return [s.watcher for s in self.supervisors]

    def start(self) -> None:
        for supervisor in self.supervisors:
            supervisor.start()

    def stop(self, timeout_s: float = 1.0) -> bool:
        """Stop all watchers at once, then wait; True when every thread ended in time.

        The probes this set created are closed afterwards (Wayland and D-Bus connections,
        the KWin script), unless a thread is still inside a probe call: closing waits for
        the probe's lock, and nothing may wait on a stuck thread.
        """
        for supervisor in self.supervisors:
            supervisor.watcher.stop()
        stopped = all([s.stop(timeout_s) for s in self.supervisors])
        if stopped:
            self.close_probes()
        return stopped

    def close_probes(self) -> None:
        probes, self.owned_probes = self.owned_probes, []
        for probe in probes:
            close_probe(probe)


def build_watchers(
    sink: Sink,
    config: WatchersConfig,
    *,
    probes: Probes | None = None,
    privacy: PrivacyFilter | None = None,
    clock: Clock | None = None,
    on_status: StatusCallback | None = None,
    on_returned: ReturnedCallback | None = None,
) -> WatcherSet:
    """Create (not start) the enabled watchers. The app calls this with a CallbackSink."""
    probes = probes or Probes()
    privacy = privacy or PrivacyFilter(config.privacy)
    result = WatcherSet(privacy)
    window_probe = probes.window
    if window_probe is None and (config.window.enabled or config.web.enabled):
        window_probe = default_window_probe()
        result.owned_probes.append(window_probe)
    history = probes.browser_history
    if history is None and (config.web.enabled or config.window.resolve_browser_urls):
        history = BrowserHistoryResolver(refresh_s=config.web.history_refresh_s)

    if config.window.enabled and window_probe is not None:
        from timelygator.watchers.window_watcher import WindowWatcher

        window = WindowWatcher(
            sink,
            window_probe,
            hostname=config.hostname,
            privacy=privacy,
            browser_history=history if config.window.resolve_browser_urls else None,
            poll_interval_s=config.window.poll_s,
            clock=clock,
            on_status=on_status,
        )
        result.supervisors.append(Supervisor(window))
    if config.afk.enabled:
        idle = probes.idle
        if idle is None:
            idle = default_idle_probe()
            result.owned_probes.append(idle)
        afk = AfkWatcher(
            sink,
            idle,
            hostname=config.hostname,
            timeout_s=config.afk.timeout_s,
            poll_interval_s=config.afk.poll_s,
            returned_threshold_s=config.afk.returned_threshold_s,
            on_returned=on_returned,
            privacy=privacy,
            clock=clock,
            on_status=on_status,
        )
        result.supervisors.append(Supervisor(afk))
    if config.web.enabled and window_probe is not None and history is not None:
        from timelygator.watchers.web_watcher import WebWatcher

        web = WebWatcher(
            sink,
            window_probe,
            history,
            hostname=config.hostname,
            privacy=privacy,
            poll_interval_s=config.web.poll_s,
            pulsetime_s=config.web.pulsetime_s,
            clock=clock,
            on_status=on_status,
        )
        result.supervisors.append(Supervisor(web))
    return result


def run_headless(
    sink: Sink,
    config: WatchersConfig,
    stop_event: threading.Event,
    *,
    probes: Probes | None = None,
    clock: Clock | None = None,
    on_status: StatusCallback | None = None,
) -> None:
    """Run the enabled watchers until ``stop_event`` is set; then stop them and flush.

    The caller owns ``sink`` and closes it afterwards.
    """
    watchers = build_watchers(sink, config, probes=probes, clock=clock, on_status=on_status)
    names = ", ".join(s.name for s in watchers.supervisors) or "none"
    log.info("starting watchers: %s", names)
    watchers.start()
    try:
        stop_event.wait()
    finally:
        if not watchers.stop(timeout_s=1.0):
            log.warning("a watcher did not stop within a second")
        try:
            sink.flush()
        except Exception:
            log.exception("flushing the sink failed")
