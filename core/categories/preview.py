"""What a draft rule would change: a pure function over events for the categories editor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from timelygator.core.categories.categorizer import Categorizer
from timelygator.core.categories.model import Category, Rule
from timelygator.core.event import Event
from timelygator.core.timeutil import US_PER_S


@dataclass(slots=True)
class Competitor:
    """A category that keeps events the draft rule matches, and why it wins."""

    path: tuple[str, ...]
    events: int
    seconds: float
    reason: str  # "deeper", "higher priority" or "later in the list"
    regex: str | None  # the winning category's rule


@dataclass(slots=True)
class RulePreview:
    """Effect of setting ``path``'s rule to the draft.

    ``matched_*``: events the draft rule matches (whether or not it wins);
    ``gained_*``: events that would newly land in ``path``;
    ``moved_from``: seconds moving into ``path``, by the category they leave;
    ``lost_to``: seconds leaving ``path`` (its old rule matched, the draft does not), by the
    category they go to;
    ``taken_by``: events the draft matches that another category keeps, one entry per winner,
    most time first, each saying why that category wins.
    """

    path: tuple[str, ...]
    matched_events: int = 0
    matched_seconds: float = 0.0
    gained_events: int = 0
    gained_seconds: float = 0.0
    moved_from: dict[tuple[str, ...], float] = field(default_factory=dict)
    lost_to: dict[tuple[str, ...], float] = field(default_factory=dict)
    taken_by: list[Competitor] = field(default_factory=list)


def rule_preview(
    categorizer_before: Categorizer, draft: Category, events: Iterable[Event]
) -> RulePreview:
    """Preview ``draft``'s rule for its path (replacing that path's current rule, if any)."""
    key = draft.path
    after = categorizer_before.with_rule(key, draft.rule)
    alone = Categorizer([(key, draft.rule)])
    preview = RulePreview(key)
    matched_us = gained_us = 0
    moved: dict[tuple[str, ...], int] = {}
    lost: dict[tuple[str, ...], int] = {}
    taken: dict[tuple[str, ...], list[int]] = {}
    for event in events:
        duration = event.end_us - event.start_us
        data = event.data
        new = after.categorize(data)
        if alone.categorize(data) == key:
            preview.matched_events += 1
            matched_us += duration
            if new != key:
                counts = taken.setdefault(new, [0, 0])
                counts[0] += 1
                counts[1] += duration
        old = categorizer_before.categorize(data)
        if old == new:
            continue
        if new == key:
            preview.gained_events += 1
            gained_us += duration
            moved[old] = moved.get(old, 0) + duration
        elif old == key:
            lost[new] = lost.get(new, 0) + duration
    preview.matched_seconds = matched_us / US_PER_S
    preview.gained_seconds = gained_us / US_PER_S
    preview.moved_from = {p: us / US_PER_S for p, us in moved.items()}
    preview.lost_to = {p: us / US_PER_S for p, us in lost.items()}
    rules = dict(after.rules)
    preview.taken_by = [
        Competitor(path, n, us / US_PER_S, _why_wins(path, rule, draft), rule.regex)
        for path, (n, us) in sorted(taken.items(), key=lambda kv: (-kv[1][1], kv[0]))
        for rule in [rules.get(path, Rule())]
    ]
    return preview


def _rank(path: tuple[str, ...], rule: Rule) -> int:
    """The categorizer's rank: an explicit priority, else ten per level of depth."""
    return rule.priority if rule.priority is not None else len(path) * 10


def _why_wins(winner: tuple[str, ...], rule: Rule, draft: Category) -> str:
    """Why ``winner``'s rule beats the draft's on an event both match."""
    if rule.priority is None and draft.rule.priority is None:
        return "deeper" if len(winner) > len(draft.path) else "later in the list"
    if _rank(winner, rule) > _rank(draft.path, draft.rule):
        return "higher priority"
    return "later in the list"
