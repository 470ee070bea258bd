"""The command line beside a running TimelyGator (real processes), and on a terminal."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from timelygator.core.event import Event
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.helpers.cli import run_on_terminal
from tests.helpers.serve import ServeProcess, free_port

PASS = "beside the app passphrase"
ROOT = Path(__file__).resolve().parents[2]
S = 1_000_000
DAY_START = 1_767_261_600  # 2026-01-01 10:00 UTC


def tg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TIMELYGATOR_PASSPHRASE": PASS, **(env or {})},
        timeout=120,
        check=False,
    )


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.is_file() and p.name.startswith("key")
    }


@pytest.fixture
def running(dirs: AppDirs) -> Iterator[ServeProcess]:
    with Services.open(dirs, PASS) as services:
        key = services.ensure_bucket(
            "aw-watcher-window_h", type="currentwindow", client="t", hostname="h"
        )
        services.writer.insert_events(
            key,
            [
                Event((DAY_START + 60 * i) * S, (DAY_START + 60 * i + 50) * S, {"app": "editor"})
                for i in range(120)
            ],
        ).result()
    server = ServeProcess(dirs, free_port(), PASS)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_read_commands_work_while_serve_holds_the_folder(
    dirs: AppDirs, running: ServeProcess
) -> None:
    keys = digests(dirs.data)
    check = tg("db", "check", "--json", "--data-dir", str(dirs.data))
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["counts"]["events"] == 120
    exported = tg("export", "--data-dir", str(dirs.data))
    assert exported.returncode == 0, exported.stderr
    events = json.loads(exported.stdout)["buckets"]["aw-watcher-window_h"]["events"]
    assert len(events) == 120
    report = tg("report", "--day", "2026-01-01", "--format", "json", "--data-dir", str(dirs.data))
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["totals"]["active_seconds"] == pytest.approx(120 * 50, abs=1)
    backup = tg("backup", "--data-dir", str(dirs.data))
    assert backup.returncode == 0, backup.stderr
    assert "Backup written and verified" in backup.stdout
    tokens = tg("token", "list", "--data-dir", str(dirs.data))
    assert tokens.returncode == 0, tokens.stderr
    history = tg("db", "history", "--data-dir", str(dirs.data))
    assert history.returncode == 0, history.stderr
    assert f"{dirs.database} is at schema 6." in history.stdout
    assert digests(dirs.data) == keys
    assert running.proc is not None and running.proc.poll() is None


@pytest.mark.parametrize(
    ("command", "advice"),
    [
        (["import", "{file}"], "Import from the app (Settings → Data → Import), or quit it first."),
        (["restore", "{file}"], "Quit it first, then run the restore again."),
        (["db", "rekey"], "Quit it first, then run 'timelygator db rekey' again."),
        (
            ["db", "passphrase", "change", "--new-passphrase-file", "{file}"],
            "Change the passphrase in the app (Settings → Data), or quit it first.",
        ),
        (["db", "salvage"], "Quit it first, then run 'timelygator db salvage' again."),
        (["db", "downgrade", "5"], "Quit it first, then run 'timelygator db downgrade' again."),
    ],
)
def test_writing_commands_refuse_with_what_to_do(
    dirs: AppDirs, running: ServeProcess, tmp_path: Path, command: list[str], advice: str
) -> None:
    file = tmp_path / "input.json"
    file.write_text('{"buckets": {}}', encoding="utf-8")
    before = digests(dirs.data)
    database = hashlib.sha256(dirs.database.read_bytes()).hexdigest()
    args = [part.replace("{file}", str(file)) for part in command]
    result = tg(*args, "--data-dir", str(dirs.data))
    assert result.returncode == 3, result.stderr
    message = result.stderr.strip()
    assert message.startswith(f"timelygator: TimelyGator is running on {dirs.data} (the app,")
    assert advice in message
    assert message.endswith("Nothing was changed.")
    assert digests(dirs.data) == before
    assert hashlib.sha256(dirs.database.read_bytes()).hexdigest() == database


def test_a_missing_passphrase_is_asked_for_on_a_terminal_without_echo(dirs: AppDirs) -> None:
    with Services.open(dirs, PASS):
        pass
    code, output = run_on_terminal(
        ["db", "check", "--data-dir", str(dirs.data)], "passphrase: ", PASS
    )
    assert code == 0, output
    assert "TimelyGator passphrase: " in output
    assert PASS not in output  # not echoed
    assert "Integrity: ok" in output


def test_passphrase_set_on_a_fresh_folder_without_a_keyring_creates_the_key(
    dirs: AppDirs, tmp_path: Path
) -> None:
    secret = tmp_path / "new.txt"
    secret.write_text("a passphrase for a server\n", encoding="utf-8")
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    env = {**no_keyring, "TIMELYGATOR_PASSPHRASE": ""}
    result = tg("db", "passphrase", "set", "--new-passphrase-file", str(secret),
                "--data-dir", str(dirs.data), env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "protected by your passphrase" in result.stdout
    assert dirs.key_file.exists() and dirs.database.stat().st_size > 0
    unlock = {**no_keyring, "TIMELYGATOR_PASSPHRASE": "a passphrase for a server"}
    check = tg("db", "check", "--data-dir", str(dirs.data), env=unlock)
    assert check.returncode == 0, check.stderr
    assert "Key:       passphrase" in check.stdout
