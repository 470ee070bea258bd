"""The literal prefilter never changes what a rule matches; it only skips hopeless searches."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from timelygator.core.categories import Categorizer, Rule, load_default_categories
from timelygator.core.categories.prefilter import LiteralIndex, required_literals

RULES = [
    (r"Google (Docs|Sheets)|^code(\.exe)?$|^n?vim$", True),
    (r"zoom|teams|meet\.google", True),
    (r"abc|abd", False),
    (r"^TV$|x\.com", True),
    (r"(?i)Slack", False),
    (r"foo(?!bar)", False),
    (r"[xy]z+", True),
    (r"Kelvin|strasse", True),
]


def test_required_literals() -> None:
    assert required_literals(r"zoom|teams|meet\.google", True) == (
        ["meet.google", "teams", "zoom"],
        True,
    )
    assert required_literals(r"Google (Docs|Sheets)|^code(\.exe)?$", True) == (
        ["code", "google "],
        True,
    )
    assert required_literals(r"a.*b", False) == (["a"], False)  # short: checked directly
    assert required_literals(r"[ab]c*", False) is None
    assert required_literals(r"(?i)Slack", False) == (["slack"], True)


def brute(value: str) -> int:
    return sum(
        1 << i for i, (rx, ic) in enumerate(RULES) if re.search(rx, value, re.I if ic else 0)
    )


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("abcdefgoklmnstvxzADGKOST .-_\u017f\u212a\u0131\u00e9")),
        max_size=30,
    )
    | st.sampled_from(["Google Docs", "CODE", "nvim", "vim", "tv", "X.COM", "slack", "foobar"])
)
def test_candidates_are_a_superset_of_matches(value: str) -> None:
    index = LiteralIndex([(1 << i, rx, ic) for i, (rx, ic) in enumerate(RULES)])
    matched = brute(value)
    assert index.candidates(value) & matched == matched


def test_default_categories_same_result_with_and_without_prefilter() -> None:
    categorizer = Categorizer.from_categories(load_default_categories())
    plain = Categorizer.from_categories(load_default_categories())
    plain._matcher._prefilter = LiteralIndex([])  # no index: every rule searched
    plain._matcher._prefilter.always = -1
    samples = [
        {"app": "Google-chrome", "title": "Pull requests · GitHub", "url": "https://github.com/"},
        {"app": "firefox", "title": "YouTube", "url": "https://www.youtube.com/watch?v=1"},
        {"app": "code", "title": "main.py - project - Visual Studio Code"},
        {"app": "TV", "title": "x"},
        {"app": "Slack", "title": "general"},
        {"app": "thunderbird", "title": "Inbox"},
        {"app": "unknown-app", "title": "nothing to see"},
    ]
    for data in samples:
        assert categorizer.categorize(data) == plain.categorize(data), data


def test_rule_with_required_short_literal() -> None:
    c = Categorizer([(["TV"], Rule.regex_rule("^TV$", ignore_case=True))])
    assert c.categorize({"app": "tv"}) == ("TV",)
    assert c.categorize({"app": "tvx"}) == ("Uncategorized",)
