"""API tokens: shown once, stored hashed, scoped, per user, revocable."""

from __future__ import annotations

import hashlib

import pytest
from timelygator.core import tokens
from timelygator.core.errors import NotFoundError, ValidationError
from timelygator.core.services import Services


def test_created_token_is_shown_once_and_stored_only_as_hash(services: Services) -> None:
    new = tokens.create(services.writer, services.user_id, "write", "editor").result()
    assert new.secret.startswith("tg_")
    assert len(new.secret) >= 40
    assert new.secret not in repr(new)
    assert new.info.prefix == new.secret[:10]
    with services.read() as conn:
        rows = conn.exec_driver_sql("SELECT token_hash, scopes, name FROM api_tokens").all()
    assert rows == [(hashlib.sha256(new.secret.encode()).hexdigest(), "write", "editor")]
    # The secret is nowhere in the database file's table rows.
    assert all(new.secret not in str(value) for row in rows for value in row)


def test_verify_accepts_exact_token_and_rejects_others(services: Services) -> None:
    new = tokens.create(services.writer, services.user_id, "read").result()
    with services.read() as conn:
        found = tokens.verify_token(conn, new.secret)
        assert found is not None
        assert found.id == new.info.id
        assert found.user_id == services.user_id
        assert tokens.verify_token(conn, new.secret + "x") is None
        tampered = new.secret[:-1] + ("A" if new.secret[-1] != "A" else "B")
        assert tokens.verify_token(conn, tampered) is None
        assert tokens.verify_token(conn, "") is None
        assert tokens.verify_token(conn, "Bearer " + new.secret) is None


def test_scopes_nest(services: Services) -> None:
    infos = {
        scope: tokens.create(services.writer, services.user_id, scope).result().info
        for scope in tokens.SCOPES
    }
    assert infos["read"].allows("read")
    assert not infos["read"].allows("write")
    assert infos["write"].allows("read")
    assert infos["write"].allows("write")
    assert not infos["write"].allows("admin")
    assert infos["admin"].allows("admin")
    assert infos["admin"].allows("read")


def test_unknown_scope_is_rejected(services: Services) -> None:
    with pytest.raises(ValidationError):
        tokens.create(services.writer, services.user_id, "root")


def test_revoked_token_no_longer_verifies(services: Services) -> None:
    new = tokens.create(services.writer, services.user_id, "admin").result()
    cache = tokens.TokenCache()
    cache.put(new.secret, new.info)
    assert cache.get(new.secret) == new.info
    revoked = tokens.revoke(services.writer, new.info.id).result()
    assert revoked.revoked
    with services.read() as conn:
        assert tokens.verify_token(conn, new.secret) is None
        assert [t.revoked for t in tokens.list_tokens(conn, services.user_id)] == [True]
        assert not tokens.has_active_tokens(conn)
    assert cache.get(new.secret) is None


def test_tokens_are_per_user(services: Services) -> None:
    other = services.writer.call(lambda c: tokens.ensure_user(c, "bob", 1)).result()
    assert other != services.user_id
    mine = tokens.create(services.writer, services.user_id, "read", "mine").result()
    bobs = tokens.create(services.writer, other, "read", "bob's").result()
    with services.read() as conn:
        assert [t.name for t in tokens.list_tokens(conn, services.user_id)] == ["mine"]
        assert [t.name for t in tokens.list_tokens(conn, other)] == ["bob's"]
        verified = tokens.verify_token(conn, bobs.secret)
        assert verified is not None
        assert verified.user_id == other
    # One user cannot revoke another's token.
    with pytest.raises(NotFoundError):
        tokens.revoke(services.writer, bobs.info.id, services.user_id).result()
    with services.read() as conn:
        assert tokens.verify_token(conn, bobs.secret) is not None
    assert mine.info.user_id == services.user_id


def test_last_used_is_recorded(services: Services) -> None:
    new = tokens.create(services.writer, services.user_id, "read").result()
    services.writer.call(lambda c: tokens.touch_tokens(c, [(new.info.id, 123)])).result()
    with services.read() as conn:
        assert tokens.get_token(conn, new.info.id).last_used_us == 123


def test_token_rows_read_back_as_stored(services: Services) -> None:
    other = services.writer.call(lambda c: tokens.ensure_user(c, "bob", 1)).result()
    first = tokens.create(services.writer, services.user_id, "read", "  ", now_us=111).result()
    second = tokens.create(services.writer, other, "admin", "ops", now_us=222).result()
    with services.read() as conn:
        assert tokens.list_tokens(conn) == [first.info, second.info]
    assert first.info == tokens.TokenInfo(
        first.info.id, services.user_id, "read token", first.secret[:10], "read", 111, None, False
    )
    # Last use only moves forward (uses are recorded late, in batches, out of order).
    touch = [(first.info.id, 500), (second.info.id, 300)]
    services.writer.call(lambda c: tokens.touch_tokens(c, touch)).result()
    services.writer.call(lambda c: tokens.touch_tokens(c, [(first.info.id, 400)])).result()
    tokens.revoke(services.writer, second.info.id).result()
    with services.read() as conn:
        assert [(t.last_used_us, t.revoked) for t in tokens.list_tokens(conn)] == [
            (500, False),
            (300, True),
        ]
        states = tokens.token_states(conn)
        assert states.revoked == {second.info.id}
        assert states.active_prefixes == {first.info.prefix}
        assert tokens.has_active_tokens(conn)
        assert tokens.verify_token(conn, second.secret) is None
    tokens.revoke(services.writer, first.info.id).result()
    with services.read() as conn:
        assert not tokens.has_active_tokens(conn)
