"""The single writer: heartbeats, inserts, updates, deletes, group commit, errors."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pytest
from timelygator.core import reader
from timelygator.core.errors import ChangeFailedError, NotFoundError, ValidationError
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services
from timelygator.core.writer import Change

S = 1_000_000
T = 1_700_000_000 * S


def _events(services: Services, bucket: str = "w") -> list[tuple[int, int, dict[str, object]]]:
    return [(e.start_us, e.end_us, e.data) for e in services.events(bucket)]


def test_heartbeats_merge_and_split_as_specified(services: Services) -> None:
    key = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    hb = services.writer.heartbeat
    first = hb(key, Event(T, T + S, {"app": "a"}), 2).result()
    merged = hb(key, Event(T + 2 * S, T + 3 * S, {"app": "a"}), 2).result()
    assert merged.id == first.id and (merged.start_us, merged.end_us) == (T, T + 3 * S)
    other = hb(key, Event(T + 4 * S, T + 4 * S, {"app": "b"}), 2).result()
    assert other.id != first.id
    late = hb(key, Event(T + 10 * S, T + 10 * S, {"app": "b"}), 2).result()
    assert late.id != other.id  # gap 6 s > pulsetime 2 s
    assert _events(services) == [
        (T + 10 * S, T + 10 * S, {"app": "b"}),
        (T + 4 * S, T + 4 * S, {"app": "b"}),
        (T, T + 3 * S, {"app": "a"}),
    ]


def test_cache_is_invalidated_by_insert_update_and_delete(services: Services) -> None:
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    w = services.writer
    last = w.heartbeat(key, Event(T, T + S, {"app": "a"}), 5).result()
    # An insert after the cached last event becomes the new last event.
    w.insert_events(key, [Event(T + 2 * S, T + 3 * S, {"app": "x"})]).result()
    nxt = w.heartbeat(key, Event(T + 3 * S, T + 4 * S, {"app": "a"}), 5).result()
    assert nxt.id != last.id
    # Editing that event's data in place (as editors do) changes what merges.
    w.insert_events(key, [Event(nxt.start_us, nxt.end_us, {"app": "edited"}, id=nxt.id)]).result()
    again = w.heartbeat(key, Event(T + 4 * S, T + 5 * S, {"app": "edited"}), 5).result()
    assert again.id == nxt.id and again.end_us == T + 5 * S
    # Deleting the last event: the next heartbeat merges into the one before, if it may.
    assert nxt.id is not None
    w.delete_events(key, [nxt.id]).result()
    assert all(e.id != nxt.id for e in services.events("w"))
    after = w.heartbeat(key, Event(T + 5 * S, T + 6 * S, {"app": "x"}), 5).result()
    assert after.start_us == T + 2 * S and after.end_us == T + 6 * S


def test_insert_with_id_of_another_bucket_inserts_a_new_event(services: Services) -> None:
    a = services.ensure_bucket("a", type="t", client="c", hostname="h")
    b = services.ensure_bucket("b", type="t", client="c", hostname="h")
    (ev,) = services.writer.insert_events(a, [Event(T, T + S, {"k": 1})]).result()
    (copy,) = services.writer.insert_events(b, [Event(T, T + S, {"k": 2}, id=ev.id)]).result()
    assert copy.id != ev.id
    assert services.events("a")[0].data == {"k": 1}


def test_acknowledged_means_committed_and_visible_to_readers(services: Services) -> None:
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    futures = [
        services.writer.heartbeat(key, Event(T + i * S, T + i * S, {"i": i % 3}), 0)
        for i in range(2000)
    ]
    results = [f.result(10) for f in futures]
    assert len({r.id for r in results}) == 2000
    with services.read() as conn:
        assert reader.count_events(conn, key) == 2000
    assert services.writer.committed_transactions < 2000  # grouped


def test_one_bad_operation_fails_alone(services: Services) -> None:
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    ok1 = services.writer.heartbeat(key, Event(T, T, {"a": 1}), 0)
    bad = services.writer.heartbeat(key + 999, Event(T, T, {"a": 1}), 0)
    ok2 = services.writer.heartbeat(key, Event(T + S, T + S, {"a": 2}), 0)
    assert ok1.result().id is not None and ok2.result().id is not None
    with pytest.raises(NotFoundError):
        bad.result()
    assert len(services.events("w")) == 2


def test_invalid_events_are_refused_before_queueing(services: Services) -> None:
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    with pytest.raises(ValidationError, match="negative"):
        services.writer.insert_events(key, [Event(T + S, T, {})])
    with pytest.raises(ValidationError, match="JSON object"):
        services.writer.heartbeat(key, Event(T, T, ["x"]), 1)  # type: ignore[arg-type]
    assert services.events("w") == []


def test_bucket_lifecycle(services: Services) -> None:
    w = services.writer
    created = w.create_bucket(services.user_id, "x", type="t", client="c", hostname="h").result()
    assert created is not None and created.name == "x"
    assert (
        w.create_bucket(services.user_id, "x", type="t", client="c", hostname="h").result() is None
    )
    w.update_bucket(created.key, {"hostname": "other", "data": {"k": "v"}}).result()
    w.insert_events(created.key, [Event(T, T + S, {})]).result()
    (info,) = services.buckets()
    assert (info.hostname, info.data, info.first_us, info.last_us) == (
        "other",
        {"k": "v"},
        T,
        T + S,
    )
    w.delete_bucket(created.key).result()
    assert services.buckets() == []
    with services.read() as conn:
        assert reader.total_events(conn) == 0


def test_change_listeners_hear_committed_changes(services: Services) -> None:
    heard: list[Change] = []
    done = threading.Event()

    def listener(changes: list[Change]) -> None:
        heard.extend(changes)
        if any(c.kind == "event" for c in changes):
            done.set()

    services.writer.add_change_listener(listener)
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    stored = services.writer.heartbeat(key, Event(T, T, {"a": 1}), 0).result()
    assert done.wait(5)
    assert any(c.kind == "event" and c.event is not None and c.event.id == stored.id for c in heard)


def test_concurrent_producers_lose_nothing(services: Services) -> None:
    keys = [services.ensure_bucket(f"b{i}", type="t", client="c", hostname="h") for i in range(4)]
    errors: list[BaseException] = []

    def produce(key: int) -> None:
        try:
            for i in range(500):
                services.writer.heartbeat(key, Event(T + i * S, T + i * S, {"i": i}), 0).result()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=produce, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with services.read() as conn:
        assert [reader.count_events(conn, k) for k in keys] == [500] * 4


def test_stop_flushes_everything_submitted(dirs: AppDirs) -> None:
    services = Services.open(dirs, "writer tests pass", max_delay=5.0)
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    futures = [
        services.writer.heartbeat(key, Event(T + i * S, T + i * S, {}), 0) for i in range(300)
    ]
    services.close()
    assert all(f.done() and f.exception() is None for f in futures)
    with Services.open(dirs, "writer tests pass") as again:
        assert len(again.events("w")) == 300


def test_unexpected_errors_fail_one_batch_and_the_writer_goes_on(services: Services) -> None:
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    # A bucket name the driver cannot encode (a lone surrogate) fails inside the batch.
    bad = services.writer.create_bucket(
        services.user_id, "bad\ud800name", type="t", client="c", hostname="h"
    )
    with pytest.raises(ChangeFailedError, match="could not be saved"):
        bad.result(10)
    # Event data with a lone surrogate is stored escaped, not lost or crashing.
    odd = services.writer.heartbeat(key, Event(T, T, {"title": "x\udc80y"}), 0).result(10)
    assert odd.id is not None
    assert services.events("w")[0].data == {"title": "x\udc80y"}
    # A caller that gave up (cancelled) does not break the writer either.
    gone = services.writer.heartbeat(key, Event(T + S, T + S, {"a": 1}), 0)
    gone.cancel()
    after = services.writer.heartbeat(key, Event(T + 2 * S, T + 2 * S, {"a": 2}), 0).result(10)
    assert after.id is not None
    assert services.writer.state.value == "running"


def test_inserted_events_are_copied_unless_handed_over(services: Services) -> None:
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    mine = Event(T, T + S, {"app": "a"})
    [copy] = services.writer.insert_events(key, [mine]).result()
    assert mine.id is None and copy is not mine and copy.id is not None
    given = Event(T + 2 * S, T + 3 * S, {"app": "b"})
    [same] = services.writer.insert_events(key, [given], adopt=True).result()
    assert same is given and given.id is not None and given.id != copy.id
    assert [e.id for e in services.events("w")] == [given.id, copy.id]


@pytest.mark.sqlite_only  # SQLite's driver and dynamic typing (a server's column is typed)
def test_events_without_a_utc_offset_are_stored_as_null(services: Services) -> None:
    """None binds as SQL NULL (core.store.bind_none_directly), never as 0 or a text."""
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    w = services.writer
    w.insert_events(
        key,
        [Event(T, T + S, {"app": "a"}), Event(T + 2 * S, T + 3 * S, {"app": "b"}, None, 3600)],
    ).result()
    w.heartbeat(key, Event(T + 5 * S, T + 5 * S, {"app": "c"}), 1).result()
    w.heartbeat(key, Event(T + 6 * S, T + 6 * S, {"app": "d"}, None, -18_000), 1).result()
    with services.store.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT start_us, typeof(tz_offset_s), tz_offset_s FROM events ORDER BY start_us"
        ).all()
    assert [tuple(r) for r in rows] == [
        (T, "null", None),
        (T + 2 * S, "integer", 3600),
        (T + 5 * S, "null", None),
        (T + 6 * S, "integer", -18_000),
    ]
    assert [e.tz_offset_s for e in services.events("w")] == [-18_000, None, 3600, None]


def _hold_writer(services: Services) -> threading.Event:
    """Keep the writer busy until the returned event is set: what is submitted meanwhile
    is applied in one transaction after it."""
    held, release = threading.Event(), threading.Event()

    def hold(_conn: object) -> None:
        held.set()
        release.wait(10)

    services.writer.call(hold)
    assert held.wait(10)
    return release


def test_one_failing_change_fails_alone_and_the_batch_around_it_is_stored(
    services: Services,
) -> None:
    """Any exception in one change of a group commit fails that change only."""
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    writer = services.writer
    before = writer.committed_transactions
    release = _hold_writer(services)
    good: list[Future[Any]] = [
        writer.heartbeat(key, Event(T + i * S, T + i * S, {"n": i}), 0) for i in range(300)
    ]
    bad_bucket = writer.create_bucket(
        services.user_id, "bad\ud800name", type="t", client="c", hostname="h"
    )
    # A data value the JSON codec cannot write (a set) fails while being applied.
    bad_insert = writer.insert_events(key, [Event(T - S, T, {"oops": {1, 2}})])
    good += [writer.insert_events(key, [Event(T + 1000 * S, T + 1001 * S, {"n": "bulk"})])]
    good += [
        writer.heartbeat(key, Event(T + i * S, T + i * S, {"n": i}), 0) for i in range(300, 600)
    ]
    release.set()
    for future in good:
        future.result(10)
    for failed in (bad_bucket, bad_insert):
        with pytest.raises(ChangeFailedError, match="Other changes were saved"):
            failed.result(10)
    stored = services.events("w")
    assert len(stored) == 601
    assert {e.data["n"] for e in stored} == {*range(600), "bulk"}
    assert writer.state.value == "running"
    # Found by halving: a handful of transactions, not one per change.
    assert writer.committed_transactions - before < 40


def test_ids_given_to_adopted_events_are_reset_when_a_batch_is_applied_again(
    services: Services,
) -> None:
    """An adopted event keeps the id its sender gave (None: new), never a rolled-back one."""
    key = services.ensure_bucket("w", type="t", client="c", hostname="h")
    writer = services.writer
    [old] = writer.insert_events(key, [Event(T, T + S, {"v": "old"})]).result(10)
    release = _hold_writer(services)
    first = writer.insert_events(key, [Event(T + 5 * S, T + 6 * S, {"v": "a"})], adopt=True)
    edit = writer.insert_events(key, [Event(T, T + 2 * S, {"v": "edited"}, old.id)], adopt=True)
    bad = writer.insert_events(key, [Event(T - S, T, {"oops": {1}})])
    second = writer.insert_events(key, [Event(T + 7 * S, T + 8 * S, {"v": "b"})], adopt=True)
    release.set()
    with pytest.raises(ChangeFailedError):
        bad.result(10)
    ids = {first.result(10)[0].id, second.result(10)[0].id}
    assert edit.result(10)[0].id == old.id
    assert len(ids | {old.id}) == 3
    assert sorted(e.data["v"] for e in services.events("w")) == ["a", "b", "edited"]
