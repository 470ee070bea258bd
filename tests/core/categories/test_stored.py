"""The stored category tree: what is stored reads back as it was, edits keep the other rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from timelygator.core.categories.edits import (
    create_category,
    delete_category,
    update_category,
)
from timelygator.core.categories.formats import load_default_categories
from timelygator.core.categories.model import Category, Rule
from timelygator.core.categories.stored import (
    load_stored_categories,
    replace_stored_categories,
)
from timelygator.core.errors import ConflictError, NotFoundError, ValidationError
from timelygator.core.services import Services
from timelygator.core.tokens import ensure_user


def _regex(regex: str) -> Rule:
    return Rule.from_dict({"type": "regex", "regex": regex})


def _tree() -> list[Category]:
    return [
        Category(["Work", "Code"], _regex("vim|code"), "#112233", 1.0),
        Category(["Work"], _regex("jira"), "#445566", 0.5),
        Category(["Fun", "Games", "Chess"], _regex("lichess"), None, -1.0),
        Category(["Mail"], Rule(), None, None),
    ]


def _shape(categories: list[Category]) -> list[tuple[tuple[str, ...], object, object, object]]:
    return [(c.path, c.rule.to_dict(), c.color, c.score) for c in categories]


def _replace(services: Services, user: int, categories: list[Category]) -> list[Category]:
    services.writer.call(lambda c: replace_stored_categories(c, user, categories)).result()
    with services.read() as conn:
        return load_stored_categories(conn, user)


def test_a_stored_tree_reads_back_in_order_with_its_parents(services: Services) -> None:
    loaded = _replace(services, services.user_id, _tree())
    # Parents get rows of their own (before their children); a category given after its
    # child keeps the place its path first took.
    assert _shape(loaded) == [
        (("Work",), {"type": "regex", "regex": "jira"}, "#445566", 0.5),
        (("Work", "Code"), {"type": "regex", "regex": "vim|code"}, "#112233", 1.0),
        (("Fun",), {"type": "none"}, None, None),
        (("Fun", "Games"), {"type": "none"}, None, None),
        (("Fun", "Games", "Chess"), {"type": "regex", "regex": "lichess"}, None, -1.0),
        (("Mail",), {"type": "none"}, None, None),
    ]
    ids = [c.id or 0 for c in loaded]
    assert all(c.id is not None for c in loaded)
    assert ids == sorted(set(ids))  # distinct, in the tree's order

    # Replacing again replaces: nothing of the first tree is left.
    again = _replace(services, services.user_id, [Category(["Solo"], Rule(), "#000000", 0.0)])
    assert _shape(again) == [(("Solo",), {"type": "none"}, "#000000", 0.0)]
    # An empty tree stores nothing, which reads as the defaults.
    assert _shape(_replace(services, services.user_id, [])) == _shape(load_default_categories())


def test_each_user_has_a_tree_of_their_own(services: Services) -> None:
    other = services.writer.call(lambda c: ensure_user(c, "bob", 1)).result()
    mine = _replace(services, services.user_id, _tree())
    bobs = _replace(services, other, [Category(["Bob"], Rule(), None, None)])
    assert [c.path for c in bobs] == [("Bob",)]
    with services.read() as conn:
        assert _shape(load_stored_categories(conn, services.user_id)) == _shape(mine)


def test_edits_change_one_category_and_keep_the_others(services: Services) -> None:
    stored = _replace(services, services.user_id, _tree())
    by_path = {c.path: c for c in stored}
    user = services.user_id

    def edit(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return services.writer.call(lambda c: function(c, user, *args, **kwargs)).result()

    created = edit(create_category, Category(["New", "Leaf"], _regex("x"), "#abcdef"))
    assert created.path == ("New", "Leaf")
    assert (created.rule.to_dict(), created.color, created.score) == (
        {"type": "regex", "regex": "x"},
        "#abcdef",
        None,
    )
    with pytest.raises(ConflictError, match="already a category 'Work > Code'"):
        edit(create_category, Category(["Work", "Code"]))

    # Moving "Work" under "Mail" takes "Work > Code" along; ids stay.
    work = by_path[("Work",)]
    moved = edit(update_category, work.id, name=["Mail", "Job"], color="#999999", score=None)
    assert (moved.id, moved.path, moved.color, moved.score) == (
        work.id,
        ("Mail", "Job"),
        "#999999",
        None,
    )
    with services.read() as conn:
        now = {c.id: c for c in load_stored_categories(conn, user)}
    assert now[by_path[("Work", "Code")].id].path == ("Mail", "Job", "Code")
    assert now[by_path[("Work", "Code")].id].color == "#112233"
    with pytest.raises(ValidationError, match="under itself"):
        edit(update_category, work.id, name=["Mail", "Job", "Code", "Deeper"])
    with pytest.raises(NotFoundError):
        edit(update_category, 10_000, color="#000000")

    # Deleting "Fun" deletes its subcategories too, and only them.
    assert edit(delete_category, by_path[("Fun",)].id) == 3
    with services.read() as conn:
        paths = [c.path for c in load_stored_categories(conn, user)]
    assert paths == [
        ("Mail", "Job"),
        ("Mail", "Job", "Code"),
        ("Mail",),
        ("New",),
        ("New", "Leaf"),
    ]
