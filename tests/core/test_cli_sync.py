"""``timelygator sync`` as a person runs it: saving the server and token once, syncing with
what was saved, saying what is missing, refusing beside the app, and syncing on its own
until stopped while the server goes away and comes back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from timelygator.core.paths import AppDirs
from timelygator.core.preferences import load_preferences
from timelygator.core.services import Services

from tests.helpers.cli import run_cli
from tests.helpers.keyring import FILE_KEYRING_ENV, FileKeyring
from tests.helpers.sync import DAY_US, MINUTE_US, Device, Server

PASS = "sync command passphrase"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    made = Server(tmp_path)
    yield made
    made.close()


@pytest.fixture
def laptop(tmp_path: Path) -> AppDirs:
    """A data folder (with a passphrase) holding two window events."""
    device = Device.open(tmp_path, "laptop", PASS)
    device.window(0, 5, "editor", "main.py")
    device.window(5, 5, "mail", "Inbox")
    dirs = device.services.dirs
    device.close()
    return dirs


def keyring_env(tmp_path: Path) -> dict[str, str]:
    """A keyring for the command's process: a file this test reads too."""
    return {
        "PYTHON_KEYRING_BACKEND": "tests.helpers.keyring.FileKeyring",
        FILE_KEYRING_ENV: str(tmp_path / "keyring.json"),
    }


def test_save_once_then_sync_with_what_was_saved(
    laptop: AppDirs, server: Server, tmp_path: Path
) -> None:
    token_file = tmp_path / "token.txt"
    token_file.write_text(server.token, encoding="utf-8")
    env = keyring_env(tmp_path)
    saved = run_cli(
        laptop,
        PASS,
        "sync",
        "--once",
        "--server",
        server.url + "/",
        "--token-file",
        str(token_file),
        "--save",
        env=env,
    )
    assert saved.returncode == 0, saved.stderr
    assert f"Saved: server {server.url}, its token in the OS keyring." in saved.stdout
    assert server.token not in saved.stdout + saved.stderr
    assert list(FileKeyring(tmp_path / "keyring.json").entries.values()) == [server.token]
    with Services.open_reader(laptop, PASS) as services, services.read() as conn:
        prefs = load_preferences(conn, services.user_id)
        assert server.token not in json.dumps(prefs.to_json())
    assert (prefs.sync.server_url, prefs.sync.pull) == (server.url, True)

    again = run_cli(laptop, PASS, "sync", "--once", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"Synced with {server.url}: nothing new to send.")
    titles = sorted(json.loads(r[4])["title"] for r in server.rows())
    assert titles == ["Inbox", "main.py"]


def test_it_says_what_is_missing(laptop: AppDirs, server: Server, tmp_path: Path) -> None:
    env = keyring_env(tmp_path)
    no_server = run_cli(laptop, PASS, "sync", "--once", env=env)
    assert no_server.returncode == 2
    assert "No sync server: set one in Settings → Sync, or give --server URL" in no_server.stderr
    no_token = run_cli(
        laptop, PASS, "sync", "--once", env={**env, "TIMELYGATOR_SYNC_SERVER": server.url}
    )
    assert no_token.returncode == 2
    assert "No token for the sync server" in no_token.stderr
    assert "TIMELYGATOR_SYNC_TOKEN" in no_token.stderr
    bad = run_cli(laptop, PASS, "sync", "--once", "--server", "ftp://example.org", env=env)
    assert bad.returncode == 2 and "is not a server address" in bad.stderr
    assert server.rows() == []


def test_it_refuses_while_the_app_holds_the_folder(
    laptop: AppDirs, server: Server, tmp_path: Path
) -> None:
    with Services.open(laptop, PASS):
        held = run_cli(
            laptop,
            PASS,
            "sync",
            "--once",
            "--server",
            server.url,
            env={"TIMELYGATOR_SYNC_TOKEN": server.token},
        )
    assert held.returncode == 3
    assert "The app syncs by itself: turn it on in Settings → Sync" in held.stderr
    assert server.rows() == []


def test_it_syncs_until_stopped_and_waits_out_a_server_gone_away(
    laptop: AppDirs, server: Server, tmp_path: Path
) -> None:
    env = {**os.environ, "TIMELYGATOR_PASSPHRASE": PASS, "TIMELYGATOR_SYNC_TOKEN": server.token}
    command = [
        sys.executable,
        "-m",
        "timelygator",
        "sync",
        "--server",
        server.url,
        "--interval",
        "1",
        "--data-dir",
        str(laptop.data),
    ]
    proc = subprocess.Popen(
        command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert proc.stdout is not None
    seen: list[str] = []

    def read_until(text: str) -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            seen.append(line)
            if text in line:
                return
        raise AssertionError(f"no {text!r} in {seen}")

    try:
        read_until("Synced: 2 event(s) sent")
        server.api.stop()
        read_until("cannot be reached")
        server.restart()
        read_until("Synced:")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
    assert server.token not in "".join(seen)
    assert len(server.rows()) == 2
    starts = sorted(r[1] for r in server.rows())
    assert starts == [DAY_US, DAY_US + 5 * MINUTE_US]
