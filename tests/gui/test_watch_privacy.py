"""``timelygator watch`` records what the app would: the privacy settings made in the app's
Settings dialog apply to the headless watcher too (an excluded app is absent, a redacted
title is stored redacted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot
from timelygator.core.client.offline_queue import OfflineQueue
from timelygator.core.keys import KeyStore
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import load_preferences
from timelygator.core.services import Services
from timelygator.gui.session import Session
from timelygator.gui.settings.dialog import SettingsDialog
from timelygator.gui.settings.simple_pages import PrivacyPage
from timelygator.gui.tasks import TaskRunner

from tests.gui.test_categories_editor import _click

ROOT = Path(__file__).resolve().parents[2]
PASS = "watch privacy passphrase"


def _set_privacy_in_settings(qtbot, services: Services, runner: TaskRunner) -> None:  # type: ignore[no-untyped-def]
    """Excluded app ``keepass*`` and redaction ``invoice \\d+``, typed into Settings → Privacy,
    then OK."""
    dialog = SettingsDialog(Session.load(services), runner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_page("Privacy")
    page = next(p for p in dialog.pages if isinstance(p, PrivacyPage))
    qtbot.keyClicks(page.apps, "keepass*")
    qtbot.keyClicks(page.redactions, r"invoice \d+")
    with qtbot.waitSignal(dialog.sig_saved, timeout=20_000):
        _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    runner.wait()


def _watch(dirs: AppDirs, tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "windows.json"
    script.write_text(
        json.dumps(
            [
                ["KeePassXC", "Passwords - bank", 4],
                ["editor", "invoice 12345 for ACME", 4],
                ["terminal", "make test", 4],
            ]
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "TIMELYGATOR_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tests.helpers.fake_watch", str(script), "--data-dir",
         str(dirs.data), "--no-afk", "--no-web", "--poll", "0.1", *options],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip


def _window_events(dirs: AppDirs) -> list[dict[str, object]]:
    with Services.open_reader(dirs, PASS) as services:
        names = [b.name for b in services.buckets() if b.name.startswith("aw-watcher-window_")]
        assert len(names) == 1, names
        return [e.data for e in services.events(names[0])]


@pytest.mark.slow
def test_watch_applies_the_privacy_settings_made_in_the_app(
    qtbot: QtBot, dirs: AppDirs, runner: TaskRunner, tmp_path: Path
) -> None:
    services = Services.open(dirs, PASS, max_delay=0.05)
    try:
        _set_privacy_in_settings(qtbot, services, runner)
        with services.read() as conn:
            privacy = load_preferences(conn, services.user_id).privacy
        assert privacy.excluded_apps == ["keepass*"]
        assert privacy.title_redactions == [r"invoice \d+"]
    finally:
        services.close()

    result = _watch(dirs, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "privacy: 1 excluded app, 0 excluded sites, 1 title redaction," in result.stdout
    events = _window_events(dirs)
    apps = {e["app"] for e in events}
    titles = {e["title"] for e in events}
    assert apps == {"editor", "terminal"}  # KeePassXC's time is not recorded at all
    assert titles == {"[redacted] for ACME", "make test"}
    assert "12345" not in result.stdout + result.stderr


@pytest.mark.slow
def test_watch_with_a_server_reads_the_local_folders_privacy_settings(
    qtbot: QtBot, dirs: AppDirs, runner: TaskRunner, tmp_path: Path
) -> None:
    """``--server``: the server's database is not readable here; the data folder beside the
    app is, and its settings apply (the server being down, heartbeats wait in the queue)."""
    services = Services.open(dirs, PASS, max_delay=0.05)
    try:
        _set_privacy_in_settings(qtbot, services, runner)
    finally:
        services.close()
    result = _watch(dirs, tmp_path, "--server", "http://127.0.0.1:9")
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(t for t in result.stdout.splitlines() if t.startswith("privacy:"))
    assert line.startswith("privacy: 1 excluded app, 0 excluded sites, 1 title redaction")
    assert line.endswith(f"(the app's settings in {dirs.data})")
    queue = OfflineQueue(dirs.data / "watcher-queue.sqlite", KeyStore(dirs).load(PASS)[0])
    try:
        sent = []
        while (request := queue.peek()) is not None:
            if request.bucket.startswith("aw-watcher-window_") and request.kind == "heartbeat":
                sent.append(request.body["data"])
            queue.remove(request.seq)
    finally:
        queue.close()
    assert {d["app"] for d in sent} == {"editor", "terminal"}
    assert {d["title"] for d in sent} == {"[redacted] for ACME", "make test"}


def test_the_app_and_watch_map_preferences_through_one_function() -> None:
    from timelygator.gui import watcher_host
    from timelygator.watchers import cli, config

    mapping = config.config_from_preferences
    assert vars(watcher_host)["config_from_preferences"] is mapping
    assert vars(cli)["config_from_preferences"] is mapping
    assert not hasattr(watcher_host, "watchers_config")
