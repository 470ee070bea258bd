"""Settings: any JSON value per user and key, written through the writer, read back as set."""

from __future__ import annotations

import pytest
from timelygator.core.errors import ValidationError
from timelygator.core.services import Services
from timelygator.core.settings_store import (
    delete_setting,
    get_setting,
    get_settings,
    set_setting,
)
from timelygator.core.tokens import ensure_user


def test_values_read_back_as_set_and_a_second_set_replaces(services: Services) -> None:
    user = services.user_id
    values = {"b.list": [1, "two", None], "a.false": False, "c.zero": 0, "d.text": "é ü", "e": {}}
    for key, value in values.items():
        set_setting(services.writer, user, key, value).result()
    set_setting(services.writer, user, "c.zero", {"now": 1.5}).result()
    with services.read() as conn:
        assert get_settings(conn, user) == {**values, "c.zero": {"now": 1.5}}
        assert list(get_settings(conn, user)) == sorted(values)  # ordered by key
        assert get_setting(conn, user, "a.false") is False
        assert get_setting(conn, user, "missing") is None


def test_settings_are_per_user_and_deleting_says_whether_one_existed(services: Services) -> None:
    other = services.writer.call(lambda c: ensure_user(c, "bob", 1)).result()
    set_setting(services.writer, services.user_id, "theme", "dark").result()
    set_setting(services.writer, other, "theme", "light").result()
    assert delete_setting(services.writer, other, "theme").result() is True
    assert delete_setting(services.writer, other, "theme").result() is False
    with services.read() as conn:
        assert get_settings(conn, other) == {}
        assert get_settings(conn, services.user_id) == {"theme": "dark"}


def test_bad_keys_and_values_are_refused_before_the_writer(services: Services) -> None:
    with pytest.raises(ValidationError):
        set_setting(services.writer, services.user_id, "", 1)
    with pytest.raises(ValidationError):
        set_setting(services.writer, services.user_id, "k", float("nan"))
    with services.read() as conn:
        assert get_settings(conn, services.user_id) == {}
