"""``timelygator serve`` configured by options and environment (core.api.server_config).

Options win over the environment, the environment over the defaults; a bad value is a
sentence naming where it came from; more than one worker is refused on SQLite; the database
URL (it may hold a password) is never repeated in a message.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from timelygator.core.api import server_config
from timelygator.core.api.server_config import ServerSettings, resolve
from timelygator.core.cli import build_parser
from timelygator.core.errors import ValidationError
from timelygator.core.logs import reset_logging, setup_logging
from timelygator.core.paths import resolve_dirs

PG_URL = "postgresql+psycopg://tg:s3cret-pw@db.example:5432/timelygator"


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def test_defaults_without_options_or_environment() -> None:
    settings = resolve(_args(), {})
    assert settings == ServerSettings("127.0.0.1", 5600, 1, "warning", None)
    assert settings.engine == "sqlite"
    assert settings.listen_socket is None


def test_the_environment_sets_everything() -> None:
    env = {
        "TIMELYGATOR_HOST": "0.0.0.0",
        "TIMELYGATOR_PORT": "8080",
        "TIMELYGATOR_WORKERS": "4",
        "TIMELYGATOR_LOG_LEVEL": "INFO",
        "TIMELYGATOR_DATABASE_URL": PG_URL,
    }
    settings = resolve(_args(), env)
    assert (settings.host, settings.port, settings.workers, settings.log_level) == (
        "0.0.0.0",
        8080,
        4,
        "info",
    )
    assert settings.database_url == PG_URL
    assert settings.engine == "postgresql"
    assert "s3cret" not in repr(settings)


def test_options_win_over_the_environment() -> None:
    env = {
        "TIMELYGATOR_HOST": "0.0.0.0",
        "TIMELYGATOR_PORT": "8080",
        "TIMELYGATOR_WORKERS": "4",
        "TIMELYGATOR_LOG_LEVEL": "debug",
        "TIMELYGATOR_DATABASE_URL": PG_URL,
    }
    args = _args("--host", "::1", "--port", "0", "--workers", "2", "--log-level", "error")
    settings = resolve(args, env)
    assert (settings.host, settings.port, settings.workers, settings.log_level) == (
        "::1",
        0,
        2,
        "error",
    )
    # --database-url (added beside this by the PostgreSQL work) wins over the variable too.
    args.database_url = "postgresql+psycopg://other@h/db"
    assert resolve(args, env).database_url == "postgresql+psycopg://other@h/db"


def test_an_empty_variable_counts_as_unset() -> None:
    env = {"TIMELYGATOR_HOST": "", "TIMELYGATOR_PORT": " ", "TIMELYGATOR_WORKERS": ""}
    assert resolve(_args(), env) == ServerSettings()


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ((), {"TIMELYGATOR_PORT": "http"}, "TIMELYGATOR_PORT must be a whole number from 0 to"),
        (("--port", "70000"), {}, "--port must be a whole number from 0 to 65535"),
        ((), {"TIMELYGATOR_PORT": "-1"}, "it is -1."),
        ((), {"TIMELYGATOR_WORKERS": "0"}, "TIMELYGATOR_WORKERS must be a whole number from 1"),
        ((), {"TIMELYGATOR_WORKERS": "two"}, "it is 'two'"),
        (("--workers", "65"), {}, "--workers must be a whole number from 1 to 64"),
        ((), {"TIMELYGATOR_LOG_LEVEL": "loud"}, "TIMELYGATOR_LOG_LEVEL must be one of debug"),
        (("--log-level", "trace"), {}, "--log-level must be one of"),
        ((), {"TIMELYGATOR_HOST": "0.0.0.0 8080"}, "TIMELYGATOR_HOST must be one address"),
    ],
)
def test_bad_values_are_clear_errors(
    argv: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")) as info:
        resolve(_args(*argv), env)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("argv", "env", "source"),
    [
        (("--workers", "2"), {}, "(--workers)"),
        ((), {"TIMELYGATOR_WORKERS": "3"}, "(TIMELYGATOR_WORKERS)"),
        (("--workers", "2"), {"TIMELYGATOR_DATABASE_URL": "sqlite:///x.db"}, "a sqlite database"),
    ],
)
def test_several_workers_are_refused_on_sqlite(
    argv: tuple[str, ...], env: dict[str, str], source: str
) -> None:
    with pytest.raises(ValidationError) as info:
        resolve(_args(*argv), env)
    text = str(info.value)
    assert source in text
    assert "need a PostgreSQL database" in text
    assert "one writer" in text and "--workers 1" in text and "--database-url" in text


def test_several_workers_are_allowed_on_postgresql() -> None:
    settings = resolve(_args("--workers", "3"), {"TIMELYGATOR_DATABASE_URL": PG_URL})
    assert settings.workers == 3


def test_a_database_url_that_cannot_be_read_is_not_repeated() -> None:
    bad = "postgresql+psycopg://tg:s3cret-pw@db:notaport/x"
    with pytest.raises(ValidationError) as info:
        resolve(_args("--workers", "2"), {"TIMELYGATOR_DATABASE_URL": bad})
    assert "cannot be read" in str(info.value)
    assert "s3cret" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_worker_process_serves_one_process_whatever_the_environment() -> None:
    args = _args()
    setattr(args, server_config.WORKER_ATTR, object())
    env = {"TIMELYGATOR_WORKERS": "4", "TIMELYGATOR_DATABASE_URL": PG_URL}
    assert resolve(args, env).workers == 1


def test_the_log_level_sets_what_the_console_shows(tmp_path: Path) -> None:
    setup_logging(resolve_dirs(tmp_path / "data"), "serve")
    try:
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_timelygator", False)]
        console = next(h for h in ours if not isinstance(h, logging.FileHandler))
        log_file = next(h for h in ours if isinstance(h, logging.FileHandler))
        assert console.level == logging.WARNING
        server_config.apply_log_level("info")
        assert (console.level, log_file.level) == (logging.INFO, logging.INFO)
        server_config.apply_log_level("debug")
        assert (console.level, log_file.level) == (logging.DEBUG, logging.DEBUG)
        assert logging.getLogger().level == logging.DEBUG
        server_config.apply_log_level("error")
        assert (console.level, log_file.level) == (logging.ERROR, logging.INFO)
        server_config.apply_log_level("critical", verbose=True)  # -v shows everything: kept
        assert console.level == logging.ERROR
    finally:
        reset_logging()


def _serve(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; from timelygator.core.cli import build_parser, run; "
        "sys.exit(run(build_parser().parse_args(sys.argv[1:])))"
    )
    environ: dict[str, Any] = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", code, "serve", *argv],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_serve_refuses_several_workers_on_sqlite_before_it_opens_anything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = _serve("--workers", "2", TIMELYGATOR_DATA_DIR=str(data))
    assert done.returncode == 2
    assert "2 workers (--workers) need a PostgreSQL database" in done.stderr
    assert "Nothing was started" in done.stderr
    assert not data.exists()  # no folder, key or database was made
    done = _serve(TIMELYGATOR_DATA_DIR=str(data), TIMELYGATOR_WORKERS="2")
    assert done.returncode == 2
    assert "(TIMELYGATOR_WORKERS)" in done.stderr


def test_serve_names_the_variable_that_is_wrong(tmp_path: Path) -> None:
    done = _serve(TIMELYGATOR_DATA_DIR=str(tmp_path / "d"), TIMELYGATOR_PORT="eighty")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "timelygator: TIMELYGATOR_PORT must be a whole number from 0 to 65535 (0 picks any "
        "free port); it is 'eighty'."
    )
