"""Users: created and listed by an administrator, disabled without losing data, no passwords."""

from __future__ import annotations

import pytest
from timelygator.core import reader, tokens, users
from timelygator.core.errors import ConflictError, NotFoundError, ValidationError
from timelygator.core.event import Event
from timelygator.core.services import LOCAL_USER, Services


def _bob(services: Services) -> users.UserInfo:
    return users.create(services.writer, "bob", now_us=1_000).result()


def test_the_desktop_store_has_exactly_its_own_user(services: Services) -> None:
    with services.read() as conn:
        found = users.list_users(conn)
    assert [(u.id, u.name, u.disabled, u.active_tokens) for u in found] == [
        (1, LOCAL_USER, False, 0)
    ]
    assert services.user_id == 1


def test_create_list_and_get(services: Services) -> None:
    bob = _bob(services)
    assert (bob.name, bob.created_us, bob.disabled_us, bob.active_tokens) == ("bob", 1000, None, 0)
    tokens.create(services.writer, bob.id, "write", "laptop").result()
    revoked = tokens.create(services.writer, bob.id, "write", "old phone").result()
    tokens.revoke(services.writer, revoked.info.id).result()
    with services.read() as conn:
        assert [(u.name, u.active_tokens) for u in users.list_users(conn)] == [
            (LOCAL_USER, 0),
            ("bob", 1),
        ]
        assert users.get_user(conn, "bob").id == bob.id
        with pytest.raises(NotFoundError, match=r"'carol'.*user list"):
            users.get_user(conn, "carol")


@pytest.mark.parametrize("name", ["", " bob", "bob smith", "-bob", "a/b", "x" * 101, "bøb"])
def test_names_follow_one_rule(services: Services, name: str) -> None:
    with pytest.raises(ValidationError, match="cannot be a user name"):
        users.create(services.writer, name)


def test_names_are_unique_in_any_case(services: Services) -> None:
    _bob(services)
    with pytest.raises(ConflictError, match="already a user 'bob'"):
        users.create(services.writer, "Bob").result()
    made = users.create(services.writer, "alice@example.com").result()
    assert made.name == "alice@example.com"


def test_disabling_refuses_the_tokens_keeps_the_data_and_enabling_restores(
    services: Services,
) -> None:
    bob = _bob(services)
    laptop = tokens.create(services.writer, bob.id, "write", "laptop").result()
    key = services.writer.create_bucket(
        bob.id, "bob-window", type="currentwindow", client="c", hostname="h"
    ).result()
    assert key is not None
    start = 1_714_550_400_000_000
    services.writer.insert_events(
        key.key, [Event(start, start + 60_000_000, {"app": "x"})]
    ).result()
    cache = tokens.TokenCache()
    cache.put(laptop.secret, laptop.info)

    off = users.disable(services.writer, "bob", owner_id=services.user_id, now_us=5_000).result()
    assert (off.disabled, off.disabled_us) == (True, 5_000)
    assert cache.get(laptop.secret) is None  # this process forgets its verified tokens
    with services.read() as conn:
        assert tokens.verify_token(conn, laptop.secret) is None
        assert tokens.disabled_owner(conn, laptop.secret) == "bob"
        states = tokens.token_states(conn)
        assert laptop.info.id in states.revoked
        assert laptop.info.prefix not in states.active_prefixes
        # Nothing of bob's data moved.
        assert reader.bucket_names(conn, bob.id) == ["bob-window"]
        assert len(reader.get_events(conn, key.key)) == 1
    # Disabling again keeps the first date; a disabled user gets no new token.
    again = users.disable(services.writer, "bob", owner_id=services.user_id, now_us=9_000)
    assert again.result().disabled_us == 5_000
    with pytest.raises(ValidationError, match=r"'bob' is disabled.*user enable bob"):
        tokens.create(services.writer, bob.id, "write").result()

    on = users.enable(services.writer, "bob", owner_id=services.user_id).result()
    assert not on.disabled
    with services.read() as conn:
        verified = tokens.verify_token(conn, laptop.secret)
        assert verified is not None and verified.user_id == bob.id
        assert tokens.disabled_owner(conn, laptop.secret) is None
        assert laptop.info.id not in tokens.token_states(conn).revoked


def test_a_revoked_token_of_a_disabled_user_is_only_revoked(services: Services) -> None:
    bob = _bob(services)
    old = tokens.create(services.writer, bob.id, "read").result()
    tokens.revoke(services.writer, old.info.id).result()
    users.disable(services.writer, "bob", owner_id=services.user_id).result()
    with services.read() as conn:
        assert tokens.disabled_owner(conn, old.secret) is None
        assert tokens.disabled_owner(conn, "tg_unknown") is None


def test_the_stores_own_user_cannot_be_disabled(services: Services) -> None:
    with pytest.raises(ValidationError, match=r"own user.*cannot be disabled"):
        users.disable(services.writer, LOCAL_USER, owner_id=services.user_id).result()
    with pytest.raises(NotFoundError):
        users.disable(services.writer, "nobody", owner_id=services.user_id).result()
    with services.read() as conn:
        assert not users.get_user(conn, LOCAL_USER).disabled


def test_nothing_like_a_password_is_stored(services: Services) -> None:
    """A user row holds a name and dates; a token only its hash and public prefix."""
    bob = _bob(services)
    new = tokens.create(services.writer, bob.id, "write").result()
    with services.read() as conn:
        user_columns = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(users)")]
        token_rows = conn.exec_driver_sql("SELECT * FROM api_tokens").all()
    assert user_columns == ["id", "name", "created_us", "disabled_us"]
    assert all(new.secret not in str(value) for row in token_rows for value in row)
