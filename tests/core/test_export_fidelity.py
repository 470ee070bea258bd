"""Export -> import round trips change no report: each event keeps its UTC offset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs, resolve_dirs
from timelygator.core.services import Services
from timelygator.core.timeutil import parse_iso
from timelygator.core.transfer_format import export_timestamp

PASS = "fidelity passphrase"
ROOT = Path(__file__).resolve().parents[2]
S = 1_000_000
# 2026-03-02 22:30 UTC: local days differ by offset (+02:00 is already the 3rd).
T = 1_772_490_600 * S


def tg(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TIMELYGATOR_PASSPHRASE": PASS},
        timeout=120,
        check=False,
    )


def report(dirs: AppDirs, day: str) -> dict[str, object]:
    result = tg("report", "--day", day, "--format", "json", "--data-dir", str(dirs.data))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    doc.pop("generated", None)
    return doc  # type: ignore[no-any-return]


def test_round_trip_keeps_offsets_and_reports(dirs: AppDirs, tmp_path: Path) -> None:
    with Services.open(dirs, PASS) as services:
        key = services.ensure_bucket(
            "aw-watcher-window_h", type="currentwindow", client="t", hostname="h"
        )
        events = []
        for i, offset in enumerate((7200, -5 * 3600, None, 0, 19_800)):
            for j in range(6):
                start = T + (i * 6 + j) * 600 * S
                events.append(
                    Event(start, start + 500 * S, {"app": f"a{i}", "n": j}, tz_offset_s=offset)
                )
        # Two exact repeats in the file are merged on import, and said so.
        services.writer.insert_events(key, events).result()
    exported = tg("export", "--data-dir", str(dirs.data))
    assert exported.returncode == 0, exported.stderr
    doc = json.loads(exported.stdout)
    stamps = [e["timestamp"] for e in doc["buckets"]["aw-watcher-window_h"]["events"]]
    offsets = {parse_iso(s)[1] for s in stamps}
    assert {7200, -18000, 0, 19_800} <= offsets
    doc["buckets"]["aw-watcher-window_h"]["events"] += doc["buckets"]["aw-watcher-window_h"][
        "events"
    ][:2]
    file = tmp_path / "export.json"
    file.write_text(json.dumps(doc), encoding="utf-8")
    other = resolve_dirs(tmp_path / "other")
    imported = tg("import", str(file), "--data-dir", str(other.data))
    assert imported.returncode == 0, imported.stderr
    assert "30 imported" in imported.stdout
    assert "2 repeated in the file (stored once)" in imported.stdout
    for day in ("2026-03-02", "2026-03-03"):
        assert report(other, day) == report(dirs, day)
    with Services.open_reader(other, PASS) as copy, Services.open_reader(dirs, PASS) as source:
        got = sorted((e.start_us, e.tz_offset_s) for e in copy.events("aw-watcher-window_h"))
        want = sorted((e.start_us, e.tz_offset_s) for e in source.events("aw-watcher-window_h"))
    # Known offsets survive exactly; an unknown one becomes the system zone's offset, which
    # is the one it was counted in.
    assert [g for g, w in zip(got, want, strict=True) if w[1] is not None and g != w] == []


@given(
    start_us=st.integers(0, 7_000_000_000_000_000),
    offset_s=st.one_of(
        st.integers(-14 * 3600, 14 * 3600).map(lambda s: s - s % 60),  # whole minutes
        st.integers(-14 * 3600, 14 * 3600),  # any second (historic offsets)
    ),
)
def test_an_exported_timestamp_is_the_moment_in_its_own_offset(
    start_us: int, offset_s: int
) -> None:
    text = export_timestamp(Event(start_us, start_us, {}, None, offset_s))
    zone = timezone(timedelta(seconds=offset_s))
    expected = datetime.fromtimestamp(0, UTC) + timedelta(microseconds=start_us)
    assert text == expected.astimezone(zone).isoformat(timespec="microseconds")
    assert parse_iso(text) == (start_us, offset_s)
