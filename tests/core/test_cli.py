"""The command line as a user runs it: real processes, real exit codes and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from timelygator.core import __version__
from timelygator.core.event import Event
from timelygator.core.keys import KeyMode, KeyStore
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

PASS = "cli test passphrase"


def tg(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


@pytest.fixture
def populated(dirs: AppDirs) -> AppDirs:
    with Services.open(dirs, PASS) as services:
        key = services.ensure_bucket(
            "aw-watcher-window_h", type="currentwindow", client="t", hostname="h"
        )
        services.writer.insert_events(
            key, [Event(i * 10**6, i * 10**6 + 5, {"app": "a"}) for i in range(42)]
        ).result()
    return dirs


def test_version() -> None:
    result = tg("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"TimelyGator {__version__}"


def test_db_check_reports_counts_and_schema(populated: AppDirs, tmp_path: Path) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASS + "\n", encoding="utf-8")
    result = tg(
        "db", "check", "--json", "--data-dir", str(populated.data), "--passphrase-file", str(secret)
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["encrypted"] is True
    assert report["layout"] == "SQLCipher 4, AES-256-CBC, HMAC-SHA256, 2 KB pages"
    assert report["current_layout"] is True
    assert report["key"] == "passphrase"
    assert report["counts"]["events"] == 42
    assert report["counts"]["buckets"] == 1
    text = tg(
        "db", "check", "--data-dir", str(populated.data), env={"TIMELYGATOR_PASSPHRASE": PASS}
    )
    assert "Integrity: ok" in text.stdout
    assert "events" in text.stdout and "42" in text.stdout
    assert "Encrypted: yes, SQLCipher 4, AES-256-CBC, HMAC-SHA256, 2 KB pages\n" in text.stdout
    assert "older layout" not in text.stdout


def test_wrong_passphrase_is_one_clear_line_and_exit_3(populated: AppDirs) -> None:
    result = tg(
        "db",
        "check",
        "--data-dir",
        str(populated.data),
        env={"TIMELYGATOR_PASSPHRASE": "nope nope nope"},
    )
    assert result.returncode == 3
    assert result.stderr.strip() == (
        "timelygator: The passphrase is wrong. Nothing was changed; try again "
        "(TIMELYGATOR_PASSPHRASE or --passphrase-file for unattended use)."
    )
    assert "Traceback" not in result.stderr
    assert "nope nope nope" not in result.stderr + result.stdout


def test_check_of_an_empty_folder_says_there_is_no_database(tmp_path: Path) -> None:
    result = tg("db", "check", "--data-dir", str(tmp_path / "empty"))
    assert result.returncode == 3
    assert "There is no TimelyGator database" in result.stderr


def test_passphrase_change_and_rekey_from_the_cli(populated: AppDirs, tmp_path: Path) -> None:
    new = tmp_path / "new.txt"
    new.write_text("the new passphrase\n", encoding="utf-8")
    env = {"TIMELYGATOR_PASSPHRASE": PASS}
    changed = tg(
        "db",
        "passphrase",
        "change",
        "--new-passphrase-file",
        str(new),
        "--data-dir",
        str(populated.data),
        env=env,
    )
    assert changed.returncode == 0, changed.stderr
    assert "Passphrase changed" in changed.stdout
    env = {"TIMELYGATOR_PASSPHRASE": "the new passphrase"}
    rekeyed = tg("db", "rekey", "--data-dir", str(populated.data), env=env)
    assert rekeyed.returncode == 0, rekeyed.stderr
    check = tg("db", "check", "--json", "--data-dir", str(populated.data), env=env)
    assert json.loads(check.stdout)["counts"]["events"] == 42


def test_passphrase_remove_needs_a_keyring_and_says_so(populated: AppDirs) -> None:
    """In a subprocess there is no OS keyring here: the error says what to do instead."""
    result = tg(
        "db",
        "passphrase",
        "remove",
        "--data-dir",
        str(populated.data),
        env={
            "TIMELYGATOR_PASSPHRASE": PASS,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        },
    )
    assert result.returncode == 3
    assert "keyring" in result.stderr.lower()
    assert KeyStore(populated).mode() is KeyMode.PASSPHRASE  # unchanged
    assert populated.key_file.exists()
