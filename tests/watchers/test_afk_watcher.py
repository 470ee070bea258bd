from __future__ import annotations

from timelygator.core.privacy import PrivacyFilter
from timelygator.core.timeutil import US_PER_S
from timelygator.watchers.afk_watcher import AfkWatcher

from tests.watchers.fakes import T0, FakeClock, FakeIdleProbe, RecordingSink

BUCKET = "aw-watcher-afk_host1"
AFK = {"status": "afk"}
NOT_AFK = {"status": "not-afk"}


def secs(us: int) -> int:
    """Whole seconds after T0."""
    return (us - T0) // US_PER_S


class Scenario:
    """Polls every 5 s; the user's inputs happen at the given seconds."""

    def __init__(self, threshold_s: float = 300.0, privacy: PrivacyFilter | None = None) -> None:
        self.clock = FakeClock()
        self.probe = FakeIdleProbe()
        self.sink = RecordingSink()
        self.returned: list[tuple[int, int]] = []
        self.watcher = AfkWatcher(
            self.sink,
            self.probe,
            hostname="host1",
            timeout_s=180,
            poll_interval_s=5,
            returned_threshold_s=threshold_s,
            on_returned=lambda a, b: self.returned.append((secs(a), secs(b))),
            privacy=privacy,
            clock=self.clock,
        )
        self.watcher.ensure_setup()
        self.by_time: dict[int, list[tuple[int, int, str]]] = {}

    def run(self, until_s: int, inputs: set[int], start_s: int = 0, step_s: int = 5) -> None:
        last_input = max([i for i in inputs if i <= start_s], default=start_s)
        for t in range(start_s, until_s + 1, step_s):
            if t in inputs:
                last_input = t
            self.clock.us = T0 + t * US_PER_S
            self.probe.idle_s = t - last_input
            before = len(self.sink.heartbeats)
            self.watcher.poll_once(self.clock.now_us())
            self.by_time[t] = [
                (secs(h.start_us), (h.end_us - h.start_us) // US_PER_S, h.data["status"])
                for h in self.sink.heartbeats[before:]
            ]


def test_bucket_and_pulsetime() -> None:
    s = Scenario()
    assert s.sink.buckets == [(BUCKET, "afkstatus", "timelygator-watcher-afk", "host1")]
    s.run(0, {0})
    assert s.sink.heartbeats[0].bucket == BUCKET
    assert s.sink.heartbeats[0].pulsetime_s == 185.0


def test_becoming_afk_is_backdated_to_last_input_and_return_is_reported() -> None:
    s = Scenario(threshold_s=300)
    s.run(400, {0, 10, 400})
    assert s.by_time[0] == [(0, 0, "not-afk")]
    assert s.by_time[5] == [(0, 0, "not-afk")]
    assert s.by_time[10] == [(10, 0, "not-afk")]
    assert s.by_time[185] == [(10, 0, "not-afk")]  # idle 175 s < 180 s
    # idle reaches 180 s: not-afk ends at the last input, afk starts there (backdated)
    assert s.by_time[190] == [(10, 0, "not-afk"), (10, 180, "afk")]
    assert s.by_time[195] == [(10, 185, "afk")]
    assert s.by_time[395] == [(10, 385, "afk")]
    # input at 400: afk extends to it, not-afk starts there
    assert s.by_time[400] == [(400, 0, "afk"), (400, 0, "not-afk")]
    assert s.returned == [(10, 400)]
    assert s.watcher.is_afk is False


def test_short_absence_does_not_ask() -> None:
    s = Scenario(threshold_s=600)
    s.run(400, {0, 10, 400})
    assert s.returned == []


def test_first_poll_while_idle_starts_afk_at_last_input() -> None:
    s = Scenario()
    s.clock.us = T0 + 1000 * US_PER_S
    s.probe.idle_s = 600
    s.watcher.poll_once(s.clock.now_us())
    assert s.sink.simple() == [(BUCKET, 400, 600, AFK, 185.0)]


def test_long_gap_between_polls_counts_as_away() -> None:
    # The machine slept from t=20 to t=3620; input again at 3619 (on wake-up).
    s = Scenario(threshold_s=300)
    s.run(20, {0})
    s.run(3620, {3619}, start_s=3620)
    assert s.by_time[3620] == [
        (20, 0, "not-afk"),
        (20, 3599, "afk"),
        (3619, 0, "afk"),
        (3619, 0, "not-afk"),
    ]
    assert s.returned == [(20, 3619)]


def test_paused_sends_nothing_and_restarts_fresh() -> None:
    privacy = PrivacyFilter()
    s = Scenario(privacy=privacy)
    s.run(10, {0})
    privacy.pause(s.clock.now_us())
    s.run(1000, set(), start_s=15)
    assert all(not v for t, v in s.by_time.items() if 15 <= t <= 1000)
    privacy.resume()
    s.run(1005, {1005}, start_s=1005)
    assert s.by_time[1005] == [(1005, 0, "not-afk")]
    assert s.returned == []


def test_millisecond_jitter_never_moves_event_starts_backwards() -> None:
    # Idle is reported in ms against our clock: now - idle wobbles by a millisecond or so.
    s = Scenario()
    jitter = [0, 1, -1, 2, -2, 0, 1]
    for i, j in enumerate(jitter):
        s.clock.us = T0 + (5 * i) * US_PER_S
        s.probe.idle_s = 5 * i + j / 1000  # input at T0 (+-jitter), then nothing
        s.watcher.poll_once(s.clock.now_us())
    starts = [h.start_us for h in s.sink.heartbeats]
    assert starts == sorted(starts)
    assert starts[0] == T0  # the first observation wins
    assert {h.data["status"] for h in s.sink.heartbeats} == {"not-afk"}
