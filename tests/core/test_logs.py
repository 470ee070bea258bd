"""Log files people can send: each process writes a rotating, owner-only file in the log
folder; keys, passphrases, tokens, window titles and URLs never reach it (titles and URLs
only when the user opted in); ``timelygator logs`` says where the files are."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

from timelygator.core import logs
from timelygator.core.paths import AppDirs, resolve_dirs

from tests.helpers.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
PASS = "log test passphrase 7d1f"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_command_writes_its_log_file_without_the_token_or_passphrase(dirs: AppDirs) -> None:
    created = run_cli(dirs, PASS, "token", "create", "--scope", "read", "--name", "ci", "-v")
    assert created.returncode == 0, created.stderr[-2000:]
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("tg_")
    listed = run_cli(dirs, PASS, "token", "list", "-v")
    assert listed.returncode == 0, listed.stderr[-2000:]

    log_file = dirs.logs / "cli.log"
    assert dirs.logs == dirs.data / "logs"  # --data-dir keeps the logs in the folder too
    assert _mode(log_file) == 0o600 and _mode(dirs.logs) == 0o700
    text = log_file.read_text(encoding="utf-8")
    assert "timelygator" in text and " token" in text  # each run is in it
    assert token not in text and token[3:20] not in text
    assert PASS not in text
    for output in (created.stderr, listed.stdout, listed.stderr):
        assert PASS not in output


def test_watch_logs_no_titles_unless_the_user_allows_it(dirs: AppDirs, tmp_path: Path) -> None:
    from timelygator.core.preferences import load_preferences, save_preferences
    from timelygator.core.services import Services

    def watch() -> str:
        script = tmp_path / "windows.json"
        title = "invoice 4711 for ACME - https://bank.example/acct"
        script.write_text(json.dumps([["editor", title, 3]]), encoding="utf-8")
        env = {**os.environ, "TIMELYGATOR_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)}
        result = subprocess.run(
            [sys.executable, "-m", "tests.helpers.fake_watch", str(script), "--data-dir",
             str(dirs.data), "--no-afk", "--no-web", "--poll", "0.1", "-v"],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        return (dirs.logs / "watch.log").read_text(encoding="utf-8")

    Services.open(dirs, PASS).close()
    text = watch()
    assert "starting watchers: window" in text
    assert "active window: {'app': '[hidden]', 'title': '[hidden]'}" in text
    assert "4711" not in text and "bank.example" not in text and PASS not in text

    with Services.open(dirs, PASS) as services:
        with services.read() as conn:
            prefs = load_preferences(conn, services.user_id)
        prefs.general.log_titles = True
        save_preferences(services.writer, services.user_id, prefs).result(10)
    text = watch()  # the same file, appended to
    assert "'title': 'invoice 4711 for ACME - https://bank.example/acct'" in text
    assert PASS not in text
    assert _mode(dirs.logs / "watch.log") == 0o600


def test_the_log_rotates_and_every_file_stays_private(tmp_path: Path) -> None:
    dirs = resolve_dirs(tmp_path / "data")
    dirs.data.mkdir(mode=0o700)
    path = logs.setup_logging(dirs, "serve")
    assert path == dirs.logs / "serve.log"
    log = logging.getLogger("tests.rotation")
    line = "x" * 1000
    for i in range(6 * logs.MAX_BYTES // 1000 + 100):
        log.info("%d %s", i, line)
    logs.reset_logging()
    names = sorted(p.name for p in dirs.logs.iterdir())
    assert names == ["serve.log", *(f"serve.log.{n}" for n in range(1, logs.BACKUPS + 1))]
    for p in dirs.logs.iterdir():
        assert _mode(p) == 0o600
        assert p.stat().st_size <= logs.MAX_BYTES + 2000


def test_no_log_folder_appears_for_a_data_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = run_cli(resolve_dirs(missing), PASS, "db", "check")
    assert result.returncode != 0
    assert "no TimelyGator database" in result.stderr
    assert not missing.exists()


def test_timelygator_logs_says_where_the_files_are(dirs: AppDirs) -> None:
    dirs.data.mkdir(mode=0o700)
    result = run_cli(dirs, PASS, "logs")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == str(dirs.logs)
    assert any(line.strip().startswith("cli.log") for line in lines[1:])
    helped = run_cli(dirs, PASS, "--help")
    assert "'timelygator logs' says where they are" in " ".join(helped.stdout.split())


def test_the_scrubber_hides_secrets_always_and_activity_by_default() -> None:
    scrub = logs.Scrubber()
    scrub.add_secret("correct horse battery")
    key = "ab" * 32
    secret_lines = {
        "unlock with correct horse battery failed": "unlock with [hidden] failed",
        "Authorization: Bearer tg_AbCdEfGhIjKlMnOp": "Authorization: [hidden]",
        "header bearer tg_AbCdEfGhIjKlMnOp": "header bearer [hidden]",
        "made tg_AbCdEfGhIjKlMnOpQrStUv": "made [hidden]",
        f"PRAGMA key = \"x'{key}'\"": "PRAGMA key = \"x'[hidden]'\"",
        "passphrase=hunter22 given": "passphrase=[hidden] given",
        "{'passphrase': 'a b c'}": "{'passphrase': '[hidden]'}",
    }
    for raw, clean in secret_lines.items():
        assert scrub(raw) == clean
    activity = (
        "heartbeat Event(start_us=1, data={'app': 'KeePassXC', 'title': \"Bank 'main'\", "
        "'url': 'https://bank.example/a?b=1'}) and https://news.example/x"
    )
    hidden = scrub(activity)
    for word in ("KeePassXC", "Bank", "bank.example", "news.example"):
        assert word not in hidden
    assert "'title': '[hidden]'" in hidden
    assert scrub("API listening on http://127.0.0.1:5600") == (
        "API listening on http://127.0.0.1:5600"
    )
    scrub.log_titles = True
    shown = scrub(activity)
    assert "KeePassXC" in shown and "https://bank.example/a?b=1" in shown
    assert scrub("with correct horse battery") == "with [hidden]"  # secrets: always
