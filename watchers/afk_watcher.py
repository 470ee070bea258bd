"""The AFK watcher: ``afk`` / ``not-afk`` from the time since the last input.

Follows ActivityWatch's aw-watcher-afk: becoming AFK is backdated to the last input (the
user left then, not when the timeout expired), and the ``not-afk`` event stops at that same
moment, so the two never overlap. Coming back after a long absence calls ``on_returned`` so
the app can ask what the away time was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from timelygator.core.event import Event
from timelygator.core.privacy import PrivacyFilter
from timelygator.core.timeutil import US_PER_S, Clock
from timelygator.watchers.config import AFK_TYPE, CLIENT_PREFIX, afk_bucket
from timelygator.watchers.probes import IdleProbe, backend_of
from timelygator.watchers.sink import Sink
from timelygator.watchers.status import StatusCallback, WatcherState
from timelygator.watchers.watcher import Watcher, local_utc_offset_s

log = logging.getLogger(__name__)

# on_returned(away_start_us, away_end_us), called on the watcher's thread.
ReturnedCallback = Callable[[int, int], None]


class AfkWatcher(Watcher):
    name = "afk"
    client = f"{CLIENT_PREFIX}-afk"

    def __init__(
        self,
        sink: Sink,
        probe: IdleProbe,
        *,
        hostname: str,
        timeout_s: float = 180.0,
        poll_interval_s: float = 5.0,
        returned_threshold_s: float = 600.0,
        on_returned: ReturnedCallback | None = None,
        privacy: PrivacyFilter | None = None,
        clock: Clock | None = None,
        on_status: StatusCallback | None = None,
    ) -> None:
        super().__init__(sink, poll_interval_s=poll_interval_s, clock=clock, on_status=on_status)
        if timeout_s < poll_interval_s:
            raise ValueError("the AFK timeout must be at least the poll interval")
        self.probe = probe
        self.hostname = hostname
        self.timeout_us = round(timeout_s * US_PER_S)
        self.returned_threshold_us = round(returned_threshold_s * US_PER_S)
        self.on_returned = on_returned
        self.privacy = privacy or PrivacyFilter()
        self.bucket = afk_bucket(hostname)
        self.pulsetime_s = timeout_s + poll_interval_s
        self._pulsetime_us = round(self.pulsetime_s * US_PER_S)
        self._afk: bool | None = None  # None: no observation yet
        self._afk_since_us = 0
        self._last_poll_us: int | None = None
        self._last_input_us: int | None = None

    @property
    def is_afk(self) -> bool | None:
        return self._afk

    def setup(self) -> None:
        self.sink.ensure_bucket(self.bucket, AFK_TYPE, self.client, self.hostname)

    def _ping(self, afk: bool, start_us: int, duration_us: int = 0) -> None:
        data = {"status": "afk" if afk else "not-afk"}
        event = Event(
            start_us, start_us + duration_us, data, tz_offset_s=local_utc_offset_s(start_us)
        )
        self.sink.heartbeat(self.bucket, event, self.pulsetime_s)

    def poll_once(self, now_us: int) -> None:
        if self.privacy.is_paused(now_us):
            self.set_status(WatcherState.PAUSED)
            self._afk = None  # start afresh after the pause; nothing is backdated into it
            self._last_poll_us = None
            self._last_input_us = None
            return
        idle_s = max(0.0, float(self.probe.seconds_since_input()))
        self.set_status(WatcherState.RUNNING, backend_of(self.probe))
        idle_us = round(idle_s * US_PER_S)
        last_input_us = now_us - idle_us
        previous_input_us = self._last_input_us
        if previous_input_us is not None and (
            previous_input_us - US_PER_S < last_input_us < previous_input_us
        ):
            # Rounding jitter (idle is reported in ms against our clock): the last input
            # never moves back, and a heartbeat starting before the stored event's start
            # would not merge into it.
            last_input_us = previous_input_us
        self._last_input_us = last_input_us
        previous_poll_us, self._last_poll_us = self._last_poll_us, now_us

        if (
            self._afk is False
            and previous_poll_us is not None
            and now_us - previous_poll_us > self._pulsetime_us
        ):
            # No poll for longer than the pulsetime: the machine slept (or this process was
            # stopped). The user was away from the last poll on.
            self._ping(False, previous_poll_us)
            self._afk = True
            self._afk_since_us = previous_poll_us
            back_us = max(previous_poll_us, min(last_input_us, now_us))
            self._ping(True, previous_poll_us, back_us - previous_poll_us)

        was_afk = self._afk
        is_idle = idle_us >= self.timeout_us
        if was_afk is None:
            self._afk = is_idle
            if is_idle:
                self._afk_since_us = last_input_us
                self._ping(True, last_input_us, idle_us)
            else:
                self._ping(False, last_input_us)
        elif was_afk and not is_idle:
            # Back: the absence ended at the last input.
            self._ping(True, last_input_us)
            self._afk = False
            self._ping(False, last_input_us)
            self._returned(self._afk_since_us, last_input_us)
        elif not was_afk and is_idle:
            # Away: backdate to the last input.
            self._ping(False, last_input_us)
            self._afk = True
            self._afk_since_us = last_input_us
            self._ping(True, last_input_us, idle_us)
        elif was_afk:
            self._ping(True, self._afk_since_us, now_us - self._afk_since_us)
        else:
            self._ping(False, last_input_us)

    def _returned(self, away_start_us: int, away_end_us: int) -> None:
        if self.on_returned is None or away_end_us - away_start_us < self.returned_threshold_us:
            return
        try:
            self.on_returned(away_start_us, away_end_us)
        except Exception:
            log.exception("on_returned callback failed")
