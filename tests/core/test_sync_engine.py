"""The sync engine against a real API server (in this process, on a free port): two devices
push to one server and pull each other's buckets; what leaves a device follows its privacy
settings; re-sending changes nothing; edits and new rules reach the server and the other
device; errors say what to do and never show the token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from timelygator.core import tokens
from timelygator.core.api import ApiConfig, ApiServer
from timelygator.core.errors import SyncError
from timelygator.core.event import Event
from timelygator.core.sync.protocol import SYNC_KEY, device_suffix
from timelygator.core.sync.state import load_state

from tests.helpers.sync import (
    DAY_US,
    MINUTE_US,
    Device,
    FailingTransport,
    Server,
    afk_bucket,
    ids_of,
    window_bucket,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    made = Server(tmp_path)
    yield made
    made.close()


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Device]:
    device = Device.open(tmp_path, "laptop")
    yield device
    device.close()


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Device]:
    device = Device.open(tmp_path, "desktop")
    yield device
    device.close()


def test_two_devices_end_up_with_every_event_once_everywhere(
    server: Server, laptop: Device, desktop: Device
) -> None:
    laptop.window(0, 10, "editor", "main.py")
    laptop.window(10, 5, "mail", "Inbox")
    laptop.away(0, 15, "not-afk")
    desktop.window(30, 20, "browser", "News")
    desktop.away(30, 20, "not-afk")
    sync_laptop = laptop.engine(server.url, server.token)
    sync_desktop = desktop.engine(server.url, server.token)

    first = sync_laptop.sync_once()
    assert first.pending == 0 and first.pulled == {}
    sync_desktop.sync_once()
    sync_laptop.sync_once()  # now the desktop's buckets are there to pull

    # The server holds each device's events once, under ids of that device.
    laptop_id, desktop_id = sync_laptop.device_id, sync_desktop.device_id
    assert {r[0] for r in server.rows()} == {
        window_bucket("laptop") + device_suffix(laptop_id),
        afk_bucket("laptop") + device_suffix(laptop_id),
        window_bucket("desktop") + device_suffix(desktop_id),
        afk_bucket("desktop") + device_suffix(desktop_id),
    }
    assert len(server.rows()) == 5
    # Each device sees both: its own buckets and the other's copies, with both hosts.
    for device in (laptop, desktop):
        assert device.hosts() == {"laptop", "desktop"}
        assert len(device.rows()) == 5
        assert sorted(r[1:] for r in device.rows()) == sorted(r[1:] for r in server.rows())
    copy = next(b for b in laptop.services.buckets() if b.hostname == "desktop")
    assert copy.data[SYNC_KEY]["pulled"] is True and copy.data[SYNC_KEY]["device"] == desktop_id

    # Syncing again changes nothing anywhere, and nothing is pushed back.
    before = (ids_of(server.services), ids_of(laptop.services), ids_of(desktop.services))
    for engine in (sync_laptop, sync_desktop, sync_laptop):
        report = engine.sync_once()
        assert sum(c.changed for c in [*report.pushed.values(), *report.pulled.values()]) == 0
    assert (ids_of(server.services), ids_of(laptop.services), ids_of(desktop.services)) == before


def test_excluded_apps_and_redacted_titles_never_reach_the_server(
    server: Server, laptop: Device, desktop: Device
) -> None:
    laptop.privacy(excluded_apps=["keepass*"], title_redactions=[r"\d{4}-\d{4}"])
    laptop.window(0, 2, "KeePassXC", "bank passwords")
    laptop.window(2, 3, "browser", "Card 1234-5678 - Bank")
    laptop.window(5, 1, "editor", "notes.md")
    report = laptop.engine(server.url, server.token).sync_once()
    assert report.withheld == 1
    text = server.text()
    assert "KeePass" not in text and "bank passwords" not in text and "1234-5678" not in text
    titles = sorted(json.loads(r[4])["title"] for r in server.rows())
    assert titles == ["Card [redacted] - Bank", "notes.md"]
    # The laptop keeps its own record as it was.
    assert "1234-5678" in json.dumps(laptop.rows())
    desktop.engine(server.url, server.token).sync_once()
    assert "1234-5678" not in json.dumps(desktop.rows())


def test_a_new_privacy_rule_takes_back_what_it_excludes(
    server: Server, laptop: Device, desktop: Device
) -> None:
    laptop.window(0, 2, "chat", "Private talk")
    laptop.window(2, 3, "editor", "main.py")
    sync_laptop = laptop.engine(server.url, server.token)
    sync_desktop = desktop.engine(server.url, server.token)
    sync_laptop.sync_once()
    sync_desktop.sync_once()
    assert "Private talk" in json.dumps(desktop.rows())
    laptop.privacy(excluded_apps=["chat"])
    report = sync_laptop.sync_once()
    assert sum(c.deleted for c in report.pushed.values()) == 1
    assert "Private talk" not in server.text() and "main.py" in server.text()
    sync_desktop.sync_once()  # the rewrite's new epoch: pulled again from the beginning
    assert "Private talk" not in json.dumps(desktop.rows())
    assert "main.py" in json.dumps(desktop.rows())


def test_a_growing_last_event_is_updated_on_the_server_and_the_other_device(
    server: Server, laptop: Device, desktop: Device
) -> None:
    bucket = window_bucket("laptop")
    start = DAY_US
    laptop.heartbeat(bucket, Event(start, start, {"app": "editor", "title": "a"}), 2)
    sync_laptop = laptop.engine(server.url, server.token)
    sync_desktop = desktop.engine(server.url, server.token)
    sync_laptop.sync_once()
    sync_desktop.sync_once()
    ids = ids_of(server.services)
    for second in range(1, 4):
        now = start + second * 1_000_000
        laptop.heartbeat(bucket, Event(now, now, {"app": "editor", "title": "a"}), 2)
    sync_laptop.sync_once()
    sync_desktop.sync_once()
    grown = ids_of(server.services)
    assert [row[:3] for row in grown] == [row[:3] for row in ids]  # same event, same id
    assert [row[3] for row in grown] == [start + 3_000_000]  # its new end
    pulled = [r for r in desktop.rows() if r[0].startswith(bucket)]
    assert [(r[1], r[2]) for r in pulled] == [(start, start + 3_000_000)]


def test_an_edit_behind_the_watermark_reaches_the_server_and_the_other_device(
    server: Server, laptop: Device, desktop: Device
) -> None:
    old = laptop.window(0, 10, "editor", "draft.md")
    laptop.window(10, 5, "mail", "Inbox")
    sync_laptop = laptop.engine(server.url, server.token, watch=True)
    sync_desktop = desktop.engine(server.url, server.token)
    sync_laptop.sync_once()
    sync_desktop.sync_once()
    edited = Event(old.start_us, old.end_us, {"app": "editor", "title": "final.md"}, old.id, 7200)
    laptop.insert(window_bucket("laptop"), [edited])
    laptop.services.writer.flush()
    sync_laptop.sync_once()
    assert "final.md" in server.text() and "draft.md" not in server.text()
    sync_desktop.sync_once()
    assert "final.md" in json.dumps(desktop.rows()) and "draft.md" not in json.dumps(desktop.rows())


def test_events_added_behind_the_sync_are_sent_at_the_next_session(
    server: Server, laptop: Device
) -> None:
    laptop.window(30, 5, "editor", "late.md")
    laptop.engine(server.url, server.token).sync_once()
    # An import of older history, while no sync was watching.
    laptop.window(0, 5, "terminal", "old history")
    laptop.engine(server.url, server.token).sync_once()
    assert "old history" in server.text()
    assert len(server.rows()) == 2


def test_retention_on_this_computer_leaves_the_server_alone(server: Server, laptop: Device) -> None:
    laptop.window(0, 5, "editor", "old.md")
    laptop.window(600, 5, "editor", "new.md")
    engine = laptop.engine(server.url, server.token, watch=True)
    engine.sync_once()
    assert laptop.services.writer.purge_before(DAY_US + 60 * MINUTE_US).result(10) == 1
    engine.sync_once()  # heard the purge: counts again
    report = laptop.engine(server.url, server.token).sync_once()  # the next session
    assert sum(c.inserted + c.updated + c.deleted for c in report.pushed.values()) == 0
    assert "old.md" in server.text() and "new.md" in server.text()


def test_an_interrupted_sync_resumes_and_stores_nothing_twice(
    server: Server, laptop: Device
) -> None:
    for minute in range(12):
        laptop.window(minute, 1, "app", f"window {minute}")
    # Push 1 is the (empty) away bucket, 2 the first page of three windows. Push 3 never
    # arrives; push 5 is stored but its answer is lost.
    broken = FailingTransport(before={3}, after={5})
    engine = laptop.engine(server.url, server.token, page_size=3, transport=broken)
    with pytest.raises(SyncError, match="cannot be reached"):
        engine.sync_once()
    with laptop.services.read() as conn:
        state = load_state(conn, laptop.services.user_id)
    assert state.push[window_bucket("laptop")].since_us == DAY_US + 3 * MINUTE_US
    assert len(server.rows()) == 3  # the first page, acknowledged
    with pytest.raises(SyncError, match="cannot be reached"):
        engine.sync_once()
    assert len(server.rows()) == 9  # page 4 (events 7-9) arrived, unacknowledged
    engine.sync_once()
    assert broken.failed == [3, 5]
    expected = sorted(r[1:] for r in laptop.rows())
    assert sorted(r[1:] for r in server.rows()) == expected  # each event once


def test_large_events_travel_in_requests_the_server_takes(server: Server, laptop: Device) -> None:
    """60 events of 200 KB (12 MB) cannot go in one request (the server takes 8 MB)."""
    big = "x" * 200_000
    for minute in range(60):
        laptop.window(minute, 1, "editor", f"{minute} {big}")
    report = laptop.engine(server.url, server.token).sync_once()
    assert sum(c.inserted for c in report.pushed.values()) == 60
    assert sorted(r[1:] for r in server.rows()) == sorted(r[1:] for r in laptop.rows())


def test_hostnames_two_devices_share_are_told_apart(server: Server, tmp_path: Path) -> None:
    first, second = Device.open(tmp_path / "a", "laptop"), Device.open(tmp_path / "b", "laptop")
    try:
        first.window(0, 1, "editor", "a")
        second.window(5, 1, "editor", "b")
        one = first.engine(server.url, server.token)
        two = second.engine(server.url, server.token)
        one.sync_once()
        two.sync_once()
        one.sync_once()
        short = device_suffix(two.device_id)[1:9]
        assert first.hosts() == {"laptop", f"laptop ({short})"}
    finally:
        first.close()
        second.close()


def test_a_refused_token_is_a_clear_error_without_the_token(server: Server, laptop: Device) -> None:
    laptop.window(0, 1, "editor", "a")
    wrong = "tg_wrongwrongwrongwrongwrong"
    with pytest.raises(SyncError) as caught:
        laptop.engine(server.url, wrong).sync_once()
    text = str(caught.value)
    assert "refused the token" in text and "Settings → Sync" in text
    assert wrong not in text and wrong not in repr(caught.value.details)
    assert not caught.value.retry
    assert server.rows() == []


def test_an_unreachable_server_and_a_wrong_address_are_clear_errors(
    server: Server, laptop: Device
) -> None:
    with pytest.raises(SyncError, match="is not a TimelyGator server that syncs"):
        laptop.engine(server.url + "/not-here", server.token).sync_once()
    server.api.stop()
    with pytest.raises(SyncError, match="cannot be reached") as caught:
        laptop.engine(server.url, server.token).sync_once()
    assert caught.value.retry and server.token not in str(caught.value)


def test_syncing_with_itself_is_refused(laptop: Device) -> None:
    token = tokens.create(laptop.services.writer, 1, "write", "self").result().secret
    api = ApiServer(laptop.services, ApiConfig(port=0, hostname="laptop", freeze_heap=False))
    api.start()
    try:
        with pytest.raises(SyncError, match="this computer's own TimelyGator"):
            laptop.engine(api.url, token).sync_once()
    finally:
        api.stop()
