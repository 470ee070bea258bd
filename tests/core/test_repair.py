"""Rows outside the time range: refused by the writer, reported by ``db check``, fixed by
``db check --repair`` after a backup."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import Connection, func, select
from timelygator.core.analytics.cache_rows import DIGESTS, STATS, store_digests, store_stats
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.repair import find_out_of_range, repair_time_range, time_range_problems
from timelygator.core.services import Services
from timelygator.core.timeutil import EARLIEST_US, LATEST_US, format_iso, parse_iso

from tests.helpers.cli import run_cli

PASS = "repair test passphrase"
S = 1_000_000
T = parse_iso("2024-05-01T10:00:00Z")[0]
Y9999 = parse_iso("9999-12-31T23:59:59Z")[0]
Y0 = parse_iso("0001-01-01T00:00:00+01:00")[0]  # year 0 in UTC


def _raw_rows(conn: Connection, bucket: int) -> None:
    """What a database written before the range check may hold."""
    rows = [
        (bucket, Y9999, Y9999 + 10 * S),  # the audit's event: starts outside
        (bucket, Y0, Y0 + S),  # before year 1
        (bucket, T, T + 1),  # fine
        (bucket, LATEST_US - S, LATEST_US + 86_400 * S),  # starts inside, ends outside
    ]
    for key, start, end in rows:
        conn.exec_driver_sql(
            "INSERT INTO events (bucket_id, start_us, end_us, data) VALUES (?, ?, ?, '{}')",
            (key, start, end),
        )
    conn.exec_driver_sql("UPDATE buckets SET created_us = ? WHERE id = ?", (Y0, bucket))


def _populate(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        key = services.ensure_bucket("old", type="currentwindow", client="t", hostname="h")
        empty = services.ensure_bucket("empty", type="t", client="t", hostname="h")
        services.writer.call(lambda conn: _raw_rows(conn, key), events=True).result()
        services.writer.call(
            lambda conn: conn.exec_driver_sql(
                "UPDATE buckets SET created_us = ? WHERE id = ?", (Y9999, empty)
            ),
        ).result()


def tg(dirs: AppDirs, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(dirs, PASS, *args)


def test_the_writer_refuses_times_outside_the_range(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS) as services:
        key = services.ensure_bucket("w", type="t", client="t", hostname="h")
        writer = services.writer
        for event in (
            Event(Y9999, Y9999 + 10 * S),
            Event(Y0, Y0 + S),
            Event(EARLIEST_US - 1, EARLIEST_US),
            Event(LATEST_US, LATEST_US + 1),
        ):
            with pytest.raises(ValidationError, match="outside the supported range"):
                writer.insert_events(key, [event])
            with pytest.raises(ValidationError, match="outside the supported range"):
                writer.heartbeat(key, event, 1)
        with pytest.raises(ValidationError, match="'created' time is outside"):
            writer.create_bucket(
                services.user_id, "x", type="t", client="c", hostname="h", created_us=Y0
            )
        edges = [Event(EARLIEST_US, EARLIEST_US + S), Event(LATEST_US - S, LATEST_US)]
        assert len(writer.insert_events(key, edges).result()) == 2
        assert services.events("w")[0].end_us == LATEST_US


def test_check_reports_and_repair_fixes_after_a_backup(dirs: AppDirs) -> None:
    _populate(dirs)
    assert time_range_problems(dirs, PASS)[:2] == [
        "3 event(s) lie outside the supported time range (1970-01-01 to 2200-01-01 UTC), "
        "in bucket(s) old.",
        "Bucket(s) created outside the supported time range: empty, old.",
    ]
    # Reading tolerates them: the export shows them at the nearest time ISO 8601 can hold.
    exported = tg(dirs, "export")
    assert exported.returncode == 0, exported.stderr
    old = json.loads(exported.stdout)["buckets"]["old"]
    assert old["created"] == "0001-01-01T00:00:00.000000+00:00"
    assert [e["timestamp"][:4] for e in old["events"]] == ["9999", "2199", "2024", "0001"]
    check = tg(dirs, "db", "check")
    assert check.returncode == 1
    assert "Integrity: PROBLEMS" in check.stdout
    assert "timelygator db check --repair" in check.stdout

    repaired = tg(dirs, "db", "check", "--repair", "--json")
    assert repaired.returncode == 0, repaired.stderr
    assert json.loads(repaired.stdout)["ok"] is True
    assert "Repaired 3 event(s) and 2 bucket(s)" in repaired.stderr
    backups = list(dirs.backups.glob("timelygator-*.db"))
    assert len(backups) == 1 and str(backups[0]) in repaired.stderr

    with Services.open(dirs, PASS) as services:
        events = services.events("old")
        assert [(format_iso(e.start_us), format_iso(e.end_us)) for e in events] == [
            (format_iso(LATEST_US - S), format_iso(LATEST_US)),
            (format_iso(T), format_iso(T + 1)),
        ]
        created = {b.name: b.created_us for b in services.buckets()}
        assert created["old"] == T  # its first event
        assert EARLIEST_US <= created["empty"] <= services.clock.now_us()
        with services.read() as conn:
            assert find_out_of_range(conn).empty
        # The writer took the repair into account: new heartbeats land normally.
        key = services.bucket_key("old")
        services.writer.heartbeat(key, Event(T + 2, T + 3, {}), 0).result()
        assert len(services.events("old")) == 3
    assert tg(dirs, "db", "check").returncode == 0
    again = repair_time_range(dirs, PASS)
    assert again.backup is None
    assert again.describe().startswith("Nothing to repair")


def test_repair_drops_the_stored_analytics(dirs: AppDirs) -> None:
    _populate(dirs)
    digest = (20_000, 0, 1, b"totals", b"pieces")
    with Services.open(dirs, PASS) as services:
        services.writer.call(lambda conn: store_digests(conn, [digest])).result()
        services.writer.call(
            lambda conn: store_stats(conn, [(20_000, 0, 1, "k", b"t", b"s")], totals_only=False)
        ).result()
    assert repair_time_range(dirs, PASS).backup is not None
    with Services.open(dirs, PASS) as services, services.read() as conn:
        for table in (DIGESTS, STATS):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
