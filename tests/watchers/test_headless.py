from __future__ import annotations

import threading

from timelygator.watchers.config import AfkWatcherConfig, WatchersConfig, WindowWatcherConfig
from timelygator.watchers.headless import Probes, build_watchers, run_headless
from timelygator.watchers.sink import CallbackSink

from tests.watchers.fakes import FakeHistory, FakeIdleProbe, FakeWindowProbe, RecordingSink


def test_run_headless_until_stop_event() -> None:
    sink = RecordingSink()
    config = WatchersConfig(
        hostname="box",
        window=WindowWatcherConfig(poll_s=0.05),
        afk=AfkWatcherConfig(poll_s=0.05, timeout_s=60),
    )
    probes = Probes(
        window=FakeWindowProbe("chrome", "Pull requests - Google Chrome"),
        idle=FakeIdleProbe(0),
        browser_history=FakeHistory({"Pull requests": "https://github.com/pulls"}),
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=run_headless, args=(sink, config, stop), kwargs={"probes": probes}
    )
    thread.start()
    buckets = {"aw-watcher-window_box", "aw-watcher-afk_box", "aw-watcher-web-chrome_box"}
    sink.wait_for(lambda h: h.bucket == "aw-watcher-web-chrome_box", timeout_s=10)
    sink.wait_for(lambda h: h.bucket == "aw-watcher-afk_box", timeout_s=10)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()  # stopped, flushed and returned
    assert {b[0] for b in sink.buckets} == buckets
    assert sink.flushed == 1
    window = next(h for h in sink.heartbeats if h.bucket == "aw-watcher-window_box")
    assert window.data["url"] == "https://github.com/pulls"


def test_callback_sink_wires_to_app_callables() -> None:
    created: list[tuple[str, str, str, str]] = []
    beats: list[tuple[str, dict[str, object], float]] = []
    sink = CallbackSink(
        lambda *args: created.append(args),
        lambda bucket, event, pulsetime: beats.append((bucket, event.data, pulsetime)),
    )
    config = WatchersConfig(hostname="box")
    ws = build_watchers(
        sink,
        config,
        probes=Probes(
            window=FakeWindowProbe("code", "x.py"),
            idle=FakeIdleProbe(),
            browser_history=FakeHistory({}),
        ),
    )
    assert [w.name for w in ws.watchers] == ["window", "afk", "web"]
    window = ws.watchers[0]
    window.ensure_setup()
    window.poll_once(1_700_000_000_000_000)
    assert created == [
        ("aw-watcher-window_box", "currentwindow", "timelygator-watcher-window", "box")
    ]
    assert beats == [("aw-watcher-window_box", {"app": "code", "title": "x.py"}, 2.0)]
