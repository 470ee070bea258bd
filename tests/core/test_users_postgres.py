"""Users and their tokens on PostgreSQL: the same statements and migration 0006 as on SQLite.

Runs against a throwaway cluster (``tests.helpers.postgres``) on the schema the models
declare, so it does not depend on the rest of the server mode; skipped (saying why) where
PostgreSQL's server programs are not installed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect
from timelygator.core import tokens, users
from timelygator.core.errors import ConflictError, ValidationError
from timelygator.core.models import Base
from timelygator.core.schema import MIGRATIONS_DIR

from tests.helpers import postgres

pytestmark = pytest.mark.skipif(
    postgres.server_bin() is None, reason="PostgreSQL is not installed (Debian: postgresql)"
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres.Cluster]:
    with postgres.temporary_cluster() as running:
        yield running


@pytest.fixture
def engine(cluster: postgres.Cluster) -> Iterator[Engine]:
    """A new database of this test's own, with the models' schema."""
    made = create_engine(cluster.create_database(f"t{uuid.uuid4().hex}"))
    Base.metadata.create_all(made)
    yield made
    made.dispose()


def test_users_and_their_tokens_on_postgresql(engine: Engine) -> None:
    with engine.begin() as conn:
        local = tokens.ensure_user(conn, "local", 1)
        bob = users.create_user(conn, "bob", 2)
        with pytest.raises(ConflictError):
            users.create_user(conn, "BOB", 3)
    with engine.begin() as conn:
        laptop = tokens.insert_token(conn, bob.id, "write", "laptop", 4)
        assert [(u.name, u.active_tokens) for u in users.list_users(conn)] == [
            ("local", 0),
            ("bob", 1),
        ]
    with engine.begin() as conn:
        off = users.set_disabled(conn, "bob", True, 5, owner_id=local)
        assert off.disabled_us == 5
        with pytest.raises(ValidationError, match="cannot be disabled"):
            users.set_disabled(conn, "local", True, 5, owner_id=local)
    with engine.connect() as conn:
        assert tokens.verify_token(conn, laptop.secret) is None
        assert tokens.disabled_owner(conn, laptop.secret) == "bob"
        assert laptop.info.id in tokens.token_states(conn).revoked
    with engine.begin() as conn:
        with pytest.raises(ValidationError, match="is disabled"):
            tokens.insert_token(conn, bob.id, "read", "", 6)
    with engine.begin() as conn:
        users.set_disabled(conn, "bob", False, 7, owner_id=local)
    with engine.connect() as conn:
        verified = tokens.verify_token(conn, laptop.secret)
        assert verified is not None and verified.user_id == bob.id
        assert tokens.token_states(conn).revoked == frozenset()


def _alembic(engine: Engine, action: str, target: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, target)


def test_migration_0006_down_and_up_on_postgresql(engine: Engine) -> None:
    with engine.begin() as conn:
        bob = users.create_user(conn, "bob", 1)
        tokens.insert_token(conn, bob.id, "write", "laptop", 2)
        conn.exec_driver_sql("ALTER TABLE users DROP COLUMN disabled_us")  # as 0005 left it
    _alembic(engine, "stamp", "0005")
    _alembic(engine, "upgrade", "0006")
    assert "disabled_us" in {c["name"] for c in inspect(engine).get_columns("users")}
    with engine.begin() as conn:
        users.set_disabled(conn, "bob", True, 3, owner_id=0)
    _alembic(engine, "downgrade", "0005")
    assert "disabled_us" not in {c["name"] for c in inspect(engine).get_columns("users")}
    with engine.connect() as conn:
        counts = conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM api_tokens)"
        ).one()
    assert tuple(counts) == (1, 1)
