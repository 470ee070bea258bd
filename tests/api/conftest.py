"""Fixtures for the API tests: a fresh encrypted store, apps, clients and tokens.

Every test gets its own data directory under tmp_path, an in-memory keyring (the real one
is never touched) and cheap scrypt parameters.
"""

from __future__ import annotations

import socket
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from timelygator.core import tokens

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from timelygator.core.api import ApiConfig, create_app
from timelygator.core.services import Services

from tests.helpers.keyring import MemoryKeyring

BASE_URL = "http://127.0.0.1:5600"


# The suite's autouse fixture (tests/conftest.py) already installs an in-memory keyring and
# cheap scrypt; API tests name it ``fake_keyring``.
DictKeyring = MemoryKeyring


@pytest.fixture
def fake_keyring(memory_keyring: MemoryKeyring) -> MemoryKeyring:
    return memory_keyring


@pytest.fixture
def make_token(services: Services) -> Callable[..., str]:
    def make(scope: str = "write", user_id: int | None = None, name: str = "") -> str:
        uid = services.user_id if user_id is None else user_id
        return tokens.create(services.writer, uid, scope, name).result().secret

    return make


@pytest.fixture
def make_app(services: Services) -> Callable[..., FastAPI]:
    def make(**config: Any) -> FastAPI:
        config.setdefault("hostname", "testhost")
        return create_app(services, ApiConfig(**config))

    return make


@pytest.fixture
def make_client(make_app: Callable[..., FastAPI]) -> Iterator[Callable[..., TestClient]]:
    opened: list[TestClient] = []

    def make(
        token: str | None = None,
        *,
        app: FastAPI | None = None,
        client: tuple[str, int] = ("127.0.0.1", 40000),
        **config: Any,
    ) -> TestClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        tc = TestClient(
            app if app is not None else make_app(**config),
            base_url=BASE_URL,
            headers=headers,
            client=client,
            raise_server_exceptions=False,
        )
        tc.__enter__()
        opened.append(tc)
        return tc

    yield make
    for tc in opened:
        tc.__exit__(None, None, None)


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
def client(app: FastAPI, make_token: Callable[..., str], make_client: Any) -> TestClient:
    """A client with a write token (read + write scopes)."""
    tc: TestClient = make_client(make_token("write"), app=app)
    return tc


@pytest.fixture
def admin(app: FastAPI, make_token: Callable[..., str], make_client: Any) -> TestClient:
    tc: TestClient = make_client(make_token("admin"), app=app)
    return tc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_bucket(client: TestClient, name: str = "b1", type_: str = "test") -> None:
    resp = client.post(
        f"/api/0/buckets/{name}", json={"client": "test", "type": type_, "hostname": "h"}
    )
    assert resp.status_code == 200, resp.text
