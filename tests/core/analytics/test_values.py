"""The value dictionary: one permanent id per distinct text and user, texts read back by id."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Connection
from timelygator.core.analytics import values as values_module
from timelygator.core.analytics.values import ValueDictionary, drop_unreferenced
from timelygator.core.paths import resolve_dirs
from timelygator.core.services import Services


def assign(services: Services, user: int, texts: list[str]) -> dict[str, int]:
    values = ValueDictionary()
    return services.writer.call(lambda conn: values.assign(conn, user, texts)).result()


def second_user(services: Services) -> int:
    def add(conn: Connection) -> int:
        conn.exec_driver_sql("INSERT INTO users (name, created_us) VALUES ('second', 0)")
        return int(conn.exec_driver_sql("SELECT id FROM users WHERE name = 'second'").scalar_one())

    return services.writer.call(add).result()


def test_texts_keep_their_ids_and_new_ones_get_new_ids(services: Services) -> None:
    user = services.user_id
    texts = [f'{{"app":"app{i}","title":"é \\"{i}\\""}}' for i in range(1200)]  # > one chunk
    first = assign(services, user, texts[:700])
    assert sorted(first) == sorted(texts[:700])
    assert len(set(first.values())) == 700
    again = assign(services, user, texts[:700] + texts[:10])  # repeats: looked up, not added
    assert again == first
    both = assign(services, user, texts)
    assert {t: both[t] for t in texts[:700]} == first
    assert min(both[t] for t in texts[700:]) > max(first.values())
    # Another user's same text is another value (ids unique across users).
    other = assign(services, second_user(services), texts[:3])
    assert set(other.values()).isdisjoint(both.values())


def test_texts_are_read_back_by_id_dense_or_sparse(services: Services) -> None:
    user = services.user_id
    ids = assign(services, user, [f'{{"n":{i}}}' for i in range(2000)])
    by_id = {i: t for t, i in ids.items()}
    every = sorted(by_id)
    dense = every[100:1600]
    sparse = [*every[::7], every[-1] + 50]  # one id that does not exist
    for wanted in (dense, sparse, every[:1]):
        with services.read() as conn:
            found = ValueDictionary().load(conn, wanted)
        assert found == {i: by_id[i] for i in wanted if i in by_id}
    cached = ValueDictionary()
    known = np.array(sparse[:-1], dtype=np.int64)
    assert cached.texts(known, services.read) == [by_id[i] for i in sparse[:-1]]


def test_dropped_values_go_and_their_ids_are_never_given_again(services: Services) -> None:
    user = services.user_id
    ids = assign(services, user, ['{"a":1}', '{"a":2}'])
    # No stored digest refers to them: both go.
    assert services.writer.call(lambda c: drop_unreferenced(c, user)).result() == 2
    with services.read() as conn:
        assert ValueDictionary().load(conn, list(ids.values())) == {}
    again = assign(services, user, ['{"a":1}'])
    assert again['{"a":1}'] > max(ids.values())


def test_engines_that_return_new_ids_get_the_same_ids(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """New values inserted with RETURNING (engines other than SQLite) get the ids SQLite's
    worked-out ids are: AUTOINCREMENT's."""
    texts = [f'{{"n":{i}}}' for i in range(700)]
    given = {}
    for returning in (False, True):
        if returning:
            monkeypatch.setattr(values_module, "first_new_id", lambda _conn, _table: None)
        with Services.open(resolve_dirs(tmp_path / f"data-{returning}"), "values pass") as s:
            first = assign(s, s.user_id, texts[:300])
            assert s.writer.call(lambda c: drop_unreferenced(c, s.user_id)).result() == 300
            given[returning] = (first, assign(s, s.user_id, texts))
    assert given[True] == given[False]
    assert min(given[True][1].values()) > max(given[True][0].values())
