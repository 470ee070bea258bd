from __future__ import annotations

import threading

from timelygator.watchers.afk_watcher import AfkWatcher
from timelygator.watchers.probes import ProbeUnsupported
from timelygator.watchers.status import WatcherState, WatcherStatus
from timelygator.watchers.supervisor import Supervisor
from timelygator.watchers.window_watcher import WindowWatcher

from tests.watchers.fakes import FakeIdleProbe, FakeWindowProbe, RecordingSink


def test_crashing_probe_is_restarted_with_exponential_backoff() -> None:
    probe = FakeWindowProbe()
    probe.error = RuntimeError("X connection lost")
    sink = RecordingSink()
    statuses: list[WatcherStatus] = []
    watcher = WindowWatcher(
        sink, probe, hostname="h", poll_interval_s=0.05, on_status=lambda n, s: statuses.append(s)
    )
    delays: list[float] = []
    third_failure = threading.Event()

    def on_restart(attempt: int, delay: float, exc: BaseException) -> None:
        delays.append(delay)
        if attempt == 3:
            probe.error = None  # the probe recovers
            third_failure.set()

    supervisor = Supervisor(watcher, initial_backoff_s=0.01, on_restart=on_restart)
    supervisor.start()
    try:
        assert third_failure.wait(5)
        assert sink.got_heartbeat.wait(5)
    finally:
        assert supervisor.stop()
    assert delays == [0.01, 0.02, 0.04]
    assert supervisor.restarts == 3
    assert WatcherStatus(WatcherState.ERROR, "RuntimeError: X connection lost") in statuses
    assert WatcherState.RUNNING in [s.state for s in statuses]
    assert watcher.status.state is WatcherState.STOPPED
    assert sink.heartbeats[0].data == {"app": "code", "title": "main.py - editor"}


def test_backoff_is_capped() -> None:
    probe = FakeWindowProbe()
    probe.error = OSError("boom")
    watcher = WindowWatcher(RecordingSink(), probe, hostname="h")
    delays: list[float] = []
    done = threading.Event()

    def on_restart(attempt: int, delay: float, exc: BaseException) -> None:
        delays.append(delay)
        if attempt == 6:
            done.set()
            watcher.stop()

    supervisor = Supervisor(
        watcher, initial_backoff_s=0.001, max_backoff_s=0.004, on_restart=on_restart
    )
    supervisor.start()
    assert done.wait(5)
    assert supervisor.stop()
    assert delays == [0.001, 0.002, 0.004, 0.004, 0.004, 0.004]


def test_unsupported_probe_reports_reason_and_keeps_waiting() -> None:
    probe = FakeWindowProbe()
    probe.error = ProbeUnsupported("unsupported: install x11-xserver-utils")
    seen = threading.Event()
    statuses: list[WatcherStatus] = []

    def on_status(name: str, status: WatcherStatus) -> None:
        statuses.append(status)
        if status.state is WatcherState.UNSUPPORTED:
            seen.set()

    watcher = WindowWatcher(RecordingSink(), probe, hostname="h", on_status=on_status)
    supervisor = Supervisor(watcher)
    supervisor.start()
    assert seen.wait(5)
    assert supervisor.stop(timeout_s=10)  # True: its thread ended
    assert supervisor.restarts == 0
    assert WatcherStatus(WatcherState.UNSUPPORTED, "unsupported: install x11-xserver-utils") in (
        statuses
    )


def test_stop_does_not_wait_for_the_next_poll() -> None:
    """The loop waits on an Event: stopping wakes it, whatever the poll interval (an hour
    here; the stop's generous 10 s bound is far below it, and no timing is asserted)."""
    sink = RecordingSink()
    window = WindowWatcher(sink, FakeWindowProbe(), hostname="h", poll_interval_s=3600)
    afk_sink = RecordingSink()
    afk = AfkWatcher(afk_sink, FakeIdleProbe(), hostname="h", timeout_s=7200, poll_interval_s=3600)
    supervisors = [Supervisor(window), Supervisor(afk)]
    for s in supervisors:
        s.start()
    assert sink.got_heartbeat.wait(5)
    assert afk_sink.got_heartbeat.wait(5)
    assert all(s.stop(timeout_s=10) for s in supervisors)
    assert window.status.state is WatcherState.STOPPED
