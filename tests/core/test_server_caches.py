"""Analytics caches on a server database written by several processes (server mode).

Two ``Services`` on one PostgreSQL database stand for two ``serve`` workers: each has its own
writer and its own analytics memory; the stored cache rows are shared. A day that process A
remembers (or stores) and process B changes must never be answered stale by A
(``core.change_feed``, the day locks of ``core.sql_dialect``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from timelygator.core.analytics import cache_rows
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services

from tests.core.analytics.test_service import CATEGORIES, DAY, UTC0, H, ev, fill_day


@pytest.fixture
def pair(pg_url: str, tmp_path: Path) -> Iterator[tuple[Services, Services]]:
    """Process A and process B on one database."""
    one = Services.open_server(pg_url, resolve_dirs(tmp_path / "a"), max_delay=0.05)
    two = Services.open_server(pg_url, resolve_dirs(tmp_path / "b"), max_delay=0.05)
    try:
        yield one, two
    finally:
        two.close()
        one.close()


def _active_us(services: Services) -> int:
    summary = services.analytics.summary_for_days(
        services.user_id, DAY, DAY, UTC0, categories=CATEGORIES
    )
    return summary.active_us


def _stored_digests(services: Services) -> int:
    with services.read() as conn:
        return int(conn.execute(select(func.count()).select_from(cache_rows.DIGESTS)).scalar_one())


def test_a_day_remembered_by_one_process_follows_another_ones_change(
    pair: tuple[Services, Services],
) -> None:
    a, b = pair
    window, afk, _web = fill_day(b)
    before = _active_us(a)
    a.analytics.last_persist.result(10)
    assert before > 0 and _stored_digests(a) == 1  # remembered, and stored
    # B adds 30 minutes of work in the evening of that day, present.
    b.writer.insert_events(window, [ev(20, 20.5, app="code", title="notes.md")]).result(10)
    b.writer.insert_events(afk, [ev(20, 20.5, status="not-afk")]).result(10)
    assert _active_us(a) == before + H // 2  # not what A remembered
    assert _active_us(b) == before + H // 2


def test_a_day_computed_before_another_process_changed_it_is_not_stored(
    pair: tuple[Services, Services],
) -> None:
    """A computes a day while B's change of that day is under way (its transaction has
    cleared the day's rows but not committed): A must not store what it computed, or the
    row would outlive B's change."""
    a, b = pair
    window, afk, _web = fill_day(b)
    # B's writer takes the change and a call that waits, in one transaction.
    first, go_on, inside = threading.Event(), threading.Event(), threading.Event()
    b.writer.call(lambda _conn: first.wait(10))

    def hold(_conn: object) -> None:
        inside.set()
        go_on.wait(30)

    change = b.writer.insert_events(window, [ev(20, 20.5, app="code", title="notes.md")])
    presence = b.writer.insert_events(afk, [ev(20, 20.5, status="not-afk")])
    held = b.writer.call(hold)
    first.set()
    assert inside.wait(10)  # B's change is applied, its transaction still open
    try:
        before = _active_us(a)  # without B's change (not committed)
        assert a.analytics.last_persist.result(10) is None  # declined: the day is changing
        assert _stored_digests(a) == 0
    finally:
        go_on.set()
    held.result(10), change.result(10), presence.result(10)
    assert _active_us(a) == before + H // 2
    a.analytics.last_persist.result(10)
    assert _stored_digests(a) == 1
    assert _active_us(b) == before + H // 2


def test_a_process_catches_up_with_the_others_before_it_answers_from_memory(
    pair: tuple[Services, Services],
) -> None:
    """B's change is acknowledged, but A has not heard of it yet (its change feed is held
    up): A's next answer must wait until it has, not come from what it remembers."""
    a, b = pair
    window, afk, _web = fill_day(b)
    assert a.feed is not None
    feed = a.feed
    assert feed.sync()  # A has heard all of it...
    before = _active_us(a)  # ...and remembers the day
    a.analytics.last_persist.result(10)
    hold, held, asking = threading.Event(), threading.Event(), threading.Event()

    def hold_up(_days: object) -> None:  # A's feed thread stops at the first change it hears
        if not held.is_set():
            held.set()
            hold.wait(30)

    feed.add_listener(hold_up)
    sync = feed.sync

    def watched_sync(timeout: float = 10.0) -> bool:
        asking.set()
        return sync(timeout)

    feed.sync = watched_sync  # type: ignore[method-assign]
    # A change of another day, five days later.
    b.writer.insert_events(window, [ev(24 * 5 + 9, 24 * 5 + 10, app="code")]).result(10)
    assert held.wait(10)  # A heard that one and stopped; B's next change waits unheard
    b.writer.insert_events(window, [ev(20, 20.5, app="code", title="notes.md")]).result(10)
    b.writer.insert_events(afk, [ev(20, 20.5, status="not-afk")]).result(10)
    answers: list[int] = []

    def ask() -> None:
        answers.append(_active_us(a))
        asking.set()

    asker = threading.Thread(target=ask)
    asker.start()
    assert asking.wait(30)  # A asked its feed to catch up (or answered without doing so)
    hold.set()
    asker.join(30)
    assert answers == [before + H // 2]
