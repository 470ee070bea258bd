"""What a draft rule would change: a pure function over events for the categories editor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from core.categories.categorizer import Categorizer
from core.categories.model import Category
from core.event import Event
from core.timeutil import US_PER_S


@dataclass(slots=True)
class RulePreview:
    """Effect of setting ``path``'s rule to the draft.

    ``matched_*``: events the draft rule matches (whether or not it wins);
    ``gained_*``: events that would newly land in ``path``;
    ``moved_from``: seconds moving into ``path``, by the category they leave;
    ``lost_to``: seconds leaving ``path`` (its old rule matched, the draft does not), by the
    category they go to.
    """

    path: tuple[str, ...]
    matched_events: int = 0
    matched_seconds: float = 0.0
    gained_events: int = 0
    gained_seconds: float = 0.0
    moved_from: dict[tuple[str, ...], float] = field(default_factory=dict)
    lost_to: dict[tuple[str, ...], float] = field(default_factory=dict)


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
    for event in events:
        duration = event.end_us - event.start_us
        data = event.data
        if alone.categorize(data) == key:
            preview.matched_events += 1
            matched_us += duration
        old = categorizer_before.categorize(data)
        new = after.categorize(data)
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
    return preview
