"""rule_preview: what a draft rule would match and where the time would move from."""

from __future__ import annotations

from timelygator.core.categories import Categorizer, Category, Rule, rule_preview
from timelygator.core.event import Event

S = 1_000_000


def _ev(start: int, end: int, **data: str) -> Event:
    return Event(start * S, end * S, data)


EVENTS = [
    _ev(0, 600, app="Code", title="main.py"),
    _ev(600, 900, app="Firefox", title="GitHub"),
    _ev(900, 1000, app="Slack", title="general"),
    _ev(1000, 1600, app="Firefox", title="YouTube"),
    _ev(1600, 1700, app="Firefox", title="Docs"),
]
BEFORE = Categorizer(
    [
        (["Work"], Rule.regex_rule("Code|GitHub")),
        (["Work", "Programming"], Rule.regex_rule("Code")),
        (["Media"], Rule.regex_rule("YouTube")),
    ]
)


def test_new_category_takes_time_from_others() -> None:
    draft = Category(["Browsing"], Rule.regex_rule("Firefox"))
    preview = rule_preview(BEFORE, draft, EVENTS)
    assert preview.path == ("Browsing",)
    assert (preview.matched_events, preview.matched_seconds) == (3, 1000.0)
    # GitHub moves from Work (a depth-1 tie: the draft is the later rule, so it wins),
    # YouTube from Media, Docs from Uncategorized.
    assert (preview.gained_events, preview.gained_seconds) == (3, 1000.0)
    assert preview.moved_from == {("Work",): 300.0, ("Media",): 600.0, ("Uncategorized",): 100.0}
    assert preview.lost_to == {}


def test_deeper_category_keeps_its_time() -> None:
    draft = Category(["Editors"], Rule.regex_rule("Code|Slack"))
    preview = rule_preview(BEFORE, draft, EVENTS)
    assert (preview.matched_events, preview.matched_seconds) == (2, 700.0)
    assert (preview.gained_events, preview.gained_seconds) == (1, 100.0)  # only Slack moves
    assert preview.moved_from == {("Uncategorized",): 100.0}


def test_editing_an_existing_rule_reports_lost_time() -> None:
    draft = Category(["Media"], Rule.regex_rule("Docs"))
    preview = rule_preview(BEFORE, draft, EVENTS)
    assert preview.moved_from == {("Uncategorized",): 100.0}
    assert preview.lost_to == {("Uncategorized",): 600.0}


def test_empty_draft_matches_nothing() -> None:
    preview = rule_preview(BEFORE, Category(["X"], Rule.regex_rule("")), EVENTS)
    assert (preview.matched_events, preview.gained_events, preview.moved_from) == (0, 0, {})


def test_events_kept_by_a_deeper_category_are_explained() -> None:
    draft = Category(["Editors"], Rule.regex_rule("Code|Slack"))
    preview = rule_preview(BEFORE, draft, EVENTS)
    [kept] = preview.taken_by
    assert (kept.path, kept.events, kept.seconds) == (("Work", "Programming"), 1, 600.0)
    assert (kept.reason, kept.regex) == ("deeper", "Code")


def test_a_priority_beats_depth_and_says_so() -> None:
    before = Categorizer([(["Comms"], Rule("regex", "Slack", priority=90))])
    draft = Category(["Work", "Chat"], Rule.regex_rule("Slack|general"))
    [kept] = rule_preview(before, draft, EVENTS).taken_by
    assert (kept.path, kept.events, kept.seconds, kept.reason) == (
        ("Comms",),
        1,
        100.0,
        "higher priority",
    )


def test_a_winning_draft_is_taken_by_nobody() -> None:
    draft = Category(["Browsing"], Rule.regex_rule("Firefox"))
    assert rule_preview(BEFORE, draft, EVENTS).taken_by == []
