"""``timelygator token …`` works while the server runs on the same data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.helpers.serve import ServeProcess, free_port

PASS = "token cli passphrase"


def tg(dirs: AppDirs, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args, "--data-dir", str(dirs.data)],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS},
    )  # fmt: skip


@pytest.fixture
def server(dirs: AppDirs) -> Iterator[ServeProcess]:
    Services.open(dirs, PASS).close()
    serve = ServeProcess(dirs, free_port(), PASS)
    serve.start()
    yield serve
    serve.stop()


def test_create_list_revoke_while_serving(server: ServeProcess, dirs: AppDirs) -> None:
    created = tg(dirs, "token", "create", "--scope", "read", "--name", "script")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("tg_")
    assert "not shown again" in created.stderr
    url = f"http://127.0.0.1:{server.port}/api/0/buckets/"
    assert httpx.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    other = tg(dirs, "token", "create", "--scope", "write", "--name", "to revoke").stdout.strip()
    listing = tg(dirs, "token", "list")
    assert listing.returncode == 0
    assert "script" in listing.stdout and "to revoke" in listing.stdout
    assert secret not in listing.stdout and other not in listing.stdout
    token_id = next(
        line.split()[0] for line in listing.stdout.splitlines() if line.endswith("to revoke")
    )
    revoked = tg(dirs, "token", "revoke", token_id)
    assert revoked.returncode == 0, revoked.stderr
    assert httpx.get(url, headers={"Authorization": f"Bearer {other}"}).status_code == 401


def test_create_on_a_new_folder_creates_the_database(dirs: AppDirs) -> None:
    created = tg(dirs, "token", "create", "--scope", "admin")
    assert created.returncode == 0, created.stderr
    assert dirs.database.exists()
    assert "admin" in tg(dirs, "token", "list").stdout
