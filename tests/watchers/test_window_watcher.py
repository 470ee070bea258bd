from __future__ import annotations

from timelygator.core.privacy import PrivacyConfig, PrivacyFilter
from timelygator.watchers.status import WatcherState
from timelygator.watchers.web_watcher import WebWatcher
from timelygator.watchers.window_watcher import WindowWatcher

from tests.watchers.fakes import FakeClock, FakeHistory, FakeWindowProbe, RecordingSink

BUCKET = "aw-watcher-window_host1"


def make(probe: FakeWindowProbe, **kwargs: object) -> tuple[WindowWatcher, RecordingSink]:
    sink = RecordingSink()
    watcher = WindowWatcher(sink, probe, hostname="host1", **kwargs)  # type: ignore[arg-type]
    return watcher, sink


def test_creates_bucket_and_sends_one_heartbeat_per_poll() -> None:
    probe = FakeWindowProbe("code", "main.py")
    clock = FakeClock()
    watcher, sink = make(probe, clock=clock)
    watcher.ensure_setup()
    assert sink.buckets == [(BUCKET, "currentwindow", "timelygator-watcher-window", "host1")]
    for step in range(3):
        if step == 2:
            probe.set("firefox", "Docs — Mozilla Firefox")
        watcher.poll_once(clock.now_us())
        clock.advance(1)
    assert sink.simple() == [
        (BUCKET, 0, 0, {"app": "code", "title": "main.py"}, 2.0),
        (BUCKET, 1, 0, {"app": "code", "title": "main.py"}, 2.0),
        (BUCKET, 2, 0, {"app": "firefox", "title": "Docs — Mozilla Firefox"}, 2.0),
    ]
    assert watcher.status.state is WatcherState.RUNNING


def test_pulsetime_is_poll_plus_one_second() -> None:
    watcher, _ = make(FakeWindowProbe(), poll_interval_s=5.0)
    assert watcher.pulsetime_s == 6.0


def test_no_focused_window_sends_nothing() -> None:
    probe = FakeWindowProbe()
    probe.info = None
    watcher, sink = make(probe)
    watcher.poll_once(FakeClock().now_us())
    assert sink.heartbeats == []


def test_browser_window_gets_url_from_history() -> None:
    probe = FakeWindowProbe("chrome", "Pull requests - Google Chrome")
    history = FakeHistory({"Pull requests": "https://github.com/pulls"})
    watcher, sink = make(probe, browser_history=history)
    watcher.poll_once(FakeClock().now_us())
    assert sink.heartbeats[0].data == {
        "app": "chrome",
        "title": "Pull requests - Google Chrome",
        "url": "https://github.com/pulls",
    }


def test_web_watcher_records_extension_keys_in_browser_bucket() -> None:
    probe = FakeWindowProbe("chrome", "Pull requests - Google Chrome")
    history = FakeHistory({"Pull requests": "https://github.com/pulls"})
    sink = RecordingSink()
    clock = FakeClock()
    web = WebWatcher(sink, probe, history, hostname="host1", clock=clock)
    web.poll_once(clock.now_us())
    probe.set("code", "main.py")  # not a browser: nothing
    web.poll_once(clock.advance(2))
    assert sink.buckets == [
        ("aw-watcher-web-chrome_host1", "web.tab.current", "timelygator-watcher-web", "host1")
    ]
    assert sink.simple() == [
        (
            "aw-watcher-web-chrome_host1",
            0,
            0,
            {
                "url": "https://github.com/pulls",
                "title": "Pull requests",
                "audible": "unknown",
                "incognito": False,
                "tabCount": "unknown",
            },
            80.0,
        )
    ]


def test_privacy_applies_before_the_sink() -> None:
    probe = FakeWindowProbe("keepassxc", "Passwords.kdbx")
    privacy = PrivacyFilter(PrivacyConfig(excluded_apps=("KeePass*",)))
    watcher, sink = make(probe, privacy=privacy)
    clock = FakeClock()
    watcher.poll_once(clock.now_us())
    assert sink.heartbeats == []
    probe.set("chrome", "Secret - Google Chrome", is_private=True)
    watcher.poll_once(clock.advance(1))
    assert sink.heartbeats == []


def test_pause_and_resume() -> None:
    probe = FakeWindowProbe("code", "a.py")
    privacy = PrivacyFilter()
    clock = FakeClock()
    statuses: list[str] = []
    watcher, sink = make(
        probe, privacy=privacy, clock=clock, on_status=lambda n, s: statuses.append(str(s))
    )
    privacy.pause(clock.now_us(), duration_s=10)
    watcher.poll_once(clock.now_us())
    watcher.poll_once(clock.advance(5))
    assert sink.heartbeats == []
    watcher.poll_once(clock.advance(5))  # the 10 s pause is over
    assert len(sink.heartbeats) == 1
    privacy.pause(clock.now_us())  # until resumed
    watcher.poll_once(clock.advance(3600))
    assert len(sink.heartbeats) == 1
    privacy.resume()
    watcher.poll_once(clock.advance(1))
    assert len(sink.heartbeats) == 2
    assert statuses == ["paused", "running", "paused", "running"]
