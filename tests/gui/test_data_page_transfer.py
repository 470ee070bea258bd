"""Settings → Data → Export writes the same file as ``timelygator export`` (each event in the
UTC offset it was captured with, readable by its owner only), and Import reads it back."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from timelygator.core import reader
from timelygator.core.event import Event
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services
from timelygator.core.transfer_format import export_document
from timelygator.gui.settings.data_page import DataPage
from timelygator.gui.tasks import TaskRunner

T0 = 1_741_075_200_000_000  # 2025-03-04T08:00:00Z


def test_export_from_the_data_page_keeps_offsets_and_imports_back(  # type: ignore[no-untyped-def]
    services: Services, runner: TaskRunner, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = services.ensure_bucket(
        "aw-watcher-window_desk", type="currentwindow", client="t", hostname="desk"
    )
    stored = [
        Event(T0, T0 + 60_000_000, {"app": "code", "title": "a.py"}, tz_offset_s=7200),
        Event(T0 + 60_000_000, T0 + 9 * 10**7, {"app": "vlc", "title": "film"}, tz_offset_s=-18000),
    ]
    services.writer.insert_events(key, stored).result(10)
    target = tmp_path / "export.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), ""))
    page = DataPage(services, runner)
    qtbot.addWidget(page)
    page.show()
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.export_status.text().startswith("Exported"), timeout=20_000)
    assert page.export_status.text() == "Exported 2 events to export.json."

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with services.read() as conn:
        cli_file = export_document(conn, reader.list_buckets(conn, services.user_id))
    assert target.read_bytes() == cli_file  # the file `timelygator export` writes
    events = json.loads(target.read_bytes())["buckets"]["aw-watcher-window_desk"]["events"]
    assert sorted(e["timestamp"] for e in events) == [
        "2025-03-04T03:01:00.000000-05:00",
        "2025-03-04T10:00:00.000000+02:00",
    ]

    from timelygator.core.importer import import_file

    with Services.open(resolve_dirs(tmp_path / "other"), None, max_delay=0.05) as other:
        [result] = import_file(other, target)
        assert (result.name, result.created, result.imported) == (
            "aw-watcher-window_desk",
            True,
            2,
        )
        back = other.events("aw-watcher-window_desk")
    assert sorted((e.start_us, e.end_us, e.data, e.tz_offset_s) for e in back) == sorted(
        (e.start_us, e.end_us, e.data, e.tz_offset_s) for e in stored
    )
