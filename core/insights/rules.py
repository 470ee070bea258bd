"""An accepted suggestion becomes an ordinary category rule, checked against the history.

The rule: the suggestion's regex (``^libreoffice-calc$``, ``billing\\.example\\.org``,
``^Invoice\\b``) is added as one more alternative of the category's own regex (the category
gets a regex rule of its own when it had none). Before anything is saved, the whole history's
values are run through the existing rule preview (``core.categories.preview``): the time the
new rule would take from *other* categories is ``RuleCheck.taken``, and saving refuses it
unless the user agreed (``allow_taking``). Nothing is re-labelled silently: the rule is the
only change, and undoing it stores the categories as they were.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import orjson
from timelygator.core.categories.categorizer import Categorizer, alternatives
from timelygator.core.categories.model import UNCATEGORIZED, Category, Rule
from timelygator.core.categories.preview import RulePreview, rule_preview
from timelygator.core.categories.stored import replace_stored_categories
from timelygator.core.errors import ValidationError
from timelygator.core.event import Event
from timelygator.core.patterns import compile_pattern
from timelygator.core.writer import Writer

Path = tuple[str, ...]


@dataclass(slots=True)
class RuleCheck:
    """What adding ``regex`` to ``path``'s rule would do to the history."""

    path: Path
    regex: str  # the part added
    rule: Rule  # the category's whole rule after the change
    categories: list[Category]  # the tree after the change
    preview: RulePreview

    @property
    def taken(self) -> dict[Path, float]:
        """Seconds the rule would move from other categories (not from Uncategorized)."""
        return {p: s for p, s in self.preview.moved_from.items() if p != UNCATEGORIZED}

    @property
    def gained_seconds(self) -> float:
        return self.preview.gained_seconds

    @property
    def ok(self) -> bool:
        return not self.taken


def with_alternative(rule: Rule, regex: str) -> Rule:
    """``rule`` also matching ``regex`` (a case-insensitive regex rule when it had none)."""
    if not rule.active or rule.regex is None:
        return Rule("regex", regex, True, rule.select_keys, rule.priority, dict(rule.extra))
    parts = alternatives(rule.regex)
    if parts is not None and regex in parts:
        return copy.deepcopy(rule)
    old = rule.regex if parts is not None else f"(?:{rule.regex})"
    new = copy.deepcopy(rule)
    new.regex = f"{old}|{regex}"
    return new


def with_rule(categories: Sequence[Category], path: Path, regex: str) -> list[Category]:
    """A copy of the tree where ``path``'s rule also matches ``regex``."""
    out = copy.deepcopy(list(categories))
    for category in out:
        if category.path == path:
            category.rule = with_alternative(category.rule, regex)
            return out
    out.append(Category(list(path), Rule.regex_rule(regex, ignore_case=True)))
    return out


def check_rule(
    categories: Sequence[Category],
    path: Path,
    regex: str,
    texts: Sequence[str],
    time_us: Sequence[int],
) -> RuleCheck:
    """Preview adding ``regex`` to ``path`` over the history's values (``texts``, each with
    its total time); ValidationError (a plain sentence) for a regex that cannot be used."""
    if not regex.strip():
        raise ValidationError("The rule is empty: type what the titles, app or site contain.")
    compile_pattern(regex, ignore_case=True)
    new_tree = with_rule(categories, path, regex)
    rule = next(c.rule for c in new_tree if c.path == path)
    alone = Categorizer([(path, Rule.regex_rule(regex, ignore_case=bool(rule.ignore_case)))])
    events: list[Event] = []
    for text, us in zip(texts, time_us, strict=True):
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if isinstance(data, dict) and alone.categorize(data) == path:
            events.append(Event(0, int(us), data))
    before = Categorizer.from_categories(categories)
    preview = rule_preview(before, Category(list(path), rule), events)
    return RuleCheck(path, regex, rule, new_tree, preview)


def describe_check(check: RuleCheck) -> str:
    """What the rule preview says about the checked rule, in words (the review panel)."""
    from timelygator.core.analytics.report import format_duration

    def name(path: Path) -> str:
        return " › ".join(path)  # noqa: RUF001

    p = check.preview
    lines = [
        f"{name(check.path)} would match {check.rule.regex}",
        f"It would move {format_duration(p.gained_seconds * 1e6)} ({p.gained_events} "
        f"value{'' if p.gained_events == 1 else 's'}) of your history to {name(check.path)}.",
    ]
    for path, seconds in sorted(check.taken.items(), key=lambda kv: -kv[1]):
        lines.append(
            f"{format_duration(seconds * 1e6)} of that is {name(path)} now: tick the box "
            "below to move it too, or narrow the rule."
        )
    for competitor in p.taken_by:
        lines.append(
            f"{competitor.events} values ({format_duration(competitor.seconds * 1e6)}) stay "
            f"in {name(competitor.path)}, which is {competitor.reason}."
        )
    if not p.gained_events:
        lines.append("It would change nothing: edit the rule.")
    return "\n".join(lines)


def store_categories(writer: Writer, user_id: int, categories: Sequence[Category]) -> Future[None]:
    """Save a whole tree through the writer (accepting a suggestion, or undoing it)."""
    items = copy.deepcopy(list(categories))
    return writer.call(lambda conn: replace_stored_categories(conn, user_id, items))


def accept(writer: Writer, user_id: int, check: RuleCheck, *, allow_taking: bool) -> Future[None]:
    """Save the checked rule; refused (ValidationError) when it takes time from other
    categories and the user did not agree to that."""
    if not check.ok and not allow_taking:
        names = ", ".join(" › ".join(p) for p in check.taken)  # noqa: RUF001
        raise ValidationError(
            f"This rule would also take time from {names}. Narrow the rule, or confirm that "
            "this time should move too."
        )
    return store_categories(writer, user_id, check.categories)
