"""Stock ActivityWatch tools with a token: ``timelygator token create --for-activitywatch``
writes it where a current aw-client looks for a local server's key; read back that way, it
works against the real server. Never over an ActivityWatch server's own config unasked."""

from __future__ import annotations

import json
import stat
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from timelygator.core import aw_config, tokens
from timelygator.core.paths import AppDirs
from timelygator.core.services import Services

from tests.helpers.aw_client_key import local_server_api_key
from tests.helpers.cdp import wait_for
from tests.helpers.cli import run_cli
from tests.helpers.serve import ServeProcess, free_port

PASS = "activitywatch tools passphrase"


def tg(dirs: AppDirs, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(dirs, PASS, *args)


def get(port: int, path: str, key: str | None, body: object = None) -> tuple[int, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {key}"} if key else {})},
        method="GET" if body is None else "POST",
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def serve(dirs: AppDirs) -> Iterator[ServeProcess]:
    Services.open(dirs, PASS).close()
    server = ServeProcess(dirs, free_port(), PASS)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_key_is_found_as_aw_client_finds_it_and_works(
    serve: ServeProcess, dirs: AppDirs
) -> None:
    port = serve.port
    assert local_server_api_key("127.0.0.1", port) is None
    assert get(port, "/api/0/buckets/", None)[0] == 401
    made = tg(dirs, "token", "create", "--for-activitywatch", "--port", str(port))
    assert made.returncode == 0, made.stderr
    path = aw_config.config_dir() / "config.toml"
    assert str(path) in made.stdout and "restart them" in made.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = local_server_api_key("127.0.0.1", port)
    assert key is not None and key.startswith("tg_")
    assert key not in made.stdout + made.stderr  # the secret is in the file only
    assert local_server_api_key("localhost", port) == key
    assert local_server_api_key("example.com", port) is None
    # What a watcher does with it: create its bucket, send heartbeats, read them back.
    bucket = "/api/0/buckets/aw-watcher-afk_h"
    assert get(port, bucket, key, {"client": "aw-watcher-afk", "type": "afkstatus"})[0] == 200
    beat = {"timestamp": "2024-05-01T10:00:00Z", "duration": 0, "data": {"status": "not-afk"}}
    assert get(port, bucket + "/heartbeat?pulsetime=185", key, beat)[0] == 200
    status, events = get(port, bucket + "/events", key)
    assert status == 200 and isinstance(events, list)
    assert [e["data"] for e in events] == [{"status": "not-afk"}]

    # Again: the file is TimelyGator's, so it is replaced, and the old key stops working.
    again = tg(dirs, "token", "create", "--for-activitywatch", "--port", str(port))
    assert again.returncode == 0, again.stderr
    assert "previous token for ActivityWatch tools was revoked" in again.stdout
    newer = local_server_api_key("127.0.0.1", port)
    assert newer not in (None, key)
    assert get(port, "/api/0/buckets/", newer)[0] == 200
    # The old key was revoked by another process: the running server refuses it within 1 s.
    refused = wait_for(lambda: (answer := get(port, "/api/0/buckets/", key))[0] == 401
                       and answer, 1.0, "the old key refused")  # fmt: skip
    assert "--for-activitywatch" in refused[1]["message"]


def test_an_activitywatch_server_config_is_never_replaced_unasked(dirs: AppDirs) -> None:
    Services.open(dirs, PASS).close()
    folder = aw_config.config_dir()
    folder.mkdir(parents=True)
    theirs = 'port = 5600\n\n[auth]\napi_key = "their-own-key"\n'
    (folder / "config.toml").write_text(theirs, encoding="utf-8")
    refused = tg(dirs, "token", "create", "--for-activitywatch")
    assert refused.returncode == 1
    assert "was not written by TimelyGator" in refused.stderr and "--yes" in refused.stderr
    assert (folder / "config.toml").read_text(encoding="utf-8") == theirs
    with Services.open(dirs, PASS) as services, services.read() as conn:
        assert tokens.list_tokens(conn) == []  # no token left behind
    replaced = tg(dirs, "token", "create", "--for-activitywatch", "--yes")
    assert replaced.returncode == 0, replaced.stderr
    kept = [p for p in folder.iterdir() if p.name.startswith("config.toml.before-timelygator-")]
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == theirs
    assert local_server_api_key("127.0.0.1", 5600) not in (None, "their-own-key")
    # The testing port has a file of its own.
    testing = tg(dirs, "token", "create", "--for-activitywatch", "--port", "5666")
    assert testing.returncode == 0, testing.stderr
    assert (folder / "config-testing.toml").exists()
    assert local_server_api_key("127.0.0.1", 5666) not in (None, "their-own-key")
    assert aw_config.written_by_us(folder / "config.toml")


def test_a_token_for_activitywatch_is_a_write_token_named_for_them(dirs: AppDirs) -> None:
    made = tg(dirs, "token", "create", "--for-activitywatch", "--scope", "admin")
    assert made.returncode == 2 and "write-scope token" in made.stderr
    assert tg(dirs, "token", "create").returncode == 2  # no scope, no --for-activitywatch
    assert tg(dirs, "token", "create", "--for-activitywatch").returncode == 0
    listing = json.loads(tg(dirs, "token", "list", "--json").stdout)
    assert [(t["name"], t["scope"]) for t in listing] == [("ActivityWatch tools", "write")]


def test_the_file_holds_nothing_but_port_and_key(dirs: AppDirs, tmp_path: Path) -> None:
    path = tmp_path / "aw" / "config.toml"
    aw_config.write_key(path, "tg_" + "k" * 43, 5611)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(aw_config.MARKER)
    import tomllib

    assert tomllib.loads(text) == {"port": 5611, "auth": {"api_key": "tg_" + "k" * 43}}
