"""Suite-wide isolation: no test reads the developer's real config, data or keyring.

Every test gets its own data directory (``TIMELYGATOR_DATA_DIR``), HOME and XDG
directories under its tmp_path, an in-memory keyring, and cheap scrypt parameters.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from timelygator.core.logs import reset_logging
from timelygator.core.paths import AppDirs, resolve_dirs
from timelygator.core.services import Services

from tests.helpers import postgres
from tests.helpers.keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MemoryKeyring]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.setenv("TIMELYGATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TIMELYGATOR_PASSPHRASE", raising=False)
    monkeypatch.setattr("timelygator.core.keys.SCRYPT_N", 2**14)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
    reset_logging()  # an entry point run in-process installed its log file


@pytest.fixture
def memory_keyring(_isolated_environment: MemoryKeyring) -> MemoryKeyring:
    """The in-memory keyring this test runs with."""
    return _isolated_environment


@pytest.fixture
def dirs(tmp_path: Path) -> AppDirs:
    """This test's own data directory."""
    return resolve_dirs(tmp_path / "data")


@pytest.fixture
def services(dirs: AppDirs) -> Iterator[Services]:
    """This test's data directory, opened (its key in the in-memory keyring); commits are
    grouped for at most 50 ms, so a test waiting for one waits little."""
    with Services.open(dirs, None, max_delay=0.05) as opened:
        yield opened


# -- PostgreSQL (server mode) ---------------------------------------------------------------
PG_TEMPLATE = "timelygator_template"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    """One throwaway PostgreSQL cluster for the whole session (started when first asked
    for); skips the test, saying why, where PostgreSQL is not installed."""
    if postgres.server_bin() is None:
        pytest.skip("PostgreSQL is not installed (Debian: postgresql)")
    with postgres.temporary_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_template(pg_cluster: postgres.Cluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The name of a database migrated to the current schema with its local user, which
    nobody stays connected to (a template for ``pg_url``)."""
    pg_cluster.create_database(PG_TEMPLATE)
    dirs = resolve_dirs(tmp_path_factory.mktemp("pg-template"))
    Services.open_server(pg_cluster.url(PG_TEMPLATE), dirs).close()
    return PG_TEMPLATE


@pytest.fixture
def pg_url(pg_cluster: postgres.Cluster, pg_template: str) -> str:
    """The URL of a database of this test's own, migrated (a copy of ``pg_template``)."""
    return pg_cluster.create_database(f"t{uuid.uuid4().hex}", template=pg_template)
