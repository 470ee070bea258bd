"""``timelygator user …`` beside a running server: a new user's device writes with its own
token; disabling the user refuses that token within a second (data kept); enabling it
lets the same token in again."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.helpers.serve import ServeProcess, free_port

PASS = "user cli passphrase"
EVENT = {"timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {"app": "editor"}}


def tg(dirs: AppDirs, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timelygator", *args, "--data-dir", str(dirs.data)],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "TIMELYGATOR_PASSPHRASE": PASS},
    )  # fmt: skip


def wait_until(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``condition()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "condition not met in time"
        select.select([], [], [], 0.02)
    return time.monotonic() - start


@pytest.fixture
def server(dirs: AppDirs) -> Iterator[ServeProcess]:
    Services.open(dirs, PASS).close()
    serve = ServeProcess(dirs, free_port(), PASS)
    serve.start()
    yield serve
    serve.stop()


def test_a_user_from_creation_to_disabled_and_back_while_serving(
    server: ServeProcess, dirs: AppDirs
) -> None:
    created = tg(dirs, "user", "create", "bob")
    assert created.returncode == 0, created.stderr
    assert "User 'bob' created" in created.stdout
    assert "token create --user bob" in created.stdout
    made = tg(dirs, "token", "create", "--user", "bob", "--scope", "write", "--name", "laptop")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert "user 'bob'" in made.stderr

    base = f"http://127.0.0.1:{server.port}/api/0/buckets/bob-window"
    auth = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(headers=auth, timeout=10) as laptop:
        assert laptop.post(base, json={"type": "currentwindow", "client": "c"}).status_code == 200
        beat = f"{base}/heartbeat?pulsetime=1"
        assert laptop.post(beat, json=EVENT).status_code == 200

        listing = json.loads(tg(dirs, "user", "list", "--json").stdout)
        assert [(u["name"], u["disabled"], u["active_tokens"]) for u in listing] == [
            ("local", False, 0),
            ("bob", False, 1),
        ]
        disabled = tg(dirs, "user", "disable", "bob")
        assert disabled.returncode == 0, disabled.stderr
        assert "data is kept" in disabled.stdout
        took = wait_until(lambda: laptop.post(beat, json=EVENT).status_code == 403, 1.0)
        assert took < 1.0
        refused = laptop.get(f"{base}/events")
        assert refused.status_code == 403
        assert "'bob'" in refused.json()["message"]
        table = tg(dirs, "user", "list").stdout
        assert any(line.split()[1:2] == ["disabled"] for line in table.splitlines())
        tokens_table = tg(dirs, "token", "list", "--user", "bob").stdout
        assert "disabled" in tokens_table and "laptop" in tokens_table
        assert secret not in table + tokens_table

        enabled = tg(dirs, "user", "enable", "bob")
        assert enabled.returncode == 0, enabled.stderr
        events = laptop.get(f"{base}/events")  # at once: refusals are checked again
        assert events.status_code == 200
        assert [e["data"] for e in events.json()] == [{"app": "editor"}]


def test_mistakes_are_refused_with_what_to_do(dirs: AppDirs) -> None:
    Services.open(dirs, PASS).close()
    typo = tg(dirs, "token", "create", "--user", "bobb", "--scope", "write")
    assert typo.returncode == 1
    assert "There is no user 'bobb'" in typo.stderr
    assert "tg_" not in typo.stdout
    bad = tg(dirs, "user", "create", "bob smith")
    assert bad.returncode == 2
    assert "cannot be a user name" in bad.stderr
    own = tg(dirs, "user", "disable", "local")
    assert own.returncode == 2
    assert "cannot be disabled" in own.stderr
    assert tg(dirs, "user", "create", "bob").returncode == 0
    again = tg(dirs, "user", "create", "BOB")
    assert again.returncode == 1
    assert "already a user 'bob'" in again.stderr
    assert tg(dirs, "user", "disable", "bob").returncode == 0
    late = tg(dirs, "token", "create", "--user", "bob", "--scope", "read")
    assert late.returncode == 2
    assert "user enable bob" in late.stderr
