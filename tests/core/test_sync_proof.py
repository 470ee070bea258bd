"""Issue 18's proof: two data folders (two computers) sync with one real ``timelygator
serve`` through a server killed mid-stream (SIGKILL) and restarted; afterwards the server
holds every event exactly once, each device sees both devices' events and hosts, and
syncing again changes nothing. What the privacy settings exclude or redact never reaches
the server; a wrong token is a clear error that does not show it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from timelygator.core import tokens
from timelygator.core.errors import SyncError
from timelygator.core.paths import AppDirs, resolve_dirs
from timelygator.core.services import Services
from timelygator.core.sync.protocol import device_suffix

from tests.helpers.cli import run_cli
from tests.helpers.serve import ServeProcess, free_port
from tests.helpers.sync import Device, FailingTransport, Row, ids_of, rows_of

SERVER_PASS = "sync proof server passphrase"
DEVICE_PASS = "sync proof device passphrase"
SECRET_TITLE = "Card 1234-5678 statement"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[ServeProcess, str]]:
    dirs = resolve_dirs(tmp_path / "server")
    with Services.open(dirs, SERVER_PASS) as services:
        token = tokens.create(services.writer, services.user_id, "write", "laptop").result()
    server = ServeProcess(dirs, free_port(), SERVER_PASS)
    server.start()
    yield server, token.secret
    server.stop()


def fill(device: Device, windows: int, offset: int) -> None:
    """A day of activity: ``windows`` window events, an away event every tenth."""
    for i in range(windows):
        app, title = ("editor", f"file {i}.py") if i % 3 else ("browser", f"page {i}")
        device.window(offset + i, 1, app, title)
        if i % 10 == 0:
            device.away(offset + i, 10, "afk" if i % 20 else "not-afk")


def server_rows(dirs: AppDirs) -> list[Row]:
    with Services.open_reader(dirs, SERVER_PASS) as services:
        return rows_of(services)


def server_ids(dirs: AppDirs) -> list[tuple[str, int, int, int]]:
    with Services.open_reader(dirs, SERVER_PASS) as services:
        return ids_of(services)


def expected_on_server(rows: list[Row], device_id: str) -> list[Row]:
    """A device's own rows as the server must hold them: its ids, privacy rules applied."""
    out = []
    for name, start, end, offset, data in rows:
        if "KeePass" in data:
            continue
        out.append(
            (
                name + device_suffix(device_id),
                start,
                end,
                offset,
                data.replace("1234-5678", "[redacted]"),
            )
        )
    return sorted(out)


def sync_cli(device_dirs: AppDirs, url: str, token_file: Path) -> subprocess.CompletedProcess[str]:
    """``timelygator sync --once`` on a device's folder, as a person types it."""
    return run_cli(
        device_dirs, DEVICE_PASS, "sync", "--once", "--server", url, "--token-file", str(token_file)
    )


@pytest.mark.slow
def test_two_devices_sync_through_a_killed_server(
    serve: tuple[ServeProcess, str], tmp_path: Path
) -> None:
    server, token = serve
    url = f"http://127.0.0.1:{server.port}"
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n", encoding="utf-8")
    laptop = Device.open(tmp_path, "laptop", DEVICE_PASS)
    desktop = Device.open(tmp_path, "desktop", DEVICE_PASS)
    laptop.privacy(excluded_apps=["keepass*"], title_redactions=[r"\d{4}-\d{4}"])
    fill(laptop, 130, 0)
    laptop.window(200, 2, "KeePassXC", "Passwords")
    laptop.window(203, 2, "browser", SECRET_TITLE)
    fill(desktop, 95, 300)

    # The laptop: the server is killed right after it stored the 4th page (its answer never
    # comes back), then started again; the desktop: killed before its 3rd page arrives.
    laptop_cut = FailingTransport(after={4}, on_fail=server.kill)
    sync_laptop = laptop.engine(url, token, page_size=20, transport=laptop_cut)
    with pytest.raises(SyncError, match="cannot be reached"):
        sync_laptop.sync_once()
    server.start()
    desktop_cut = FailingTransport(before={3}, on_fail=server.kill)
    sync_desktop = desktop.engine(url, token, page_size=20, transport=desktop_cut)
    with pytest.raises(SyncError, match="cannot be reached"):
        sync_desktop.sync_once()
    assert (laptop_cut.failed, desktop_cut.failed) == ([4], [3])
    server.start()
    partial = server_rows(server.dirs)
    assert 0 < len(partial) < len(laptop.rows()) + len(desktop.rows())
    sync_laptop.sync_once()
    sync_desktop.sync_once()

    laptop_id, desktop_id = sync_laptop.device_id, sync_desktop.device_id
    # Their own rows (the laptop has pulled the desktop's first pages already).
    laptop_own = [r for r in laptop.rows() if "@" not in r[0]]
    desktop_own = [r for r in desktop.rows() if "@" not in r[0]]
    laptop.close()
    desktop.close()

    # Every event once, exactly as each device has it (after its privacy rules).
    expected = sorted(
        expected_on_server(laptop_own, laptop_id) + expected_on_server(desktop_own, desktop_id)
    )
    held = server_rows(server.dirs)
    assert held == expected
    assert len(held) == len(laptop_own) - 1 + len(desktop_own)
    text = json.dumps(held)
    assert "KeePass" not in text and "1234-5678" not in text and "[redacted]" in text

    # Each device, through the command line: sends nothing new, pulls the other's buckets.
    for host in ("laptop", "desktop"):
        done = sync_cli(resolve_dirs(tmp_path / host), url, token_file)
        assert done.returncode == 0, done.stderr
        assert "0 event(s) not on the server yet" in done.stdout
    before = server_ids(server.dirs)
    for host, other in (("laptop", "desktop"), ("desktop", "laptop")):
        with Services.open_reader(resolve_dirs(tmp_path / host), DEVICE_PASS) as device:
            assert {b.host for b in device.buckets()} == {"laptop", "desktop"}
            pulled = [r for r in rows_of(device) if "@" in r[0]]
            assert pulled == [r for r in held if f"_{other}@" in r[0]]

    # Syncing again, both ways, changes nothing on the server.
    for host in ("laptop", "desktop"):
        assert sync_cli(resolve_dirs(tmp_path / host), url, token_file).returncode == 0
    assert server_ids(server.dirs) == before

    # A wrong token: a clear error, the token nowhere in the output or the log.
    wrong = tmp_path / "wrong"
    wrong_token = "tg_thisisnotarealtokenatall0000"
    wrong.write_text(wrong_token, encoding="utf-8")
    refused = sync_cli(resolve_dirs(tmp_path / "laptop"), url, wrong)
    assert refused.returncode == 4
    assert "refused the token" in refused.stderr and "Settings → Sync" in refused.stderr
    assert wrong_token not in refused.stdout + refused.stderr
    logs = resolve_dirs(tmp_path / "laptop").logs
    assert wrong_token not in "".join(p.read_text() for p in logs.glob("*.log*"))
    assert token not in "".join(p.read_text() for p in logs.glob("*.log*"))
