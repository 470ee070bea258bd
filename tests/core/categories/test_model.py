"""Category model: productivity levels and inheritance of color and score."""

from __future__ import annotations

import pytest
from timelygator.core.categories import Category, CategoryTree, Productivity, Rule
from timelygator.core.categories.model import productivity_level, productivity_percent
from timelygator.core.errors import ValidationError


def test_productivity_levels_and_percent() -> None:
    assert [level.percent for level in Productivity] == [0, 25, 50, 75, 100]
    assert Productivity.VERY_DISTRACTING.label == "Very distracting"
    assert productivity_level(1.4) is Productivity.PRODUCTIVE
    assert productivity_level(10) is Productivity.VERY_PRODUCTIVE  # ActivityWatch-style scores
    assert productivity_level(None) is Productivity.NEUTRAL
    assert productivity_percent(-2) == 0.0
    assert productivity_percent(0.5) == 62.5
    assert productivity_percent(7) == 100.0
    assert productivity_percent(None) == 50.0


def test_children_inherit_from_nearest_ancestor_that_sets_it() -> None:
    tree = CategoryTree(
        [
            Category(["Work"], color="#0F0", score=1),
            Category(["Work", "Programming"], score=2),
            Category(["Work", "Programming", "Python"], color="#00F"),
            Category(["Media", "Video"], score=-2),  # parent "Media" is implicit
        ]
    )
    assert tree.style(["Work", "Programming", "Python"]).color == "#00F"
    assert tree.style(["Work", "Programming", "Python"]).score == 2
    assert tree.style(["Work", "Programming"]).color == "#0F0"
    assert tree.style(["Work"]).productivity is Productivity.PRODUCTIVE
    assert tree.style(["Media", "Video", "Clips"]).score == -2
    assert tree.style(["Media"]).color is None
    assert tree.paths() == [
        ("Media",),
        ("Media", "Video"),
        ("Work",),
        ("Work", "Programming"),
        ("Work", "Programming", "Python"),
    ]


def test_rule_from_dict_validates() -> None:
    rule = Rule.from_dict({"type": "regex", "regex": "a", "ignore_case": True, "x": 1})
    assert (rule.type, rule.regex, rule.ignore_case, rule.extra) == ("regex", "a", True, {"x": 1})
    assert Rule.from_dict({"regex": "a"}).type == "regex"
    assert not Rule.from_dict({"type": "none", "regex": "a"}).active
    assert not Rule.regex_rule("").active
    with pytest.raises(ValidationError, match="Unknown rule type 'glob'"):
        Rule.from_dict({"type": "glob"})
    with pytest.raises(ValidationError, match="select_keys"):
        Rule.from_dict({"type": "regex", "regex": "a", "select_keys": "app"})
    with pytest.raises(ValidationError, match="Invalid regular expression"):
        Rule.regex_rule("(").compile()
