"""``/health`` as a container health check, and ``/metrics`` beside it.

``/health`` needs no token, costs one small read (never the events), answers 200 while the
database answers and 503 when it does not; the image's health check script
(installers/server/healthcheck.py) turns that into its exit code. ``/metrics`` needs a
token with the read scope.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from timelygator.core.api import ApiConfig, ApiServer
from timelygator.core.errors import StorageError
from timelygator.core.services import Services

HEALTHCHECK = Path(__file__).resolve().parents[2] / "installers" / "server" / "healthcheck.py"


@pytest.fixture
def server(services: Services) -> Iterator[ApiServer]:
    api = ApiServer(services, ApiConfig(port=0, hostname="testhost", freeze_heap=False))
    api.start()
    yield api
    api.stop()


def _health_check(port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIMELYGATOR_PORT": str(port), "TIMELYGATOR_HOST": "0.0.0.0"}
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(services.store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(services.store.engine, "before_cursor_execute", record)


def test_health_is_public_cheap_and_ok(server: ApiServer, services: Services) -> None:
    with statements(services) as seen:
        answer = httpx.get(f"{server.url}/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "writer": "running"}
    # One read of the small buckets table: no events, however many there are.
    [query] = [s for s in seen if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert "FROM buckets" in query and "events" not in query
    assert _health_check(server.port).returncode == 0


def test_health_is_503_while_the_database_does_not_answer(
    server: ApiServer, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable() -> Any:
        raise StorageError("The database cannot be reached.")

    monkeypatch.setattr(services.store, "connect", unreachable)
    answer = httpx.get(f"{server.url}/health")
    assert answer.status_code == 503
    assert answer.json() == {"status": "degraded", "database": "unavailable", "writer": "running"}
    checked = _health_check(server.port)
    assert checked.returncode == 1
    assert "answered 503" in checked.stderr
    monkeypatch.undo()  # the database is back: healthy again
    assert httpx.get(f"{server.url}/health").status_code == 200
    assert _health_check(server.port).returncode == 0


def test_metrics_need_a_read_token(server: ApiServer, make_token: Callable[..., str]) -> None:
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    token = make_token("read")
    answer = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'timelygator_http_requests_total{method="GET",route="/metrics",status="401"} 1.0' in (
        answer.text
    )
