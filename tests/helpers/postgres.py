"""A throwaway PostgreSQL cluster for the tests: ``initdb`` in a temporary folder, the server
on 127.0.0.1 and a free port, stopped (and its folder deleted) when the context ends.

Debian's ``postgresql`` package puts the server programs in ``/usr/lib/postgresql/<N>/bin``
(not on PATH); ``server_bin`` finds them. PostgreSQL refuses to run as root: as root (CI),
the cluster runs as ``nobody`` (util-linux ``setpriv``), in a folder it owns. Local
connections are trusted (``initdb --auth=trust``): the server listens on the loopback only
and lives as long as the test session.

The cluster lives in memory (``/dev/shm``) when there is room: every test copies a database
of ~7.5 MB from a template, and a session makes hundreds; on disk their creation took twice
as long and stopping the cluster up to 20 s of writing them back.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

USER = "timelygator"
_IN_MEMORY = Path("/dev/shm")
_IN_MEMORY_ROOM = 4 << 30  # bytes free in it before a cluster goes there


def _cluster_parent() -> str | None:
    """Where the cluster's folder goes: memory when it has room, else the temp folder."""
    with contextlib.suppress(OSError):
        if shutil.disk_usage(_IN_MEMORY).free >= _IN_MEMORY_ROOM:
            return str(_IN_MEMORY)
    return None


def server_bin() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres`` (newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def _version(path: str) -> int:
    part = Path(path).parents[1].name
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    port: int
    folder: Path

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL of ``database`` for the psycopg driver."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (a database nobody is connected
        to: copying is a file copy, much faster than migrating again); its URL."""
        copy = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{copy}')  # a test's own names, quoted
        return self.url(name)

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[object, ...]]:
        """Run ``sql`` as the cluster's superuser (autocommit); its rows, if any."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname=database, autocommit=True
        ) as conn:
            cursor = conn.execute(sql.encode())
            return cursor.fetchall() if cursor.description is not None else []


@contextlib.contextmanager
def temporary_cluster() -> Iterator[Cluster]:
    """A running cluster for as long as the context lasts (RuntimeError if there is none)."""
    bindir = server_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL's server programs are not installed (Debian: postgresql)")
    root = Path(tempfile.mkdtemp(prefix="timelygator-pg-", dir=_cluster_parent()))
    data, sockets = root / "data", root / "sockets"
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
        os.chmod(root, 0o755)
        sockets.mkdir()
        shutil.chown(sockets, "nobody", "nogroup")
        data.mkdir(mode=0o700)
        shutil.chown(data, "nobody", "nogroup")
    else:
        sockets.mkdir()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "TZ": "UTC"}
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run(
            [*prefix, *args], check=True, env=env, cwd=root, capture_output=True, timeout=120
        )

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
            "--encoding=UTF8", "--no-sync")  # fmt: skip
        options = f"-p {port} -k {sockets} -h 127.0.0.1 -c fsync=off -c full_page_writes=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log"),
            "-w", "-t", "60", "start")  # fmt: skip
        try:
            yield Cluster(port, root)
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
