"""``timelygator export`` then ``import`` into another folder: same events; twice: nothing new."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from timelygator.core.event import Event
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services

PASS = "transfer cli passphrase"
S = 1_000_000
T = 1_700_000_000 * S


def tg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args],
        capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS},
    )  # fmt: skip


def test_export_import_round_trip_and_idempotence(tmp_path: Path) -> None:
    source = resolve_dirs(tmp_path / "source")
    with Services.open(source, PASS) as services:
        key = services.ensure_bucket(
            "aw-watcher-window_h", type="currentwindow", client="t", hostname="h"
        )
        services.writer.insert_events(
            key,
            [
                Event(T + i * S, T + i * S + S // 2, {"app": "a", "title": f"t{i}"})
                for i in range(25)
            ],
        ).result()
    export = tmp_path / "export.json"
    exported = tg("export", "--output", str(export), "--data-dir", str(source.data))
    assert exported.returncode == 0, exported.stderr
    doc = json.loads(export.read_text(encoding="utf-8"))
    events = doc["buckets"]["aw-watcher-window_h"]["events"]
    assert len(events) == 25
    assert set(events[0]) == {"id", "timestamp", "duration", "data"}

    target = tmp_path / "target"
    first = tg("import", str(export), "--data-dir", str(target))
    assert first.returncode == 0, first.stderr
    assert "Imported 25 events into 1 buckets (0 already present)." in first.stdout
    again = tg("import", str(export), "--data-dir", str(target))
    assert "Imported 0 events into 1 buckets (25 already present)." in again.stdout
    with Services.open(resolve_dirs(target), PASS) as services:
        titles = sorted(e.data["title"] for e in services.events("aw-watcher-window_h"))
    assert titles == sorted(f"t{i}" for i in range(25))


def test_import_of_a_file_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.json"
    junk.write_text('{"hello": 1}', encoding="utf-8")
    result = tg("import", str(junk), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert result.stderr.startswith("timelygator: ")
    assert "Traceback" not in result.stderr
