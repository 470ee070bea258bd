"""``timelygator db downgrade REV`` / ``db upgrade`` / ``db history`` as a user runs them: real
processes on a data folder (SQLite) and on a throwaway PostgreSQL database."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Engine, Table, create_engine, insert, text
from sqlalchemy.engine import make_url
from timelygator.core import models, schema_change
from timelygator.core.errors import DatabaseLockedError
from timelygator.core.event import Event
from timelygator.core.keys import KeyStore
from timelygator.core.locks import FolderLock
from timelygator.core.paths import AppDirs
from timelygator.core.schema import SCHEMA_VERSION
from timelygator.core.services import Services
from timelygator.core.sql_dialect import user_version
from timelygator.core.store import Store

from tests.helpers import postgres
from tests.helpers.cli import run_cli, run_on_terminal
from tests.helpers.schema_walk import project, user_rows

PASS = "schema cli passphrase"
S = 1_000_000
T0 = 1_760_000_000 * S


@pytest.fixture
def folder(dirs: AppDirs) -> AppDirs:
    with Services.open(dirs, PASS) as services:
        key = services.ensure_bucket(
            "aw-watcher-window_h", type="currentwindow", client="t", hostname="h"
        )
        events = [
            Event(T0 + i * 60 * S, T0 + i * 60 * S + 50 * S, {"app": "editor"}) for i in range(30)
        ]
        services.writer.insert_events(key, events).result()
    return dirs


def rows_and_version(
    dirs: AppDirs, path: Path | None = None
) -> tuple[int, dict[str, list[tuple[object, ...]]]]:
    """The schema and the user's rows of the folder's database (or of the copy at ``path``)."""
    store = Store(
        path or dirs.database, KeyStore(dirs).load(PASS)[0], access="immutable" if path else "read"
    )
    try:
        version = store.user_version()
        with store.connect() as conn:
            return version, user_rows(conn, version)
    finally:
        store.engine.dispose()


def line_starting(output: str, prefix: str) -> str:
    found = [line for line in output.splitlines() if line.startswith(prefix)]
    assert found, f"no line starts with {prefix!r} in:\n{output}"
    return found[0]


def test_downgrade_backs_up_moves_and_says_who_reads_it_then_upgrade_brings_it_back(
    folder: AppDirs,
) -> None:
    version, before = rows_and_version(folder)
    assert version == SCHEMA_VERSION and len(before["events"]) == 30
    done = run_cli(folder, PASS, "db", "downgrade", "0004")
    assert done.returncode == 0, done.stderr
    backup = Path(line_starting(done.stdout, "Backup (verified): ").split(": ", 1)[1])
    assert backup.parent == folder.backups
    assert rows_and_version(folder, backup) == (SCHEMA_VERSION, before)  # a complete copy
    assert f"Downgraded {folder.database} from schema 6 to 4 (" in done.stdout
    assert (
        "Schema 4 is read by builds of TimelyGator 0.1.0 made before revision 0005." in done.stdout
    )
    assert "or 'timelygator db upgrade') upgrades it to schema 6 again, after a backup." in (
        done.stdout
    )
    assert f"timelygator restore {backup}" in done.stdout
    assert rows_and_version(folder) == (4, project(before, 4))

    history = run_cli(folder, PASS, "db", "history")
    assert history.returncode == 0, history.stderr
    assert line_starting(history.stdout, "  0004  ").endswith("<- the database")
    assert f"{folder.database} is at schema 4." in history.stdout

    up = run_cli(folder, PASS, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    assert f"Upgraded {folder.database} from schema 4 to 6" in up.stdout
    second = Path(line_starting(up.stdout, "Backup (verified): ").split(": ", 1)[1])
    assert second != backup and rows_and_version(folder, second) == (4, project(before, 4))
    assert rows_and_version(folder) == (SCHEMA_VERSION, before)
    again = run_cli(folder, PASS, "db", "upgrade")
    assert again.returncode == 0, again.stderr
    assert "is at schema 6 already; nothing was changed" in again.stdout


def test_downgrade_is_refused_while_timelygator_holds_the_folder(folder: AppDirs) -> None:
    with FolderLock.acquire(folder):  # as the app, serve or watch hold it
        done = run_cli(folder, PASS, "db", "downgrade", "5")
    assert done.returncode == 3
    assert "TimelyGator is running on" in done.stderr
    assert "Quit it first, then run 'timelygator db downgrade' again. Nothing was changed." in (
        done.stderr
    )
    assert rows_and_version(folder)[0] == SCHEMA_VERSION
    assert not folder.backups.exists() or list(folder.backups.iterdir()) == []


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("9", "There is no schema revision '9'"),
        ("0", "There is no schema revision '0'"),
        ("latest", "There is no schema revision 'latest'"),
    ],
)
def test_an_unknown_revision_is_refused_clearly(
    folder: AppDirs, revision: str, message: str
) -> None:
    done = run_cli(folder, PASS, "db", "downgrade", revision)
    assert done.returncode == 2
    assert message in done.stderr and "'timelygator db history' lists them" in done.stderr
    assert rows_and_version(folder)[0] == SCHEMA_VERSION


def test_downgrade_names_revisions_as_users_see_them_and_never_goes_up(folder: AppDirs) -> None:
    done = run_cli(folder, PASS, "db", "downgrade", "0005_analytics_values")
    assert done.returncode == 0, done.stderr
    assert rows_and_version(folder)[0] == 5
    same = run_cli(folder, PASS, "db", "downgrade", "5")
    assert same.returncode == 0 and "is at schema 5 already; nothing was changed" in same.stdout
    up = run_cli(folder, PASS, "db", "downgrade", "6")
    assert up.returncode == 2
    assert "'db downgrade' goes to an older one, 'db upgrade' to the newest" in up.stderr
    assert rows_and_version(folder)[0] == 5


# -- PostgreSQL ------------------------------------------------------------------------------------
SECRET = "pw-never-shown-31415"


BUCKETS = cast(Table, models.Bucket.__table__)


def pg_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return user_version(conn)


def shown(url: str) -> str:
    """How the commands name a PostgreSQL database (no user, no password)."""
    parsed = make_url(url)
    return f"the PostgreSQL database {parsed.database!r} on {parsed.host}:{parsed.port}"


def test_postgresql_downgrade_prints_the_pg_dump_command_and_asks_first(
    pg_url: str, dirs: AppDirs, tmp_path: Path
) -> None:
    url = pg_url  # a server's database, made by Services.open_server
    engine = create_engine(url)
    dirs.data.mkdir(parents=True)  # so the command writes its log file there
    try:
        with engine.begin() as conn:
            conn.execute(insert(BUCKETS).values(user_id=1, name="w", created_us=1))
        # The throwaway cluster trusts local connections: the password is only there to be hidden.
        with_password = url.replace("timelygator@", f"timelygator:{SECRET}@")

        refused = run_cli(dirs, PASS, "db", "downgrade", "5", "--database-url", with_password)
        assert refused.returncode == 2
        assert "No terminal to confirm the change: add --yes" in refused.stderr
        assert pg_version(engine) == SCHEMA_VERSION
        dump = line_starting(refused.stdout, "  pg_dump ").strip()
        assert SECRET not in refused.stdout + refused.stderr
        # The command is printed exactly as it runs: run it (pg_dump from the server's folder).
        bindir = postgres.server_bin()
        assert bindir is not None
        argv = shlex.split(dump)
        made = subprocess.run(
            [str(bindir / "pg_dump"), *argv[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert made.returncode == 0, made.stderr
        dumped = [p for p in tmp_path.iterdir() if p.name.startswith("timelygator-schema6-")]
        assert len(dumped) == 1 and dumped[0].stat().st_size > 0

        env = {"TIMELYGATOR_DATABASE_URL": with_password}
        done = run_cli(dirs, PASS, "db", "downgrade", "5", "--yes", env=env)
        assert done.returncode == 0, done.stderr
        assert f"Downgraded {shown(url)} from schema 6 to 5" in done.stdout
        assert "on it ('timelygator serve --database-url …', or 'timelygator db upgrade" in (
            done.stdout
        )
        assert SECRET not in done.stdout + done.stderr
        assert pg_version(engine) == 5
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM buckets")).scalars().all() == ["w"]

        history = run_cli(dirs, PASS, "db", "history", env=env)
        assert history.returncode == 0, history.stderr
        assert line_starting(history.stdout, "  0005  ").endswith("<- the database")
        up = run_cli(dirs, PASS, "db", "upgrade", "--yes", env=env)
        assert up.returncode == 0, up.stderr
        assert pg_version(engine) == SCHEMA_VERSION
        assert not dirs.database.exists()  # the data folder was never touched
        logs = [p.read_text(encoding="utf-8") for p in dirs.data.rglob("*.log")]
        assert logs and all(SECRET not in log for log in logs)
    finally:
        engine.dispose()


@pytest.mark.parametrize(("answer", "version"), [("n", SCHEMA_VERSION), ("y", 5)])
def test_postgresql_change_asks_on_a_terminal(
    pg_url: str, dirs: AppDirs, answer: str, version: int
) -> None:
    engine = create_engine(pg_url)
    args = ["db", "downgrade", "5", "--database-url", pg_url, "--data-dir", str(dirs.data)]
    code, output = run_on_terminal(args, "[y/N] ", answer)
    assert f"Move {shown(pg_url)} from schema 6 to 5? [y/N]" in output
    if answer == "n":
        assert code == 2 and "Not confirmed. Nothing was changed." in output
    else:
        assert code == 0 and "Downgraded" in output
    assert pg_version(engine) == version
    engine.dispose()


def test_postgresql_change_behind_a_table_in_use_is_refused_and_changes_nothing(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session holding ``users`` (a running server's open transaction) makes the downgrade
    give up after ``LOCK_WAIT_S`` with a clear message, instead of waiting for as long."""
    monkeypatch.setattr(schema_change, "LOCK_WAIT_S", 1)
    url = pg_url
    engine = create_engine(url)
    try:
        with engine.connect() as holder, holder.begin():
            holder.execute(text("SELECT count(*) FROM users")).scalar_one()  # holds it
            with (
                schema_change.ServerDatabase(url) as server,
                pytest.raises(DatabaseLockedError, match="is in use: another session held"),
            ):
                server.change(5, downgrade=True)
        with schema_change.ServerDatabase(url) as server:
            assert server.version() == SCHEMA_VERSION
    finally:
        engine.dispose()
