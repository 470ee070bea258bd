"""Range reads: overlapping events, clipped, newest first, limit after the range."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection
from timelygator.core import reader
from timelygator.core.errors import NotFoundError
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services
from timelygator.core.sql_dialect import Prepared

S = 1_000_000
T = 1_700_000_000 * S


@pytest.fixture
def filled(dirs: AppDirs) -> Iterator[tuple[Services, int]]:
    with Services.open(dirs, "reader tests pass") as services:
        key = services.ensure_bucket("w", type="t", client="c", hostname="h")
        services.writer.insert_events(
            key,
            [
                Event(T, T + 10 * S, {"n": 0}),
                Event(T + 10 * S, T + 20 * S, {"n": 1}),
                Event(T + 20 * S, T + 3600 * S, {"n": 2}),  # a long one
                Event(T + 4000 * S, T + 4001 * S, {"n": 3}),
            ],
        ).result()
        yield services, key


def test_range_is_clipped_and_newest_first(filled: tuple[Services, int]) -> None:
    services, key = filled
    with services.read() as conn:
        events = reader.get_events(conn, key, T + 15 * S, T + 100 * S)
    assert [(e.data["n"], e.start_us, e.end_us) for e in events] == [
        (2, T + 20 * S, T + 100 * S),
        (1, T + 15 * S, T + 20 * S),
    ]


def test_long_events_are_found_from_inside(filled: tuple[Services, int]) -> None:
    services, key = filled
    with services.read() as conn:
        events = reader.get_events(conn, key, T + 1000 * S, T + 1001 * S)
        assert [(e.data["n"], e.duration_s) for e in events] == [(2, 1.0)]
        assert reader.count_events(conn, key, T + 1000 * S, T + 1001 * S) == 1


def test_limit_applies_after_the_range(filled: tuple[Services, int]) -> None:
    services, key = filled
    with services.read() as conn:
        assert [e.data["n"] for e in reader.get_events(conn, key, T, T + 30 * S, limit=2)] == [2, 1]
        assert reader.get_events(conn, key, limit=0) == []
        assert len(reader.get_events(conn, key, limit=-1)) == 4
        assert reader.count_events(conn, key) == 4


def test_get_event_by_id_is_scoped_to_its_bucket(filled: tuple[Services, int]) -> None:
    services, key = filled
    other = services.ensure_bucket("other", type="t", client="c", hostname="h")
    with services.read() as conn:
        first = reader.get_events(conn, key)[-1]
        assert reader.get_event(conn, key, first.id or 0).data == {"n": 0}
        with pytest.raises(NotFoundError):
            reader.get_event(conn, other, first.id or 0)
        with pytest.raises(NotFoundError):
            reader.get_bucket(conn, services.user_id, "missing")


def query_plan(conn: Connection, prepared: Prepared, params: dict[str, int]) -> str:
    """SQLite's plan for a prepared statement with these parameters, as one line."""
    sql, args = prepared.sql(conn, params)
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", args)
    return " ".join(str(r[-1]) for r in rows)


@pytest.mark.parametrize("limited", [False, True])
def test_one_day_read_uses_the_start_index(filled: tuple[Services, int], limited: bool) -> None:
    services, key = filled
    params = {"b": key, "s": T, "e": T + S, "limit": 5}
    with services.read() as conn:
        for prepared in (reader._RANGE_READS[limited], reader._EVENTS_JSON[limited]):
            plan = query_plan(conn, prepared, params)
            assert "ix_events_bucket_start" in plan and "start_us>" in plan.replace(" ", "")
