"""The query engine's reads from the store: half-open ranges, clipped, newest first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from timelygator.core.errors import NotFoundError
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.query.store_source import StoreDataSource
from timelygator.core.services import Services

S = 1_000_000
T = 1_700_000_000 * S


@pytest.fixture
def filled(dirs: AppDirs) -> Iterator[Services]:
    with Services.open(dirs, "store source tests pass") as services:
        key = services.ensure_bucket("w", type="t", client="c", hostname="host-a")
        services.ensure_bucket("empty", type="t", client="c", hostname="host-b")
        services.writer.insert_events(
            key,
            [
                Event(T, T + 10 * S, {"n": 0}),
                Event(T + 10 * S, T + 20 * S, {"n": 1}),
                Event(T + 20 * S, T + 3600 * S, {"n": 2}),  # a long one
                Event(T + 30 * S, T + 30 * S, {"n": 3}),  # zero length
                Event(T + 4000 * S, T + 4001 * S, {"n": 4}, tz_offset_s=3600),
            ],
        ).result()
        yield services


def test_range_is_half_open_clipped_and_newest_first(filled: Services) -> None:
    with filled.read() as conn:
        source = StoreDataSource(conn, filled.user_id)
        events = source.bucket_events("w", T + 10 * S, T + 30 * S)
        assert [(e.data["n"], e.start_us, e.end_us) for e in events] == [
            (2, T + 20 * S, T + 30 * S),
            (1, T + 10 * S, T + 20 * S),  # the one ending at the start is not in it
        ]
        # A zero-length event inside counts; at the end it does not.
        inside = source.bucket_events("w", T + 30 * S, T + 31 * S)
        assert [e.data["n"] for e in inside] == [3, 2]
        assert source.bucket_event_count("w", T + 30 * S, T + 31 * S) == 2
        assert source.bucket_event_count("w", T + 10 * S, T + 30 * S) == 2
        last = source.bucket_events("w", T + 3000 * S, T + 5000 * S)
        assert [(e.data["n"], e.tz_offset_s, e.id is not None) for e in last] == [
            (4, 3600, True),
            (2, None, True),
        ]


def test_limit_and_buckets(filled: Services) -> None:
    with filled.read() as conn:
        source = StoreDataSource(conn, filled.user_id)
        assert [e.data["n"] for e in source.bucket_events("w", T, T + 5000 * S, 2)] == [4, 3]
        assert len(source.bucket_events("w", T, T + 5000 * S, -1)) == 5
        assert source.bucket_events("w", T, T + 5000 * S, 0) == []
        assert source.bucket_events("empty", T, T + 5000 * S) == []
        assert source.bucket_names() == ["empty", "w"]
        assert source.bucket_hostname("w") == "host-a"
        with pytest.raises(NotFoundError):
            source.bucket_events("missing", T, T + S)
