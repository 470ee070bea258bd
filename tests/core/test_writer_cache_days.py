"""Stale analytics cache rows (day digests and statistics) go in the change's transaction.

A stored ``day_digests`` / ``day_stats`` row must never outlive a change to the events it
summarizes: the writer's transaction hook (``cache_rows.clear_days``, registered by every
``Services``) deletes the rows of the UTC days a change may touch (-2 .. +1 days
around it) in the same transaction, and leaves every other day's rows alone.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Connection, select
from timelygator.core.analytics import cache_rows
from timelygator.core.errors import ChangeFailedError
from timelygator.core.event import Event
from timelygator.core.services import Services
from timelygator.core.writer import Writer

S = 1_000_000
DAY = 86_400 * S
D0 = 20_000  # a UTC day number (2024-10-04)
TABLES = ("day_digests", "day_stats")


def at(day: int, hour: float = 12) -> int:
    return day * DAY + round(hour * 3600 * S)


def store_rows(services: Services, days: range) -> None:
    """Cache rows for ``days`` in both tables, written as the analytics write them."""
    user = services.user_id

    def write(conn: Connection) -> None:
        cache_rows.store_digests(conn, [(day, 0, user, b"\0", b"\0") for day in days])
        rows = [(day, 0, user, "k", b"\0", b"\0") for day in days]
        cache_rows.store_stats(conn, rows, totals_only=False)

    services.writer.call(write).result()


def stored_days(services: Services) -> dict[str, list[int]]:
    with services.store.connect() as conn:
        return {
            table.name: [int(r[0]) for r in conn.execute(select(table.c.day).order_by("day"))]
            for table in (cache_rows.DIGESTS, cache_rows.STATS)
        }


def days(*numbers: int | range) -> dict[str, list[int]]:
    flat: list[int] = []
    for n in numbers:
        flat.extend(n if isinstance(n, range) else [n])
    return {table: sorted(flat) for table in TABLES}


def test_no_triggers_are_left_on_events(services: Services) -> None:
    listed = (
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"  # none was ever made there
        if services.server
        else "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    )
    with services.store.connect() as conn:
        assert conn.exec_driver_sql(listed).all() == []


def test_a_heartbeat_clears_the_days_around_it_and_keeps_the_others(
    services: Services,
) -> None:
    key = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    store_rows(services, range(D0 - 10, D0 + 10))
    services.writer.heartbeat(key, Event(at(D0), at(D0), {"app": "a"}), 5).result()
    assert stored_days(services) == days(range(D0 - 10, D0 - 2), range(D0 + 2, D0 + 10))


def test_rows_written_after_the_clearing_are_cleared_by_the_next_change(
    services: Services,
) -> None:
    """The writer skips days it already cleared, but not once cache rows were written again."""
    key = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    hb = services.writer.heartbeat
    hb(key, Event(at(D0), at(D0), {"app": "a"}), 5).result()
    store_rows(services, range(D0 - 1, D0 + 1))  # e.g. yesterday's digest, persisted meanwhile
    merged = hb(key, Event(at(D0) + S, at(D0) + S, {"app": "a"}), 5).result()
    assert merged.end_us == at(D0) + S
    assert stored_days(services) == days()


def test_an_edit_clears_the_days_it_moves_the_event_from_and_to(services: Services) -> None:
    key = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    w = services.writer
    [old] = w.insert_events(key, [Event(at(D0 - 30), at(D0 - 30, 13), {"app": "a"})]).result()
    store_rows(services, range(D0 - 40, D0 + 10))
    w.insert_events(key, [Event(at(D0), at(D0, 13), {"app": "a"}, id=old.id)]).result()
    left = stored_days(services)
    for table in TABLES:
        # The days around both places are gone (the days between may go too: the writer
        # clears one range per transaction); days outside both stay.
        assert not set(left[table]) & {*range(D0 - 32, D0 - 28), *range(D0 - 2, D0 + 2)}
        assert set(left[table]) >= {*range(D0 - 40, D0 - 32), *range(D0 + 2, D0 + 10)}


def test_deletes_and_purges_clear_the_days_of_the_removed_events(services: Services) -> None:
    key = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    w = services.writer
    old, new = w.insert_events(
        key,
        [
            Event(at(D0 - 20), at(D0 - 20, 13), {"app": "a"}),
            Event(at(D0), at(D0, 13), {"app": "b"}),
        ],
    ).result()
    assert old.id is not None and new.id is not None
    store_rows(services, range(D0 - 30, D0 + 10))
    assert w.delete_events(key, [new.id, 999_999]).result() == 1
    assert stored_days(services) == days(range(D0 - 30, D0 - 2), range(D0 + 2, D0 + 10))
    assert w.purge_before(at(D0 - 10)).result() == 1
    # Everything up to the cutoff's day (+1) may have changed; later days stay.
    assert stored_days(services) == days(range(D0 - 8, D0 - 2), range(D0 + 2, D0 + 10))


def test_bucket_type_changes_and_deletes_clear_every_day(services: Services) -> None:
    key = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    store_rows(services, range(D0, D0 + 3))
    services.writer.update_bucket(key, {"hostname": "other"}).result()
    assert stored_days(services) == days(range(D0, D0 + 3))  # not used by analytics
    services.writer.update_bucket(key, {"type": "afkstatus"}).result()
    assert stored_days(services) == days()
    store_rows(services, range(D0, D0 + 3))
    services.writer.delete_bucket(key).result()
    assert stored_days(services) == days()


def test_a_failed_transaction_forgets_what_it_cleared(services: Services) -> None:
    """Rolled back deletes must not be taken for done: the next change clears again."""
    key = services.ensure_bucket("w", type="currentwindow", client="t", hostname="h")
    w = services.writer
    store_rows(services, range(D0 - 3, D0 + 3))
    # Hold the writer inside one transaction while a heartbeat (which clears the days) and
    # an operation the driver cannot bind (which fails that transaction) join it.
    gate = threading.Event()
    held = w.call(lambda _conn: gate.wait(10))
    beat = w.heartbeat(key, Event(at(D0), at(D0), {"app": "a"}), 5)
    bad = w.create_bucket(services.user_id, "bad\ud800", type="t", client="c", hostname="h")
    gate.set()
    with pytest.raises(ChangeFailedError):
        bad.result(10)
    held.result(10)
    beat.result(10)
    # The failed transaction was rolled back; applied again without the bad change, the
    # heartbeat cleared its days for real (not taken as done by the rolled-back attempt).
    assert stored_days(services) == days(D0 - 3, D0 + 2)
    w.heartbeat(key, Event(at(D0) + S, at(D0) + S, {"app": "a"}), 5).result()
    assert stored_days(services) == days(D0 - 3, D0 + 2)


def test_the_writer_reports_touched_days_to_its_hooks_and_knows_no_cache(
    services: Services,
) -> None:
    """A bare writer's hook hears each transaction's touched days once (the days-touched rule
    of core.timeutil); days already reported are not reported again until a ``call``. On a
    server, every transaction reports its days: another process may have stored rows of
    them since."""
    from timelygator.core.timeutil import touched_days

    heard: list[tuple[int, int]] = []
    writer = Writer(services.store, checkpoint_interval=None)
    writer.add_transaction_hook(lambda _conn, low, high: heard.append((low, high)))
    writer.start()
    try:
        created = writer.create_bucket(
            services.user_id, "hooked", type="currentwindow", client="t", hostname="h"
        ).result()
        assert created is not None and heard == []  # no event changed
        beat = Event(at(D0), at(D0), {"app": "a"})
        writer.heartbeat(created.key, beat, 5).result()
        assert heard == [touched_days(at(D0), at(D0))] == [(D0 - 2, D0 + 1)]
        writer.heartbeat(created.key, Event(at(D0) + S, at(D0) + S, {"app": "a"}), 5).result()
        assert len(heard) == (2 if services.server else 1)  # SQLite: not reported again
        writer.call(lambda _conn: None).result()  # may have written rows of any day
        writer.heartbeat(created.key, Event(at(D0) + 2 * S, at(D0) + 2 * S, {"app": "a"}), 5)
        writer.flush()
        assert heard == [(D0 - 2, D0 + 1)] * (3 if services.server else 2)
    finally:
        writer.stop()
