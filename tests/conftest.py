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

# Tests that share the one X display (its active window, its input) or the session's sway
# run on one xdist worker, one after another; everything else is spread over the workers
# (``python -m tests`` runs ``-n N --dist loadgroup``, see tests/__main__.py).
_DESKTOP_FIXTURES = frozenset({"x11_display", "test_window", "sway", "sway_session"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            item.get_closest_marker("x11")
            or item.get_closest_marker("wayland")
            or _DESKTOP_FIXTURES.intersection(getattr(item, "fixturenames", ()))
            or item.path.name == "test_browser_extension.py"  # a real chromium window
        ):
            item.add_marker(pytest.mark.xdist_group("desktop"))


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
def engine(request: pytest.FixtureRequest) -> str:
    """The database engine ``services`` opens: ``sqlite`` (this test's data folder) unless
    the test is in one of ``BOTH_ENGINES``, which run once on each (``pytest_generate_tests``)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def services(dirs: AppDirs, engine: str, request: pytest.FixtureRequest) -> Iterator[Services]:
    """This test's data directory, opened (its key in the in-memory keyring), or on
    PostgreSQL a database of its own (``pg_url``); commits are grouped for at most 50 ms, so
    a test waiting for one waits little."""
    if engine == "postgresql":
        url = request.getfixturevalue("pg_url")
        with Services.open_server(url, dirs, max_delay=0.05) as opened:
            yield opened
        return
    with Services.open(dirs, None, max_delay=0.05) as opened:
        yield opened


# The tests that run on SQLite and on PostgreSQL (server mode): every test in these files or
# folders that uses ``services``, except those marked ``sqlite_only`` (about SQLite itself:
# its file's encryption, rekey, backup, salvage, write-ahead log; its driver). Chosen so the
# suite stays within CI's 20 minutes (CONTRIBUTING.md says what they add).
BOTH_ENGINES = (
    "core/test_writer.py",
    "core/test_writer_cache_days.py",
    "core/test_reader.py",
    "core/test_heartbeat.py",
    "core/query",
    "core/analytics",
    "core/categories/test_stored.py",
    "api",
)
_TESTS = Path(__file__).parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        return
    where = metafunc.definition.path.relative_to(_TESTS).as_posix()
    if any(where == p or where.startswith(f"{p}/") for p in BOTH_ENGINES):
        metafunc.parametrize("engine", ["sqlite", "postgresql"], indirect=True)


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
