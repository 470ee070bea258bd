"""The matching engine: depth, ties, select_keys, URL/domain matching, memoization."""

from __future__ import annotations

import pytest
from timelygator.core.categories import Categorizer, Rule, Tagger, domain_of
from timelygator.core.errors import ValidationError


def _categorizer(*rules: tuple[list[str], Rule]) -> Categorizer:
    return Categorizer(rules)


def test_deepest_match_wins_and_later_rule_wins_ties() -> None:
    c = _categorizer(
        (["Work"], Rule.regex_rule("code|mail")),
        (["Work", "Programming"], Rule.regex_rule("code")),
        (["Fun", "Games"], Rule.regex_rule("code")),
        (["Comms"], Rule.regex_rule("mail")),
    )
    assert c.categorize({"app": "code"}) == ("Fun", "Games")
    assert c.categorize({"app": "mail"}) == ("Comms",)
    assert c.categorize({"app": "other"}) == ("Uncategorized",)
    assert c.categorize({}) == ("Uncategorized",)


def test_empty_regex_and_type_none_never_match() -> None:
    c = _categorizer(
        (["Empty"], Rule.regex_rule("")),
        (["None"], Rule("none", "code")),
    )
    assert c.categorize({"app": "code"}) == ("Uncategorized",)


def test_ignore_case_and_non_string_values() -> None:
    c = _categorizer(
        (["A"], Rule.regex_rule("firefox", ignore_case=True)),
        (["B"], Rule.regex_rule("True")),
    )
    assert c.categorize({"app": "Firefox"}) == ("A",)
    assert c.categorize({"audible": True}) == ("Uncategorized",)


def test_select_keys_and_derived_domain() -> None:
    c = _categorizer(
        (["By title"], Rule.regex_rule("GitHub", select_keys=["title"])),
        (["Domain"], Rule.regex_rule(r"^example\.org$", select_keys=["$domain"])),
    )
    assert c.categorize({"app": "GitHub Desktop", "title": "repo"}) == ("Uncategorized",)
    assert c.categorize({"app": "x", "title": "GitHub"}) == ("By title",)
    assert c.categorize({"url": "https://www.example.org/a?b=1"}) == ("Domain",)
    assert c.categorize({"url": "https://example.org.evil.com/"}) == ("Uncategorized",)
    # an explicit $domain (as split_url_events adds) is used as is
    assert c.categorize({"$domain": "example.org"}) == ("Domain",)


def test_browser_events_match_on_url_domain_and_title() -> None:
    c = _categorizer((["Video"], Rule.regex_rule(r"^youtube\.com$")))
    assert c.categorize({"url": "https://www.youtube.com/watch?v=1", "title": "Cats"}) == ("Video",)
    assert domain_of("https://www.YouTube.com:443/x") == "youtube.com"
    assert domain_of("not a url") == ""


def test_priority_overrides_depth() -> None:
    c = _categorizer(
        (["Work", "Meetings"], Rule("regex", "Huddle", priority=25)),
        (["Communication", "Chat"], Rule.regex_rule("Slack")),
    )
    assert c.categorize({"app": "Slack", "title": "Huddle"}) == ("Work", "Meetings")


def test_invalid_regex_is_ignored_unless_strict() -> None:
    rules = [(["Bad"], Rule.regex_rule("(")), (["Good"], Rule.regex_rule("a"))]
    assert Categorizer(rules).categorize({"app": "a("}) == ("Good",)
    with pytest.raises(ValidationError, match="Invalid regular expression"):
        Categorizer(rules, strict=True)


def test_memoized_per_distinct_data_value() -> None:
    calls: list[str] = []
    rule = Rule.regex_rule("[xz]")  # no literal: the prefilter always defers to the regex
    c = Categorizer([(["X"], rule)])
    search = c._matcher.steps[0][1]

    def counting(value: str) -> bool:
        calls.append(value)
        return bool(search(value))

    path, _, keys = c._matcher.steps[0]
    c._matcher.steps[0] = (path, counting, keys)  # type: ignore[assignment]  # a spy
    for _ in range(3):
        assert c.categorize({"app": "x", "n": 1}) == ("X",)
        assert c.categorize({"app": "y", "list": [1]}) == ("Uncategorized",)
    assert calls == ["x", "y"]


def test_with_rule_replaces_or_appends() -> None:
    c = _categorizer((["A"], Rule.regex_rule("a")))
    replaced = c.with_rule(["A"], Rule.regex_rule("b"))
    assert replaced.categorize({"v": "a"}) == ("Uncategorized",)
    assert replaced.categorize({"v": "b"}) == ("A",)
    appended = c.with_rule(["B"], Rule.regex_rule("a"))
    assert appended.categorize({"v": "a"}) == ("B",)
    assert c.categorize({"v": "a"}) == ("A",)


def test_from_aw_classes_and_tagger() -> None:
    c = Categorizer.from_aw_classes([[["Work"], {"type": "regex", "regex": "code"}]])
    assert c.categorize({"app": "code"}) == ("Work",)
    with pytest.raises(ValidationError, match="must be a pair"):
        Categorizer.from_aw_classes([["Work"]])
    t = Tagger.from_aw_classes(
        [["a", {"type": "regex", "regex": "x"}], ["b", {"type": "regex", "regex": "y"}]]
    )
    assert t.tags({"k": "xy"}) == ("a", "b")
    assert t.tags({"k": "z"}) == ()
